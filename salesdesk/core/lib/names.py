"""Company-name keys for duplicate detection (撞单): two spellings of one name give one key."""

from __future__ import annotations

import re
import unicodedata

_SPACES_AND_MARKS = re.compile(r"[\s·•.,，。、'\"“”‘’\-_/]+")


def normalize_company_name(name: str) -> str:
    """NFKC (full-width → half-width, so （） becomes ()), no spaces or punctuation, lower-case.

    >>> normalize_company_name(" 北京华远（集团）有限公司 ") == normalize_company_name("北京华远(集团)有限公司")
    True
    """
    text = unicodedata.normalize("NFKC", name or "").lower()
    return _SPACES_AND_MARKS.sub("", text)
