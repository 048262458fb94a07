import re
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from salesdesk.core.lib.amount_words import amount_in_words

# DOMAIN.md §2 table: input, strict, loose (prefix omitted).
TABLE = [
    ("10.00", "壹拾元整", "壹拾元整"),
    ("100000.05", "壹拾万元零伍分", "壹拾万元零伍分"),
    ("1000000000.10", "壹拾亿元零壹角", "壹拾亿元壹角"),
    ("0.5", "伍角", "伍角"),
    ("0.01", "壹分", "壹分"),
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("107000.53", "壹拾万零柒仟元零伍角叁分", "壹拾万柒仟元伍角叁分"),
    ("1001001.01", "壹佰万零壹仟零壹元零壹分", "壹佰万壹仟零壹元零壹分"),
    ("100000001", "壹亿零壹元整", "壹亿零壹元整"),
    ("12.345", "壹拾贰元叁角伍分", "壹拾贰元叁角伍分"),
    ("2.675", "贰元陆角捌分", "贰元陆角捌分"),
    ("900002023.05", "玖亿零贰仟零贰拾叁元零伍分", "玖亿零贰仟零贰拾叁元零伍分"),
    ("0", "零元整", "零元整"),
]


@pytest.mark.parametrize(("raw", "strict", "_loose"), TABLE, ids=[row[0] for row in TABLE])
def test_domain_table_row_in_strict_mode(raw, strict, _loose):
    assert amount_in_words(Decimal(raw), strict=True, prefix="") == strict


@pytest.mark.parametrize(("raw", "_strict", "loose"), TABLE, ids=[row[0] for row in TABLE])
def test_domain_table_row_in_loose_mode(raw, _strict, loose):
    assert amount_in_words(Decimal(raw), strict=False, prefix="") == loose


def test_default_prefix_is_renminbi_without_gap():
    assert amount_in_words(Decimal("1409.50")) == "人民币壹仟肆佰零玖元伍角"


def test_one_zero_for_a_zero_between_digits():
    assert amount_in_words(Decimal("6007.14"), prefix="") == "陆仟零柒元壹角肆分"


def test_zero_between_yuan_and_jiao_is_written_only_in_strict_mode():
    assert amount_in_words(Decimal("1680.32"), prefix="") == "壹仟陆佰捌拾元零叁角贰分"
    assert amount_in_words(Decimal("1680.32"), strict=False, prefix="") == "壹仟陆佰捌拾元叁角贰分"


def test_zero_after_yuan_is_mandatory_when_jiao_is_zero_and_fen_is_not():
    assert amount_in_words(Decimal("16409.02"), strict=False, prefix="") == "壹万陆仟肆佰零玖元零贰分"


def test_teens_are_written_with_yi():
    assert amount_in_words(Decimal("110015"), prefix="") == "壹拾壹万零壹拾伍元整"


def test_unit_yuan_can_be_the_invoice_form():
    assert amount_in_words(Decimal("24.13"), unit="圆", prefix="") == "贰拾肆圆壹角叁分"
    assert amount_in_words(Decimal("0"), unit="圆", prefix="") == "零圆整"


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError):
        amount_in_words(Decimal("1"), unit="块")


def test_negative_amount_puts_fu_right_after_the_prefix():
    assert amount_in_words(Decimal("-1")) == "人民币负壹元整"
    assert amount_in_words(Decimal("-0.85"), prefix="") == "负捌角伍分"


def test_amount_rounding_to_zero_has_no_sign():
    assert amount_in_words(Decimal("-0.004")) == "人民币零元整"


def test_half_up_rounding_can_carry_into_yuan():
    assert amount_in_words(Decimal("9.995"), prefix="") == "壹拾元整"


def test_int_and_str_inputs_are_accepted():
    assert amount_in_words(100, prefix="") == "壹佰元整"
    assert amount_in_words("0.50", prefix="") == "伍角"


def test_float_input_is_refused():
    with pytest.raises(TypeError):
        amount_in_words(2.675)


def test_wan_yi_is_written_for_ten_to_the_twelfth():
    assert amount_in_words(Decimal(10**12), prefix="") == "壹万亿元整"


def test_wan_section_above_yi_reads_as_wan_then_yi():
    assert amount_in_words(Decimal("1234500000000"), prefix="") == "壹万贰仟叁佰肆拾伍亿元整"


def test_empty_yi_section_under_wan_yi_keeps_one_zero():
    assert amount_in_words(Decimal("1000000010000"), strict=False, prefix="") == "壹万亿零壹万元整"
    assert amount_in_words(Decimal("1000000000001"), strict=False, prefix="") == "壹万亿零壹元整"


def test_zero_run_ending_at_yi_keeps_its_zero_in_loose_mode():
    # PBOC allows omitting the 零 only at the 万位 and 元位.
    assert amount_in_words(Decimal("1010000000"), strict=False, prefix="") == "壹拾亿零壹仟万元整"


def test_largest_amount_below_ten_to_the_sixteenth():
    assert amount_in_words(Decimal("9999999999999999.99"), prefix="") == (
        "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"
    )


def test_amount_from_ten_to_the_sixteenth_is_refused():
    with pytest.raises(ValueError):
        amount_in_words(Decimal(10**16))


# --- property tests against an independent reader of capitals -----------------------------

DIGIT_VALUES = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}
DECIMALS_RE = re.compile(r"零?(?:([壹贰叁肆伍陆柒捌玖])角)?(?:([壹贰叁肆伍陆柒捌玖])分)?(整)?")


def _read_section(text: str) -> int:
    total, digit = 0, None
    for ch in text.replace("零", ""):
        if ch in DIGIT_VALUES:
            assert digit is None, f"two digits in a row in {text!r}"
            digit = DIGIT_VALUES[ch]
        else:
            assert digit is not None, f"unit without digit in {text!r}"
            total += digit * SMALL_UNITS[ch]
            digit = None
    return total + (digit or 0)


def _read_integer(text: str) -> int:
    for big, scale in (("亿", 10**8), ("万", 10**4)):
        if big in text:
            high, low = text.rsplit(big, 1)
            # 亿 and 万 multiply what stands before them, so something non-zero must.
            assert high and high[-1] not in "零亿", f"{big} without a number before it in {text!r}"
            return _read_integer(high) * scale + _read_integer(low)
    return _read_section(text)


def read_capitals(text: str, prefix: str = "人民币", unit: str = "元") -> Decimal:
    assert text.startswith(prefix)
    text = text.removeprefix(prefix)
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负")
    if text == f"零{unit}整":
        return Decimal("0.00")
    integer, _, rest = text.rpartition(unit)
    m = DECIMALS_RE.fullmatch(rest)
    assert m, f"bad decimal part {rest!r}"
    jiao = DIGIT_VALUES[m[1]] if m[1] else 0
    fen = DIGIT_VALUES[m[2]] if m[2] else 0
    fen_total = _read_integer(integer) * 100 + jiao * 10 + fen
    return Decimal(sign * fen_total).scaleb(-2)


def _sparse_fen(digits: list[int]) -> int:
    return int("".join(map(str, digits)))


def _fen_from_sections(sections: list[int], cents: int) -> int:
    yuan = sum(section * 10 ** (4 * i) for i, section in enumerate(sections))
    return yuan * 100 + cents


# Uniform integers rarely contain long zero runs or empty 4-digit sections, which are where
# the rules bite; the other two strategies build numbers that are mostly zeros.
_section = st.sampled_from([0, 0, 0, 1, 10, 100, 1000, 1001, 1010, 9000, 9999])
_cents = st.sampled_from([0, 0, 1, 5, 10, 50, 99])
amounts = st.one_of(
    st.integers(min_value=0, max_value=10**14),
    st.lists(st.sampled_from([0] * 8 + list(range(1, 10))), min_size=1, max_size=14).map(_sparse_fen),
    st.builds(_fen_from_sections, st.lists(_section, min_size=1, max_size=3), _cents),
    st.builds(_fen_from_sections, st.lists(_section, min_size=3, max_size=3), _cents),
).map(lambda fen: Decimal(fen).scaleb(-2))


@given(amount=amounts, strict=st.booleans())
def test_capitals_read_back_to_the_same_amount(amount, strict):
    assert read_capitals(amount_in_words(amount, strict=strict)) == amount


# Structures the random strategies reach only now and then: an empty 万-section after 亿,
# empty sections under 万亿, zero runs ending at 万位 and 元位.
EDGE_AMOUNTS = [Decimal(x) for x in ("900002023.05", "1000000010000", "107000.53", "1000000000.10", "10007000")]


def _with_edges(test):
    for amount in EDGE_AMOUNTS:
        test = example(amount=amount)(test)
    return test


def _zero_runs(amount: Decimal) -> list[tuple[int, int]]:
    """(position of the lowest zero, length) of every zero run between non-zero digits.

    Positions count from 个 = 0, so 角 is -1 and 分 is -2.
    """
    digits = str(int(amount.scaleb(2)))
    return [(len(digits) - m.end() - 2, m.end() - m.start()) for m in re.finditer(r"(?<=[1-9])0+(?=[1-9])", digits)]


@_with_edges
@given(amount=amounts)
def test_strict_mode_writes_one_zero_per_inner_zero_run(amount):
    # Rules 4, 5, 6 and 8 taken together: strict mode writes every allowed 零, one per run.
    expected = len(_zero_runs(amount)) if amount else 1
    assert amount_in_words(amount, prefix="").count("零") == expected


@_with_edges
@given(amount=amounts)
def test_loose_mode_omits_exactly_the_optional_zeros(amount):
    # Rule 5: optional when the run ends at the 元位 (角 follows) or at the 万位 (仟 follows);
    # rule 8: not when the run empties the whole 万-section (4 zeros or more).
    def optional(lowest: int, length: int) -> bool:
        return lowest == 0 or (lowest == 4 and length < 4)

    expected = sum(not optional(*run) for run in _zero_runs(amount)) if amount else 1
    assert amount_in_words(amount, strict=False, prefix="").count("零") == expected


@given(amount=amounts)
def test_loose_mode_only_drops_zeros_from_strict_mode(amount):
    strict = amount_in_words(amount, prefix="")
    loose = amount_in_words(amount, strict=False, prefix="")
    assert loose.replace("零", "") == strict.replace("零", "")
    assert loose.count("零") <= strict.count("零")


@given(amount=amounts, strict=st.booleans())
def test_capitals_are_well_formed(amount, strict):
    text = amount_in_words(amount, strict=strict, prefix="")
    assert "零零" not in text
    assert not re.search(r"零[拾佰仟万亿元角分整]", text.replace("零元整", ""))
    assert text.endswith("整") == (amount == amount.to_integral_value())
    assert not re.search("[一二三四五六七八九十毛另]", text)
