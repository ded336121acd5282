"""Order totals by hand: line = quantity × unit price × (1 − discount), rounded to cents; total = sum of lines."""

from crm_app.analytics.orders import OrderLineValues, order_totals


def test_two_lines_by_hand():
    totals = order_totals([OrderLineValues(3, 19.99, 0.10), OrderLineValues(1, 250.00, 0.0)])
    # 3 × 19.99 = 59.97; × 0.90 = 53.973 -> 53.97; plus 250.00.
    assert totals.line_amounts == (53.97, 250.00)
    assert totals.total_amount == 303.97


def test_half_cents_round_up_and_lines_add_up_to_the_total():
    # 1 × 0.05 × 0.90 = 0.045 -> 0.05 (half up), three times: the total is the sum of the printed lines.
    totals = order_totals([OrderLineValues(1, 0.05, 0.10)] * 3)
    assert totals.line_amounts == (0.05, 0.05, 0.05)
    assert totals.total_amount == 0.15


def test_binary_floats_do_not_leak_into_the_cents():
    # 1.005 is 1.00499999... as a float; read as the decimal the user typed it rounds to 1.01.
    assert order_totals([OrderLineValues(1, 1.005, 0.0)]).total_amount == 1.01
    # 7 × 0.10 = 0.70 exactly, not 0.7000000000000001.
    assert order_totals([OrderLineValues(7, 0.10, 0.0)]).total_amount == 0.70


def test_full_discount_and_no_lines():
    assert order_totals([OrderLineValues(5, 99.99, 1.0)]).line_amounts == (0.0,)
    assert order_totals([]) == order_totals(())
    assert order_totals([]).total_amount == 0.0
