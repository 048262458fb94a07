from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesdesk.core.lib.money import (
    format_money,
    from_fen,
    from_micros,
    from_milli,
    quantize_money,
    quantize_quantity,
    quantize_unit_price,
    split_tax,
    to_fen,
    to_micros,
    to_milli,
)

REAL_VAT_RATES = [Decimal(r) for r in ("0.13", "0.09", "0.06", "0.05", "0.03", "0.01", "0")]
amounts = st.integers(min_value=-(10**14), max_value=10**14).map(lambda fen: Decimal(fen).scaleb(-2))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0.005", "0.01"), ("1.005", "1.01"), ("2.675", "2.68"), ("2.674999", "2.67"), ("12.345", "12.35")],
)
def test_quantize_money_rounds_half_up(raw, expected):
    assert quantize_money(Decimal(raw)) == Decimal(expected)


def test_quantize_money_rounds_negative_half_away_from_zero():
    assert quantize_money(Decimal("-0.005")) == Decimal("-0.01")


def test_quantize_money_accepts_int_and_str():
    assert str(quantize_money(12)) == "12.00"
    assert str(quantize_money(" 3.1 ")) == "3.10"


def test_quantize_money_refuses_float():
    with pytest.raises(TypeError):
        quantize_money(2.675)


def test_quantize_money_refuses_bool():
    with pytest.raises(TypeError):
        quantize_money(True)


@pytest.mark.parametrize("raw", ["abc", "", "1,000.00", "NaN", "Infinity", Decimal("NaN")])
def test_quantize_money_refuses_non_numbers(raw):
    with pytest.raises(ValueError):
        quantize_money(raw)


def test_quantize_money_drops_the_sign_of_a_zero_result():
    result = quantize_money(Decimal("-0.001"))
    assert str(result) == "0.00"
    assert not result.is_signed()


def test_to_fen_rounds_half_up_then_scales():
    assert to_fen(Decimal("12.345")) == 1235
    assert to_fen("-0.015") == -2
    assert to_fen(7) == 700


def test_from_fen_gives_two_decimals():
    assert str(from_fen(1)) == "0.01"
    assert str(from_fen(0)) == "0.00"
    assert str(from_fen(-50)) == "-0.50"
    assert str(from_fen(123456789012345)) == "1234567890123.45"


def test_from_fen_refuses_non_int():
    with pytest.raises(TypeError):
        from_fen(Decimal("1"))
    with pytest.raises(TypeError):
        from_fen(1.0)


def test_unit_price_rounds_to_six_decimals_half_up():
    assert quantize_unit_price(Decimal("8.84081081")) == Decimal("8.840811")
    assert quantize_unit_price(Decimal("0.0000005")) == Decimal("0.000001")


def test_unit_price_round_trips_through_micros():
    assert to_micros(Decimal("8.84081081")) == 8840811
    assert str(from_micros(8840811)) == "8.840811"
    assert str(from_micros(9990000)) == "9.990000"


def test_quantity_rounds_to_three_decimals_half_up():
    assert quantize_quantity("1.2345") == Decimal("1.235")


def test_quantity_round_trips_through_milli():
    assert to_milli(Decimal("1.2345")) == 1235
    assert to_milli(37) == 37000
    assert str(from_milli(1500)) == "1.500"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12345.6"), "12345.60"),
        (Decimal("-0.5"), "-0.50"),
        (Decimal("0"), "0.00"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("0E-8"), "0.00"),
        (Decimal("-0.001"), "0.00"),
        (Decimal("123456789012.345"), "123456789012.35"),
    ],
)
def test_format_money_prints_exactly_two_decimals_without_exponent(value, expected):
    assert format_money(value) == expected


def test_split_tax_worked_example_a():
    assert split_tax(Decimal("11300.00"), Decimal("0.13")) == (Decimal("10000.00"), Decimal("1300.00"))


def test_split_tax_worked_example_b():
    net, tax = split_tax(Decimal("369.63"), Decimal("0.13"))
    assert (net, tax) == (Decimal("327.11"), Decimal("42.52"))
    assert abs(net * Decimal("0.13") - tax) <= Decimal("0.06")


def test_split_tax_worked_example_c_sums_line_taxes():
    lines = [split_tax(Decimal("199.00"), Decimal("0.13")) for _ in range(7)]
    assert sum(net for net, _ in lines) == Decimal("1232.77")
    assert sum(tax for _, tax in lines) == Decimal("160.23")


def test_split_tax_at_zero_rate_keeps_everything_as_net():
    assert split_tax(Decimal("99.99"), Decimal("0")) == (Decimal("99.99"), Decimal("0.00"))


def test_split_tax_of_a_negative_line_is_negative():
    assert split_tax(Decimal("-113.00"), Decimal("0.13")) == (Decimal("-100.00"), Decimal("-13.00"))


def test_split_tax_rounds_the_tax_half_up_on_an_exact_half_fen():
    # 0.03 at 20 % is 0.025 net + 0.005 tax exactly; the tax takes the rounding.
    assert split_tax(Decimal("0.03"), Decimal("0.2")) == (Decimal("0.02"), Decimal("0.01"))


def test_split_tax_refuses_negative_rate():
    with pytest.raises(ValueError):
        split_tax(Decimal("1.00"), Decimal("-0.13"))


def test_split_tax_refuses_float_rate():
    with pytest.raises(TypeError):
        split_tax(Decimal("1.00"), 0.13)


@given(gross=amounts, rate=st.sampled_from(REAL_VAT_RATES))
def test_split_tax_parts_add_up_to_the_gross(gross, rate):
    net, tax = split_tax(gross, rate)
    assert net + tax == gross
    assert net == quantize_money(net)
    assert tax == quantize_money(tax)


@given(gross=amounts, rate=st.sampled_from(REAL_VAT_RATES))
def test_split_tax_matches_rounding_the_net_first_for_real_rates(gross, rate):
    # DOMAIN.md §3 words it as 金额 = round(含税金额 ÷ (1+税率)); both ways agree for real rates.
    net, _ = split_tax(gross, rate)
    assert net == quantize_money(gross / (1 + rate))


@given(amount=st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, places=4))
def test_fen_round_trip_equals_quantized_amount(amount):
    assert from_fen(to_fen(amount)) == quantize_money(amount)
