import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from salesdesk.core.lib.uscc import (
    ALPHABET,
    ENTITY_TYPES,
    PROVINCES,
    compute_check_char,
    normalize_uscc,
    validate_uscc,
)


@pytest.mark.parametrize(
    "code", ["91110000600037341L", "914403001922038216", "91330100716105852F", "91110000101623741K"]
)
def test_published_codes_are_valid(code):
    result = validate_uscc(code)
    assert result.valid_format is True
    assert result.checksum_ok is True
    assert result.valid is True


def test_altered_check_character_fails_only_the_checksum():
    result = validate_uscc("914403001922038217")
    assert result.valid_format is True
    assert result.checksum_ok is False
    assert result.valid is False


def test_letter_i_makes_the_format_invalid():
    result = validate_uscc("91330100716105852I")
    assert result.valid_format is False
    assert result.checksum_ok is False
    assert result.entity_type is None
    assert result.region_code is None


@pytest.mark.parametrize(
    "raw",
    [
        "91 3301 00716105852F",
        "9133010071610585-2F",
        "91330100716105852f",
        "９１３３０１００７１６１０５８５２Ｆ",
        " 91-3301-0071-6105-852F\t",
    ],
)
def test_spaced_hyphenated_lower_case_and_full_width_input_normalises(raw):
    assert normalize_uscc(raw) == "91330100716105852F"
    assert validate_uscc(raw).valid is True
    assert validate_uscc(raw).normalized == "91330100716105852F"


@pytest.mark.parametrize(
    ("code", "entity_type", "label"),
    [
        ("N2440305MA5F000012", "N2", "村级集体经济组织"),
        ("Y1110000MA0000001Y", "Y1", "其他"),
        ("A1110000MA0000001K", "A1", "军队事业单位"),
    ],
)
def test_letter_leading_codes_are_valid(code, entity_type, label):
    result = validate_uscc(code)
    assert result.valid is True
    assert result.entity_type == entity_type
    assert result.entity_type_label == label


def test_registered_code_with_bad_check_digit_has_good_format_and_bad_checksum():
    result = validate_uscc("91350211M0000XUF46")
    assert result.valid_format is True
    assert result.checksum_ok is False
    assert result.province == "福建省"


def test_company_code_decodes_authority_entity_type_region_and_province():
    result = validate_uscc("914403001922038216")
    assert result.authority == "工商"
    assert result.entity_type == "91"
    assert result.entity_type_label == "企业"
    assert result.region_code == "440300"
    assert result.province == "广东省"


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("92", "个体工商户"),
        ("12", "事业单位"),
        ("52", "民办非企业单位"),
        ("93", "农民专业合作社"),
        ("N1", "组级集体经济组织"),
    ],
)
def test_entity_type_labels(code, label):
    assert ENTITY_TYPES[code] == label


def test_province_table_has_the_34_province_level_divisions():
    assert len(PROVINCES) == 34
    assert PROVINCES["11"] == "北京市"
    assert PROVINCES["50"] == "重庆市"
    assert PROVINCES["65"] == "新疆维吾尔自治区"
    assert PROVINCES["82"] == "澳门特别行政区"


def test_nationally_registered_code_has_no_province():
    first17 = "91100000MA0000001"
    result = validate_uscc(first17 + compute_check_char(first17))
    assert result.valid is True
    assert result.region_code == "100000"
    assert result.province is None


def test_combination_missing_from_the_standard_has_no_label_but_valid_format():
    first17 = "94110000MA0000001"
    result = validate_uscc(first17 + compute_check_char(first17))
    assert result.valid is True
    assert result.entity_type == "94"
    assert result.entity_type_label is None


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "91110000600037341",  # 17 characters
        "91110000600037341LL",  # 19 characters
        "01110000600037341L",  # 0 is no registration authority
        "9111000A600037341L",  # region code must be digits
        "B1110000600037341L",  # B is no registration authority
        "91110000600037341O",  # O is not in the alphabet
    ],
)
def test_malformed_codes_have_invalid_format(raw):
    assert validate_uscc(raw).valid_format is False


def test_compute_check_char_matches_the_published_example():
    assert compute_check_char("91110000600037341") == "L"


def test_compute_check_char_refuses_wrong_length():
    with pytest.raises(ValueError):
        compute_check_char("9111000060003734")


def test_compute_check_char_refuses_characters_outside_the_alphabet():
    with pytest.raises(ValueError):
        compute_check_char("9111000060003734I")


_code_body = st.builds(
    lambda first, second, region, subject: first + second + region + subject,
    st.sampled_from("123456789ANY"),
    st.sampled_from(ALPHABET),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
)


@given(first17=_code_body)
def test_any_body_with_its_computed_check_char_validates(first17):
    result = validate_uscc(first17 + compute_check_char(first17))
    assert result.valid_format is True
    assert result.checksum_ok is True


@given(first17=_code_body, data=st.data())
def test_any_other_check_char_fails_the_checksum(first17, data):
    right = compute_check_char(first17)
    wrong = data.draw(st.sampled_from([c for c in ALPHABET if c != right]))
    result = validate_uscc(first17 + wrong)
    assert result.valid_format is True
    assert result.checksum_ok is False


@given(first17=_code_body.filter(lambda body: body[0].isdigit()))
def test_check_char_agrees_with_python_stdnum(first17):
    assert compute_check_char(first17) == stdnum_uscc.calc_check_digit(first17)
