import pytest

from salesdesk.core.lib.phones import PhoneResult, parse_phone


@pytest.mark.parametrize("raw", ["13800138000", "+86 138 0013 8000", "008613800138000", "138-0013-8000"])
def test_mobile_in_every_common_spelling(raw):
    assert parse_phone(raw) == PhoneResult(
        e164="+8613800138000", national="138 0013 8000", kind="mobile", extension=None, valid=True
    )


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("19912345678", "+8619912345678"), ("16612345678", "+8616612345678"), ("19212345678", "+8619212345678")],
)
def test_newer_mobile_segments_are_valid(raw, e164):
    result = parse_phone(raw)
    assert (result.e164, result.kind, result.valid) == (e164, "mobile", True)


@pytest.mark.parametrize("raw", ["12345678901", "1380013800"])
def test_impossible_mobile_numbers_are_invalid(raw):
    result = parse_phone(raw)
    assert result.valid is False
    assert result.kind == "other"


@pytest.mark.parametrize("raw", ["010-62345678", "01062345678", "0086-10-62345678"])
def test_beijing_landline_in_every_common_spelling(raw):
    assert parse_phone(raw) == PhoneResult(
        e164="+861062345678", national="010 6234 5678", kind="landline", extension=None, valid=True
    )


@pytest.mark.parametrize(
    ("raw", "e164", "national"),
    [
        ("(021)6234-5678", "+862162345678", "021 6234 5678"),
        ("0755-86013388", "+8675586013388", "0755 8601 3388"),
        ("0351-1234567", "+863511234567", "0351 123 4567"),
    ],
)
def test_landlines_with_area_codes(raw, e164, national):
    result = parse_phone(raw)
    assert (result.e164, result.national, result.kind, result.valid) == (e164, national, "landline", True)


def test_local_number_without_area_code_is_invalid():
    assert parse_phone("62345678").valid is False


def test_seven_digit_hangzhou_number_is_invalid():
    result = parse_phone("0571-8888888")
    assert result.valid is False
    assert result.extension is None


@pytest.mark.parametrize(("raw", "e164"), [("400-810-8888", "+864008108888"), ("800-820-8820", "+868008208820")])
def test_400_and_800_numbers_are_service_numbers(raw, e164):
    result = parse_phone(raw)
    assert (result.e164, result.kind, result.valid) == (e164, "service", True)


def test_short_code_is_invalid():
    result = parse_phone("95588")
    assert result.valid is False
    assert result.kind == "other"


@pytest.mark.parametrize(
    "raw",
    [
        "010-62345678-8001",
        "010-62345678转8001",
        "010-62345678 转 8001",
        "010-62345678分机8001",
        "010-62345678 ext 8001",
        "010-62345678 ext. 8001",
        "010-62345678x8001",
        "010-62345678 X 8001",
    ],
)
def test_extension_is_split_off(raw):
    assert parse_phone(raw) == PhoneResult(
        e164="+861062345678", national="010 6234 5678", kind="landline", extension="8001", valid=True
    )


def test_phonenumbers_style_extension_is_kept():
    result = parse_phone("0755-86013388 ext. 12")
    assert (result.e164, result.extension, result.valid) == ("+8675586013388", "12", True)


def test_dash_groups_of_a_valid_number_are_not_an_extension():
    # 138-0013-8000 ends in "-8000" but is a complete mobile number.
    assert parse_phone("138-0013-8000").extension is None


def test_full_width_input_is_folded():
    result = parse_phone("（０１０）６２３４５６７８")
    assert (result.e164, result.valid) == ("+861062345678", True)


def test_foreign_number_keeps_its_country_code_in_display():
    result = parse_phone("+1 650 253 0000")
    assert (result.e164, result.national, result.valid) == ("+16502530000", "+1 650-253-0000", True)


@pytest.mark.parametrize("raw", ["abc", "电话", "", "   "])
def test_unparseable_input_raises_with_chinese_and_english_message(raw):
    with pytest.raises(ValueError, match=r"电话号码.* / .*phone number"):
        parse_phone(raw)
