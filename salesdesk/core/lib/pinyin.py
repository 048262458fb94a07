"""Pinyin keys for searching and sorting Chinese names (DOMAIN.md §14).

Clerks find 北京华远 by typing "bjhy" or "beijing", and lists sort by pinyin. SQLite cannot
collate by pinyin, so these keys are computed when a row is saved and stored in columns.
pypinyin's phrase dictionary already picks the right reading for most heteronyms in context
(重庆, 长沙, 厦门); the two gaps it leaves are covered here:

* place names it reads wrongly (单县 is shàn xiàn, not dān xiàn) → a small override table;
* surnames (曾 is zēng as a surname, céng otherwise) → the search key also carries every
  reading of the first character, so "zxz" finds 曾宪梓 while "cxz" still does.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style
from pypinyin.core import Pinyin

__all__ = ["PLACE_OVERRIDES", "full_pinyin", "initials", "search_key", "sort_key", "syllables"]

# Place names pypinyin 0.55 reads wrongly, with the standard reading (checked one by one).
PLACE_OVERRIDES: dict[str, tuple[str, ...]] = {
    "单县": ("shan", "xian"),
    "长治": ("chang", "zhi"),
    "洪洞": ("hong", "tong"),
    "会稽": ("kuai", "ji"),
    "郫都": ("pi", "du"),
    "浚县": ("xun", "xian"),
    "筠连": ("jun", "lian"),
    "繁峙": ("fan", "shi"),
    "朝阳": ("chao", "yang"),  # the district and city, which is what business names mean
}
_OVERRIDE_RE = re.compile("|".join(sorted(map(re.escape, PLACE_OVERRIDES), key=len, reverse=True)))
_NOT_ALNUM_RE = re.compile(r"[^a-z0-9]+")
_HAN_RE = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")
# Bound on extra first-character readings in a search key (重 has three: zhong/chong/tong).
_MAX_VARIANTS = 4


def _ascii_words(text: str) -> list[str]:
    """Keep ASCII letters and digits of non-Chinese text, lower-cased; drop punctuation."""
    return [w for w in _NOT_ALNUM_RE.split(text.lower()) if w]


# One converter for the process: pypinyin's module-level helpers build a new one on every call,
# which dominated bulk imports.
_PINYIN = Pinyin()


@lru_cache(maxsize=65536)
def _convert(text: str, style: Style) -> tuple[str, ...]:
    out: list[str] = []
    for item in _PINYIN.lazy_pinyin(text, style=style, errors="default"):
        # lazy_pinyin passes non-Chinese runs through unchanged ("ABC", "(", "3M").
        out.extend(_ascii_words(item))
    return tuple(out)


def syllables(s: str, style: Style = Style.NORMAL) -> list[str]:
    """Pinyin of ``s`` as a list of lower-case ASCII pieces, place-name overrides applied.

    Full-width letters and digits are folded to ASCII first (NFKC), so ＡＢＣ behaves as abc.
    """
    text = unicodedata.normalize("NFKC", s)
    out: list[str] = []
    pos = 0
    for m in _OVERRIDE_RE.finditer(text):
        out.extend(_convert(text[pos : m.start()], style))
        fixed = PLACE_OVERRIDES[m.group()]
        out.extend(fixed if style == Style.NORMAL else [p[0] for p in fixed])
        pos = m.end()
    out.extend(_convert(text[pos:], style))
    return out


def initials(s: str) -> str:
    """First letters of each syllable plus ASCII letters/digits: 北京华远 → "bjhy"."""
    return "".join(syllables(s, Style.FIRST_LETTER))


def full_pinyin(s: str) -> str:
    """Toneless pinyin without spaces: 北京华远 → "beijinghuayuan" (ü is written v)."""
    return "".join(syllables(s))


def _first_char_readings(s: str, style: Style) -> list[str]:
    """Every reading of the first character when it is Chinese, for surname variants."""
    text = unicodedata.normalize("NFKC", s).lstrip()
    if not text or not _HAN_RE.match(text[0]):
        return []
    # A character pypinyin does not know comes back as itself; it has no variants.
    readings = [r for r in _PINYIN.pinyin(text[0], style=style, heteronym=True)[0] if r.isascii() and r.isalpha()]
    return list(dict.fromkeys(readings))[:_MAX_VARIANTS]


def search_key(s: str) -> str:
    """One string to match with ``icontains``: the name, its full pinyin, its initials.

    Variants with each reading of the first character follow, so a surname read the rare way
    (曾 zeng, 单 shan, 仇 qiu) is still found: 曾宪梓 → "曾宪梓 cengxianzi zengxianzi cxz zxz".
    """
    name = " ".join(unicodedata.normalize("NFKC", s).split())
    full = syllables(s)
    first = syllables(s, Style.FIRST_LETTER)
    keys = [name, "".join(full)]
    readings = _first_char_readings(s, Style.NORMAL)
    if full and readings:
        keys.extend(r + "".join(full[1:]) for r in readings)
    keys.append("".join(first))
    first_letters = _first_char_readings(s, Style.FIRST_LETTER)
    if first and first_letters:
        keys.extend(r + "".join(first[1:]) for r in first_letters)
    return " ".join(k for k in dict.fromkeys(keys) if k)


def sort_key(s: str) -> str:
    """Key for ordering by pinyin in any database: syllables joined by single spaces.

    The space sorts below every letter and digit, so comparing the joined strings orders
    names exactly like comparing their syllable lists (西安 "xi an" before 先 "xian").
    """
    return " ".join(syllables(s))
