import pytest

from salesdesk.core.lib.pinyin import full_pinyin, initials, search_key, sort_key


def test_initials_of_a_company_name():
    assert initials("北京华远") == "bjhy"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("重庆长安汽车", "cqcaqc"), ("长沙银行", "csyh"), ("厦门建发", "xmjf"), ("乐山重型", "lszx")],
)
def test_initials_use_the_phrase_reading_of_heteronyms(name, expected):
    assert initials(name) == expected


def test_full_pinyin_uses_the_phrase_reading_of_heteronyms():
    assert full_pinyin("重庆长安汽车") == "chongqingchanganqiche"


def test_place_name_override_fixes_shan_xian():
    assert initials("单县供销社") == "sxgxs"
    assert full_pinyin("山东单县") == "shandongshanxian"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("长治市钢铁公司", "changzhishigangtiegongsi"), ("洪洞县", "hongtongxian"), ("北京朝阳区", "beijingchaoyangqu")],
)
def test_place_name_overrides_apply_inside_longer_names(name, expected):
    assert full_pinyin(name) == expected


def test_full_pinyin_has_no_tones_and_no_spaces_and_writes_u_umlaut_as_v():
    assert full_pinyin("绿地 集团") == "lvdijituan"


def test_ascii_letters_and_digits_are_kept_lower_cased_and_punctuation_dropped():
    assert initials("ABC科技(上海)") == "abckjsh"
    assert full_pinyin("3M中国") == "3mzhongguo"


def test_full_width_letters_are_folded_to_ascii():
    assert initials("ＡＢＣ科技（上海）") == "abckjsh"


def test_empty_text_gives_empty_keys():
    assert (initials(""), full_pinyin(""), search_key(""), sort_key("")) == ("", "", "", "")


def test_search_key_joins_name_full_pinyin_and_initials():
    assert search_key("北京华远") == "北京华远 beijinghuayuan bjhy"


def test_search_key_carries_both_readings_of_a_surname():
    key = search_key("曾宪梓")
    assert key == "曾宪梓 cengxianzi zengxianzi cxz zxz"
    assert "zxz" in key.split()


def test_search_key_matches_by_icontains_on_any_part():
    key = search_key("ABC科技(上海)")
    for query in ("ABC科技", "abckeji", "kjsh", "shanghai"):
        assert query.lower() in key.lower()


def test_sort_key_orders_by_pinyin():
    names = ["中国银行", "阿里巴巴", "北京华远", "长沙银行", "Zeta", "abc"]
    assert sorted(names, key=sort_key) == ["阿里巴巴", "abc", "北京华远", "长沙银行", "Zeta", "中国银行"]


def test_sort_key_compares_syllable_by_syllable():
    # 西安 (xi an) sorts before 先锋 (xian feng), as the syllable lists do.
    assert sort_key("西安") == "xi an"
    assert sorted(["先锋", "西安"], key=sort_key) == ["西安", "先锋"]
