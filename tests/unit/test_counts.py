from crm_app.counts import count_of


def test_one_is_singular_and_every_other_count_plural_with_thousands_separators():
    assert count_of(1, "order") == "1 order"
    assert count_of(0, "order") == "0 orders"
    assert count_of(2, "bad row") == "2 bad rows"
    assert count_of(1234, "customer") == "1,234 customers"
    assert count_of(1, "feedback answer") == "1 feedback answer"
    assert count_of(3, "activity", "activities") == "3 activities"


def test_a_chinese_reader_reads_the_count_with_its_measure_word_in_every_number():
    from crm_app import i18n

    assert count_of(1, "order", language="zh_CN") == "1 笔订单"
    assert count_of(1234, "customer", language="zh_CN") == "1,234 位客户"
    with i18n.speaking("zh_CN"):
        assert count_of(0, "bad row") == "0 行错误数据"
    assert count_of(2, "order") == "2 orders"  # the speaking block ended: English again


def test_a_count_the_catalogue_does_not_translate_is_an_error_not_english():
    import pytest

    from crm_app import i18n

    with pytest.raises(i18n.UntranslatedMessage):
        count_of(2, "unicorn", language="zh_CN")
    assert count_of(2, "unicorn") == "2 unicorns"
