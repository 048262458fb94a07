"""Lines pasted from Excel/WPS: tab-separated rows, an optional header, per-row Chinese errors."""

from __future__ import annotations

from decimal import Decimal

from salesdesk.contracts.pasting import PastedLine, parse_pasted


def test_tab_separated_rows_with_a_header_and_thousands_separators():
    lines, errors = parse_pasted("产品编码\t数量\t单价\r\nHM46\t1,200\t¥1,130.50\nGL5\t3\t\n\n")

    assert lines == [PastedLine(2, "HM46", Decimal("1200"), Decimal("1130.50")), PastedLine(3, "GL5", Decimal(3), None)]
    assert errors == []


def test_space_separated_rows_are_accepted_too():
    lines, _ = parse_pasted("HM46  10  99.9")

    assert lines == [PastedLine(1, "HM46", Decimal(10), Decimal("99.9"))]


def test_each_bad_row_is_named_in_chinese_and_the_good_ones_kept():
    lines, errors = parse_pasted("HM46\t2\t10\nGL5\tabc\t1\n\t3\t1\nX\t0\t1\nY\t1\t-2\nZ\t1\tzz")

    assert [line.sku for line in lines] == ["HM46"]
    assert errors == ["第 2 行：数量“abc”不是数字", "第 3 行：缺少产品编码", "第 4 行：数量必须大于 0",
                      "第 5 行：单价不能为负", "第 6 行：单价“zz”不是数字"]


def test_nothing_pasted_is_nothing():
    assert parse_pasted("") == ([], [])
