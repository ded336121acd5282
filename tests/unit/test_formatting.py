"""Money, numbers, percentages and dates through Babel: exact strings from CLDR for the company's locale."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crm_app import formatting
from crm_app.formatting import AxisMoney

NBSP, NARROW_NBSP = "\xa0", "\u202f"


@pytest.mark.parametrize("currency, locale, expected", [
    ("USD", "en_US", "$1,234.50"),
    ("EUR", "de_DE", f"1.234,50{NBSP}€"),
    ("CNY", "zh_CN", "¥1,234.50"),
    ("JPY", "ja_JP", "￥1,235"),  # the yen has no minor unit: rounded to whole yen
    ("USD", "de_DE", f"1.234,50{NBSP}$"),
])
def test_money_has_the_symbol_and_the_locales_grouping(currency, locale, expected):
    assert formatting.money(1234.5, currency=currency, locale=locale) == expected


def test_money_negative_and_missing():
    assert formatting.money(-5, currency="USD", locale="en_US") == "-$5.00"
    assert formatting.money(None, currency="USD", locale="en_US") == "–"
    assert formatting.money(float("nan"), currency="USD", locale="en_US") == "–"


def test_whole_money_rounds_half_up_and_keeps_the_symbol_where_the_locale_puts_it():
    assert formatting.whole_money(1234.5, currency="USD", locale="en_US") == "$1,235"
    assert formatting.whole_money(2500.5, currency="EUR", locale="de_DE") == f"2.501{NBSP}€"
    assert formatting.whole_money(1234.49, currency="CNY", locale="zh_CN") == "¥1,234"
    assert formatting.money(1.005, currency="USD", locale="en_US") == "$1.01"  # half up on the decimal, not the float


def test_numbers_and_percentages():
    assert formatting.number(1234567, locale="en_US") == "1,234,567"
    assert formatting.number(1234567, locale="de_DE") == "1.234.567"
    assert formatting.number(1234.5, decimals=1, locale="de_DE") == "1.234,5"
    assert formatting.number(2.0, decimals=2, locale="en_US") == "2.00"
    assert formatting.percent(0.125, locale="en_US") == "12.5%"
    assert formatting.percent(0.125, locale="de_DE") == f"12,5{NBSP}%"
    assert formatting.percent(0.5, decimals=0, locale="zh_CN") == "50%"
    assert formatting.percent(None, locale="en_US") == "–"


def test_dates_in_the_locales_medium_style():
    assert formatting.day(date(2026, 12, 5), locale="en_US") == "Dec 5, 2026"
    assert formatting.day(date(2026, 12, 5), locale="de_DE") == "05.12.2026"
    assert formatting.day(date(2026, 12, 5), locale="zh_CN") == "2026年12月5日"
    assert formatting.day(date(2026, 12, 5), locale="ja_JP") == "2026/12/05"
    assert formatting.day(None, locale="en_US") == "–"
    # a stored instant is dated on the user's clock: 23:30 UTC on the 5th is the 6th in Tokyo
    assert formatting.day(datetime(2026, 12, 5, 23, 30), "Asia/Tokyo", locale="en_US") == "Dec 6, 2026"
    assert formatting.day(datetime(2026, 12, 5, 23, 30), None, locale="en_US") == "Dec 5, 2026"


def test_a_moment_is_shown_on_the_users_clock():
    stored = datetime(2026, 12, 5, 14, 30)  # naive UTC, as the database returns it
    assert formatting.moment(stored, "Europe/Berlin", locale="en_US") == f"Dec 5, 2026, 3:30{NARROW_NBSP}PM"
    assert formatting.moment(stored, "Europe/Berlin", locale="de_DE") == "05.12.2026, 15:30"
    assert formatting.moment(stored, "Asia/Shanghai", locale="zh_CN") == "2026年12月5日 22:30"
    # 23:30 UTC is already the next day in Tokyo
    assert formatting.moment(datetime(2026, 12, 5, 23, 30, tzinfo=UTC), "Asia/Tokyo", locale="ja_JP") == "2026/12/06 8:30"
    assert formatting.moment(stored, None, locale="en_US") == f"Dec 5, 2026, 2:30{NARROW_NBSP}PM"  # unknown zone: UTC


def test_currency_labels_and_chart_axes():
    assert formatting.currency_label("Revenue", currency="USD") == "Revenue (USD)"
    assert formatting.axis_money(currency="USD", locale="en_US") == AxisMoney(".,", "$", "", "USD")
    assert formatting.axis_money(currency="EUR", locale="de_DE") == AxisMoney(",.", "", f"{NBSP}€", "EUR")


@pytest.mark.parametrize("unit, value, expected", [
    ("percent", 0.4567, "45.7%"), ("points", 12.345, "12.3"), ("money", 999.5, "$999.50"),
    ("money", 1234.5, "$1,235"), ("money", -2500.0, "-$2,500"), ("count", 12345, "12,345"), ("money", None, "–"),
])
def test_kpi_values_by_unit(unit, value, expected):
    assert formatting.kpi_value(unit, value, currency="USD", locale="en_US") == expected


def test_company_settings_are_the_default(monkeypatch):
    monkeypatch.setattr(formatting, "_company", lambda: ("EUR", "de_DE"))
    assert formatting.money(1234.5) == f"1.234,50{NBSP}€"
    assert formatting.currency_label("Revenue") == "Revenue (EUR)"


@pytest.mark.parametrize("given, expected", [("en_US", "en_US"), ("de-DE", "de_DE"), ("zh_Hans_CN", "zh_Hans_CN")])
def test_valid_locale_spelling(given, expected):
    assert formatting.valid_locale(given) == expected


def test_valid_currency_upper_cases_and_refuses_unknown_codes():
    assert formatting.valid_currency(" cny ") == "CNY"
    with pytest.raises(ValueError, match="unknown currency 'US'"):
        formatting.valid_currency("US")


def test_a_reader_of_chinese_reads_dates_in_chinese_and_amounts_in_the_companys_locale(monkeypatch):
    from crm_app import i18n

    monkeypatch.setattr(formatting, "_company", lambda: ("USD", "en_US"))
    with i18n.speaking("zh_CN"):
        assert formatting.day(date(2026, 12, 5)) == "2026年12月5日"
        assert formatting.moment(datetime(2026, 12, 5, 14, 30), "Asia/Shanghai") == "2026年12月5日 22:30"
        assert formatting.money(1234.5) == "$1,234.50"
    assert formatting.day(date(2026, 12, 5)) == "Dec 5, 2026"
    monkeypatch.setattr(formatting, "_company", lambda: ("CNY", "zh_Hans_CN"))  # a Chinese company: its own locale
    with i18n.speaking("zh_CN"):
        assert formatting.day(date(2026, 12, 5)) == "2026年12月5日"
