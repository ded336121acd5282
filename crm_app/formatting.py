"""Money, numbers, percentages, dates and times as people read them, through Babel (CLDR data, shipped with the
package: nothing downloads at run time).

One place decides how a value looks on screen, in CSV headers and on chart axes: amounts in the company's currency
(`CRM_CURRENCY`) with its symbol, and every number in the company's locale (`CRM_LOCALE`, e.g. en_US "$1,234.50",
de_DE "1.234,50 €"). Dates are the locale's medium date ("Dec 5, 2026"); a moment is that date plus the short time
("Dec 5, 2026, 2:30 PM"), always on the user's own clock (due_times.wall_clock: stored times are UTC), in the
language the user reads (`reading_locale`).

Every function takes `locale`/`currency` for tests and reports; left out, the company's settings apply.
"""

from __future__ import annotations

import decimal
import functools
import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import (
    UnknownCurrencyError, format_currency, format_decimal, format_percent, get_currency_symbol, get_decimal_symbol,
    get_group_symbol, parse_pattern, validate_currency,
)

from crm_app.analytics.words import Words
from crm_app.due_times import wall_clock
from crm_app.i18n import ENGLISH, current_language

MISSING = "–"  # what an absent value shows: an en dash, never "None" or "nan"
DATE_STYLE = "medium"
TIME_STYLE = "short"


def valid_locale(name: str) -> str:
    """`name` in Babel's spelling (en_US) when CLDR knows the locale, else ValueError naming what was given."""
    try:
        return str(Locale.parse(name.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError) as error:
        raise ValueError(f"unknown locale {name!r}: use a language and country such as en_US, de_DE or zh_CN") from error


def valid_currency(code: str) -> str:
    """`code` upper-cased when it is an ISO 4217 currency CLDR knows (USD, EUR, CNY ...), else ValueError."""
    upper = code.strip().upper()
    try:
        validate_currency(upper)
    except UnknownCurrencyError as error:
        raise ValueError(f"unknown currency {code!r}: use an ISO 4217 code such as USD, EUR or CNY") from error
    return upper


@functools.cache
def _company() -> tuple[str, str]:
    from crm_app.settings import get_settings  # settings validates with this module's functions

    settings = get_settings()
    return settings.currency, settings.locale


def company_currency() -> str:
    """The ISO 4217 code of the company's currency (CRM_CURRENCY)."""
    return _company()[0]


def company_locale() -> str:
    """The company's locale (CRM_LOCALE)."""
    return _company()[1]


def reading_locale() -> str:
    """The locale dates are written in for the acting user: the company's (CRM_LOCALE), unless the user reads the
    app in another language (crm_app/i18n.py), whose own locale then writes them ("2026年12月5日" for a reader of
    Chinese in an en_US company). Amounts and numbers keep the company's locale, a figure being the company's."""
    language, company = current_language(), company_locale()
    if language == ENGLISH or Locale.parse(company).language == Locale.parse(language).language:
        return company
    return language


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _half_up() -> decimal.localcontext:
    """Babel rounds in the current decimal context: amounts round half up, as on an invoice (not to even)."""
    return decimal.localcontext(rounding=decimal.ROUND_HALF_UP)


def money(amount: float | None, *, currency: str | None = None, locale: str | None = None) -> str:
    """An amount with its currency symbol and the locale's grouping and decimals: "$1,234.50", "1.234,50 €", "￥1,235"."""
    if _missing(amount):
        return MISSING
    with _half_up():
        return format_currency(decimal.Decimal(str(amount)), currency or company_currency(),
                               locale=locale or company_locale())


def whole_money(amount: float | None, *, currency: str | None = None, locale: str | None = None) -> str:
    """An amount rounded half up to whole units, for summaries where cents are noise: "$1,235"."""
    if _missing(amount):
        return MISSING
    loc = Locale.parse(locale or company_locale())
    pattern = re.sub(r"\.0+", "", loc.currency_formats["standard"].pattern)
    with _half_up():
        return format_currency(decimal.Decimal(str(amount)), currency or company_currency(), locale=loc,
                               format=pattern, currency_digits=False)


def number(value: float | None, *, decimals: int = 0, locale: str | None = None) -> str:
    """A number with the locale's grouping and exactly `decimals` decimals: "1,234", "1.234,5"."""
    if _missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    with _half_up():
        return format_decimal(decimal.Decimal(str(value)), format=pattern, locale=locale or company_locale())


def percent(share: float | None, *, decimals: int = 1, locale: str | None = None) -> str:
    """A share (0.125) as the locale writes a percentage, with `decimals` decimals: "12.5%", "12,5 %"."""
    if _missing(share):
        return MISSING
    loc = Locale.parse(locale or company_locale())
    pattern = loc.percent_formats[None].pattern
    if decimals:
        pattern = pattern.replace("0", "0." + "0" * decimals, 1) if "." not in pattern else pattern
    with _half_up():
        return format_percent(decimal.Decimal(str(share)), format=pattern, locale=loc)


def day(value: date | datetime | None, time_zone: str | None = None, *, locale: str | None = None) -> str:
    """A calendar date in the locale's medium style: "Dec 5, 2026", "05.12.2026", "2026年12月5日". A stored instant
    (datetime, UTC) gives its day on the user's clock in `time_zone`."""
    if value is None:
        return MISSING
    plain = wall_clock(value, time_zone).date() if isinstance(value, datetime) else value
    return format_date(plain, DATE_STYLE, locale=locale or reading_locale())


def moment(value: datetime | None, time_zone: str | None, *, locale: str | None = None) -> str:
    """A stored instant (UTC, naive or aware) as the user's clock shows it, date and time in the locale's style:
    "Dec 5, 2026, 2:30 PM" (en_US), "05.12.2026, 14:30" (de_DE)."""
    if value is None:
        return MISSING
    loc = locale or reading_locale()
    local = wall_clock(value, time_zone)
    pattern = get_datetime_format(DATE_STYLE, locale=loc).replace("'", "")
    clock = format_time(local.replace(tzinfo=None), TIME_STYLE, locale=loc)
    return pattern.replace("{0}", clock).replace("{1}", format_date(local.date(), DATE_STYLE, locale=loc))


def kpi_value(unit: str, value: float | None, *, currency: str | None = None, locale: str | None = None) -> str:
    """A KPI as its card shows it, by the KPI's unit: "percent" a share with one decimal, "points" one decimal,
    "money" whole units from 1,000 on (cents below), anything else a whole count."""
    if _missing(value):
        return MISSING
    if unit == "percent":
        return percent(value, decimals=1, locale=locale)
    if unit == "points":
        return number(value, decimals=1, locale=locale)
    if unit == "money":
        written = money if abs(value) < 1000 else whole_money
        return written(value, currency=currency, locale=locale)
    return number(value, locale=locale)


def currency_label(label: str, *, currency: str | None = None) -> str:
    """A column or axis title naming the currency its amounts are in: "Revenue (USD)" (Words: said in the reader's
    language with i18n.say)."""
    return Words("{label} ({currency})", label=label, currency=currency or company_currency())


@dataclass(frozen=True)
class AxisMoney:
    """How Plotly writes amounts on an axis in the company's style: `separators` is the layout's decimal then
    group character (".," en_US, ",." de_DE), the symbol goes before (tickprefix) or after (ticksuffix)."""

    separators: str
    tickprefix: str
    ticksuffix: str
    code: str


def axis_money(*, currency: str | None = None, locale: str | None = None) -> AxisMoney:
    """The Plotly axis settings that make tick labels read like `money` (without the cents)."""
    loc = Locale.parse(locale or company_locale())
    code = currency or company_currency()
    symbol = get_currency_symbol(code, locale=loc)
    pattern = parse_pattern(loc.currency_formats["standard"].pattern)
    prefix, suffix = pattern.prefix[0].replace("¤", symbol), pattern.suffix[0].replace("¤", symbol)
    return AxisMoney(separators=get_decimal_symbol(loc) + get_group_symbol(loc), tickprefix=prefix, ticksuffix=suffix,
                     code=code)
