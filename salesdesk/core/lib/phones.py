"""Phone numbers as clerks type them: parse, classify and split off extensions.

phonenumbers (the full package, with metadata for every region) does the validation. It does
not understand the Chinese ways of writing an extension (010-62345678-8001,
010-62345678转8001, 分机8001), so those are split here before parsing (DOMAIN.md §4) and
stored separately from the E.164 number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

__all__ = ["PhoneKind", "PhoneResult", "parse_phone"]

PhoneKind = Literal["mobile", "landline", "service", "other"]

# An explicit extension marker: 转 / 分机 (Chinese), ext / ext. / x / # (Western).
_MARKED_EXT_RE = re.compile(r"^(?P<number>.+?)\s*(?:转|分机|ext\.?|x|#)\s*(?P<ext>\d{1,10})$", re.IGNORECASE)
# A bare trailing "-8001". Ambiguous, because 138-0013-8000 also ends in "-8000", so it is
# only taken as an extension when the whole string is not already a valid number.
_DASH_EXT_RE = re.compile(r"^(?P<number>.+\d)\s*-\s*(?P<ext>\d{1,6})$")

_KINDS: dict[int, PhoneKind] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.TOLL_FREE: "service",  # 800
    PhoneNumberType.SHARED_COST: "service",  # 400
}


@dataclass(frozen=True, slots=True)
class PhoneResult:
    """A parsed number. e164 never contains the extension; store the two separately."""

    e164: str
    national: str  # e.g. "010 6234 5678"; international format for numbers of other countries
    kind: PhoneKind
    extension: str | None
    valid: bool


def _parse(number: str, region: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"无法识别的电话号码 / unparseable phone number: {number!r}") from None


def _result(num: phonenumbers.PhoneNumber, region: str, extension: str | None) -> PhoneResult:
    valid = phonenumbers.is_valid_number(num)
    # The national format drops the country code, which would make a foreign number look
    # domestic on a Chinese printout, so only numbers of the default region use it.
    same_country = num.country_code == phonenumbers.country_code_for_region(region)
    fmt = PhoneNumberFormat.NATIONAL if same_country else PhoneNumberFormat.INTERNATIONAL
    # Format without the extension: it is reported in its own field.
    bare = phonenumbers.PhoneNumber()
    bare.merge_from(num)
    bare.extension = None
    return PhoneResult(
        e164=phonenumbers.format_number(bare, PhoneNumberFormat.E164),
        national=phonenumbers.format_number(bare, fmt),
        kind=_KINDS.get(phonenumbers.number_type(num), "other") if valid else "other",
        extension=extension or num.extension or None,
        valid=valid,
    )


def parse_phone(s: str, region: str = "CN") -> PhoneResult:
    """Parse a number typed by a person; ``region`` applies to numbers without +country code.

    Raises ValueError when the text is not a phone number at all. A number that parses but
    does not exist (12345678901, a 7-digit Hangzhou number, the short code 95588) comes back
    with ``valid=False`` so the caller can keep the raw text and warn.
    """
    # Full-width digits, brackets and hyphens from a Chinese IME become ASCII.
    text = unicodedata.normalize("NFKC", s).strip()
    if not text:
        raise ValueError("电话号码为空 / empty phone number")

    marked = _MARKED_EXT_RE.match(text)
    if marked:
        return _result(_parse(marked["number"], region), region, marked["ext"])

    whole = _parse(text, region)
    if phonenumbers.is_valid_number(whole):
        return _result(whole, region, None)
    dashed = _DASH_EXT_RE.match(text)
    if dashed:
        try:
            head = _parse(dashed["number"], region)
        except ValueError:
            head = None
        if head is not None and phonenumbers.is_valid_number(head):
            return _result(head, region, dashed["ext"])
    return _result(whole, region, None)
