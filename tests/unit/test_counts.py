from crm_app.counts import count_of


def test_one_is_singular_and_every_other_count_plural_with_thousands_separators():
    assert count_of(1, "order") == "1 order"
    assert count_of(0, "order") == "0 orders"
    assert count_of(2, "bad row") == "2 bad rows"
    assert count_of(1234, "customer") == "1,234 customers"
    assert count_of(1, "feedback answer") == "1 feedback answer"
    assert count_of(3, "activity", "activities") == "3 activities"
