"""RMB amounts in Chinese capitals (大写金额) per the PBOC rules quoted in DOMAIN.md §2.

No package gets this right (cn2an truncates beyond 2 decimals and drops the 零 of an empty
万-section after 亿), so the system writes its own. ``strict`` writes every 零 the rules
allow; loose mode omits the optional ones. Both are legal on bank forms; strict is harder
to tamper with and is the default for printed statements.
"""

from __future__ import annotations

from decimal import Decimal

from .money import MoneyInput, quantize_money

__all__ = ["MAX_AMOUNT", "amount_in_words"]

DIGITS = "零壹贰叁肆伍陆柒捌玖"
# Unit of each position inside a 4-digit section, from 个 up to 仟.
SMALL_UNITS = ("", "拾", "佰", "仟")
# Amounts from 10^16 on would need 亿亿, which nobody writes on a business document.
MAX_AMOUNT = Decimal(10) ** 16


def _integer_words(n: int, strict: bool) -> str:
    """Capitals for a positive integer below 10^16, without the 元.

    Positions are counted from 个 = 0. 万 follows position 4 (and 12, giving 万亿) when its
    section holds a non-zero digit; 亿 follows position 8 whenever anything at or above it is
    non-zero, so 10^12 reads 壹万亿 and 1234500000000 reads 壹万贰仟叁佰肆拾伍亿.
    """
    digits = [int(c) for c in reversed(str(n))]  # digits[p] is the digit at position p
    out: list[str] = []
    zero_run = 0  # zeros seen since the last non-zero digit written
    for p in range(len(digits) - 1, -1, -1):
        d = digits[p]
        if d == 0:
            zero_run += 1
        else:
            if zero_run:
                # Rule 4: one 零 for any run of zeros between non-zero digits. Rule 5: the 零 is
                # optional when the run ends at the 万位 (p + 1 == 4) and the 仟位 is non-zero;
                # rule 8: it is mandatory again when the run empties the whole 万-section
                # (a run of 4 or more). PBOC names only the 万位 and the 元位, so runs ending
                # at 亿 or 万亿 always keep their 零 (壹拾亿零壹仟万): writing a 零 is always
                # legal, omitting one the rules do not allow is not.
                optional = p + 1 == 4 and zero_run < 4
                if strict or not optional:
                    out.append("零")
                zero_run = 0
            out.append(DIGITS[d] + SMALL_UNITS[p % 4])
        if p in (4, 12) and any(digits[p : p + 4]):
            out.append("万")
        elif p == 8:
            # 亿 is written even when its own section is empty (壹万亿). The zero counter is
            # not reset: zeros on both sides of 亿 form one run, so 1 0000 0000 0001 reads
            # 壹万亿零壹元 with a single 零.
            out.append("亿")
    return "".join(out)


def amount_in_words(
    x: MoneyInput,
    strict: bool = True,
    unit: str = "元",
    prefix: str = "人民币",
) -> str:
    """Write an RMB amount in capitals, e.g. 1409.50 → 人民币壹仟肆佰零玖元伍角.

    The amount is first rounded half-up to 0.01 (12.345 → 叁角伍分), never truncated.
    ``unit`` is 元 or 圆 (数电 invoices print 圆). A negative amount gets 负 right after the
    prefix (人民币负壹元整): DOMAIN.md §2 allows a sign for internal documents only; official
    red-letter invoices are rendered by the tax platform, not by us.
    """
    if unit not in ("元", "圆"):
        raise ValueError(f"unit must be 元 or 圆, not {unit!r}")
    amount = quantize_money(x)
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"amount too large for capitals: {amount}")
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount).scaleb(2))
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)

    if fen_total == 0:
        return f"{prefix}零{unit}整"

    parts: list[str] = []
    if yuan:
        parts.append(_integer_words(yuan, strict) + unit)
    if jiao:
        # Rule 5: after an integer part ending in 0 the 零 before 角 is optional.
        if yuan and yuan % 10 == 0 and strict:
            parts.append("零")
        parts.append(DIGITS[jiao] + "角")
    elif fen and yuan:
        # Rule 6: 角 is 0 and 分 is not → the 零 after 元 is mandatory (壹万…元零贰分).
        parts.append("零")
    if fen:
        parts.append(DIGITS[fen] + "分")
    elif not jiao:
        # Rule 2: an amount ending at 元 takes 整; after 角 it is optional and we omit it.
        parts.append("整")
    return prefix + sign + "".join(parts)
