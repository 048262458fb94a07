"""统一社会信用代码 (USCC, GB 32100-2015): normalise, validate and decode.

python-stdnum rejects legal codes whose first character is a letter (A…, N…, Y…) because it
demands eight leading digits, so the format check and the mod-31 check digit live here
(DOMAIN.md §1). A bad check digit is reported separately from a bad format: real,
officially issued codes with wrong check digits exist, so callers warn and allow a manager
override instead of blocking.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "ALPHABET",
    "AUTHORITIES",
    "ENTITY_TYPES",
    "PROVINCES",
    "UsccResult",
    "compute_check_char",
    "normalize_uscc",
    "validate_uscc",
]

# The 31 symbols of the code: 0-9 and A-Z without I, O, Z, S, V (easily misread); the
# index of a symbol is its value in the check-digit sum.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
# w_i = 3^(i-1) mod 31 for positions 1..17.
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

FORMAT_RE = re.compile(r"^[1-9ANY][0-9A-HJ-NPQRTUWXY][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# Separators people type or copy from scanned licences: spaces, hyphens and dashes.
_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—―－]+")

# Position 1: 登记管理部门 (registration authority).
AUTHORITIES: dict[str, str] = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}

# Positions 1–2: 机构类别 (entity type) within the authority.
ENTITY_TYPES: dict[str, str] = {
    "11": "机关",
    "12": "事业单位",
    "13": "中央编办直接管理机构编制的群众团体",
    "19": "其他",
    "21": "外国常驻新闻机构",
    "29": "其他",
    "31": "律师执业机构",
    "32": "公证处",
    "33": "基层法律服务所",
    "34": "司法鉴定机构",
    "35": "仲裁委员会",
    "39": "其他",
    "41": "外国在华文化中心",
    "49": "其他",
    "51": "社会团体",
    "52": "民办非企业单位",
    "53": "基金会",
    "59": "其他",
    "61": "外国旅游部门常驻代表机构",
    "62": "港澳台地区旅游部门常驻内地（大陆）代表机构",
    "69": "其他",
    "71": "宗教活动场所",
    "72": "宗教院校",
    "79": "其他",
    "81": "基层工会",
    "89": "其他",
    "91": "企业",
    "92": "个体工商户",
    "93": "农民专业合作社",
    "A1": "军队事业单位",
    "A9": "其他",
    "N1": "组级集体经济组织",
    "N2": "村级集体经济组织",
    "N3": "乡镇级集体经济组织",
    "N9": "其他",
    "Y1": "其他",
}

# The 34 province-level divisions by the first two digits of the GB/T 2260 region code.
# Codes registered by a national authority carry region 100000 and have no province.
PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}


@dataclass(frozen=True, slots=True)
class UsccResult:
    """What a code says about itself. Decoded fields are None when the format is invalid."""

    normalized: str
    valid_format: bool
    checksum_ok: bool
    authority: str | None = None  # label of position 1, e.g. 工商
    entity_type: str | None = None  # positions 1–2, e.g. "91"
    entity_type_label: str | None = None  # e.g. 企业; None for a combination the standard lacks
    region_code: str | None = None  # positions 3–8, GB/T 2260
    province: str | None = None  # from the first two digits of region_code

    @property
    def valid(self) -> bool:
        """Format and check digit both right: the only case that needs no override."""
        return self.valid_format and self.checksum_ok


def normalize_uscc(s: str) -> str:
    """Canonical form for storage and the unique index.

    NFKC turns full-width characters typed with a Chinese IME (９１３３…) into ASCII;
    separators are dropped because licences print the code in groups.
    """
    return _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", s)).upper()


def compute_check_char(first17: str) -> str:
    """The 18th character for the first 17: alphabet[(31 − Σ value·weight mod 31) mod 31]."""
    if len(first17) != 17:
        raise ValueError(f"need exactly 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not allowed in a USCC") from None
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(s: str) -> UsccResult:
    """Normalise and check a code; decode it when the format is right."""
    code = normalize_uscc(s)
    if not FORMAT_RE.fullmatch(code):
        return UsccResult(normalized=code, valid_format=False, checksum_ok=False)
    entity_type = code[:2]
    region_code = code[2:8]
    return UsccResult(
        normalized=code,
        valid_format=True,
        checksum_ok=compute_check_char(code[:17]) == code[17],
        authority=AUTHORITIES.get(code[0]),
        entity_type=entity_type,
        entity_type_label=ENTITY_TYPES.get(entity_type),
        region_code=region_code,
        province=PROVINCES.get(region_code[:2]),
    )
