"""Money, unit-price and quantity arithmetic in one place.

The database stores integers (fen, millionths of a yuan, thousandths of a unit) because
SQLite keeps DecimalField as floating point and sums would drift (DESIGN.md, "Money").
Python code works in Decimal and rounds half-up (四舍五入) only through these helpers, so
every rounding point in the system is explicit and identical.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "CENT",
    "MICRO",
    "MILLI",
    "format_money",
    "from_fen",
    "from_micros",
    "from_milli",
    "quantize_money",
    "quantize_quantity",
    "quantize_unit_price",
    "split_tax",
    "to_decimal",
    "to_fen",
    "to_micros",
    "to_milli",
]

CENT = Decimal("0.01")  # money: 2 decimals, stored as fen
MICRO = Decimal("0.000001")  # unit price: 6 decimals, stored as millionths of a yuan
MILLI = Decimal("0.001")  # quantity: 3 decimals, stored as thousandths

MoneyInput = Decimal | int | str


def to_decimal(x: MoneyInput) -> Decimal:
    """Convert an exact input to Decimal.

    Floats are refused because a binary float cannot hold 0.01 exactly: 2.675 as a float is
    2.67499999…, which would round the wrong way. bool is refused because True/False reaching
    money code is always a bug, even though bool is an int subclass.
    """
    if isinstance(x, float | bool):
        raise TypeError(f"money values must be Decimal, int or str, not {type(x).__name__}")
    if isinstance(x, Decimal):
        d = x
    elif isinstance(x, int):
        d = Decimal(x)
    elif isinstance(x, str):
        try:
            d = Decimal(x.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {x!r}") from None
    else:
        raise TypeError(f"money values must be Decimal, int or str, not {type(x).__name__}")
    if not d.is_finite():
        # NaN/Infinity would poison every sum they enter and cannot be stored as an integer.
        raise ValueError(f"not a finite number: {x!r}")
    return d


def _quantize(x: MoneyInput, exp: Decimal) -> Decimal:
    q = to_decimal(x).quantize(exp, rounding=ROUND_HALF_UP)
    # -0.00 would print as "-0.00"; a zero amount has no sign in business documents.
    return q.copy_abs() if q.is_zero() else q


def quantize_money(x: MoneyInput) -> Decimal:
    """Round to 0.01 yuan, half away from zero (四舍五入: 0.005 → 0.01, -0.005 → -0.01)."""
    return _quantize(x, CENT)


def quantize_unit_price(x: MoneyInput) -> Decimal:
    """Round a unit price to 6 decimals, the precision UnitPriceField stores."""
    return _quantize(x, MICRO)


def quantize_quantity(x: MoneyInput) -> Decimal:
    """Round a quantity to 3 decimals, the precision QuantityField stores."""
    return _quantize(x, MILLI)


def _from_int(n: int, exp: Decimal) -> Decimal:
    # Refuse anything but a real int: a float or Decimal here means the caller mixed up the
    # stored (integer) and the Python (Decimal) representation.
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"stored amounts are int, not {type(n).__name__}")
    return (Decimal(n) * exp).quantize(exp)


def to_fen(x: MoneyInput) -> int:
    """Yuan → integer fen for storage, after rounding half-up to 0.01."""
    return int(quantize_money(x).scaleb(2))


def from_fen(n: int) -> Decimal:
    """Integer fen from the database → Decimal yuan with exactly 2 decimals."""
    return _from_int(n, CENT)


def to_micros(x: MoneyInput) -> int:
    """Unit price → integer millionths of a yuan, after rounding half-up to 6 decimals."""
    return int(quantize_unit_price(x).scaleb(6))


def from_micros(n: int) -> Decimal:
    """Integer millionths of a yuan → Decimal unit price with exactly 6 decimals."""
    return _from_int(n, MICRO)


def to_milli(x: MoneyInput) -> int:
    """Quantity → integer thousandths, after rounding half-up to 3 decimals."""
    return int(quantize_quantity(x).scaleb(3))


def from_milli(n: int) -> Decimal:
    """Integer thousandths → Decimal quantity with exactly 3 decimals."""
    return _from_int(n, MILLI)


def format_money(x: MoneyInput) -> str:
    """Exactly two decimals, never an exponent ("12345.60", "-0.50", "0.00").

    The API and exports print money this way; str(Decimal) could give "1E+3" or "0E-8".
    """
    return format(quantize_money(x), "f")


def split_tax(gross: MoneyInput, rate: MoneyInput) -> tuple[Decimal, Decimal]:
    """Split a tax-inclusive (含税) amount into (net 金额, tax 税额).

    The tax is rounded half-up to 0.01 and the net is the remainder, so net + tax equals the
    gross exactly and printed totals tie (DOMAIN.md §3). For every real Chinese VAT rate
    (13/9/6/5/3/1/0 %) this gives the same figures as rounding the net first, because
    gross·rate/(1+rate) can never land exactly on half a fen for those rates.
    """
    g = quantize_money(gross)
    r = to_decimal(rate)
    if r < 0:
        raise ValueError(f"a tax rate cannot be negative: {rate!r}")
    tax = quantize_money(g * r / (1 + r))
    return g - tax, tax
