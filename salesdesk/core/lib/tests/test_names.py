from salesdesk.core.lib.names import normalize_company_name


def test_full_width_brackets_and_spaces_give_the_same_key():
    assert normalize_company_name(" 北京华远（集团） 有限公司") == normalize_company_name("北京华远(集团)有限公司")


def test_ascii_case_and_punctuation_are_ignored():
    assert normalize_company_name("ABC科技·上海") == normalize_company_name("abc 科技 上海")


def test_different_names_give_different_keys():
    assert normalize_company_name("北京华远有限公司") != normalize_company_name("北京华源有限公司")
