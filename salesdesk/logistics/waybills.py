"""Waybill numbers: normalised (trim, upper-case, no spaces) and soft-checked per carrier
(DOMAIN.md §11): a mismatch is a warning, never a refusal."""

from __future__ import annotations

import re
import unicodedata

PATTERNS = {
    "SF": r"SF\d{12,13}",
    "YTO": r"YT\d{13}",
    "JT": r"JT\d{13}",
    "JD": r"JD[VX]?[0-9A-Z]{11,17}",
    "ZTO": r"\d{12,15}",
    "YD": r"\d{13,15}",
    "STO": r"\d{12,15}",
    "EMS": r"[A-Z]{2}\d{9}[A-Z]{2}|\d{13}",
    "DBL": r"DPK\d{12}|\d{8,10}",
}


def normalize_waybill(raw: str | None) -> str:
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return re.sub(r"[\s\-]+", "", text)[:40]


def looks_valid(carrier: str, waybill_no: str) -> bool:
    pattern = PATTERNS.get(carrier)
    return True if pattern is None or not waybill_no else re.fullmatch(pattern, waybill_no) is not None
