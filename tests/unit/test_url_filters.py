"""The one URL-filter mechanism (crm_app/states/url_filters.py): one validation rule for what a link carries and for
what a filter control sends, the same on the orders, customers, pipeline, cockpit and inbox pages."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

from crm_app.states.cockpit import CockpitState
from crm_app.states.inbox import InboxState
from crm_app.states.orders import OrdersState
from crm_app.states.pipeline import PipelineState
from crm_app.states.url_filters import UrlFilters, UrlParam, as_month, pushed_url


def page_for(state: type, query: dict[str, str], **vars_: object) -> SimpleNamespace:
    """A stand-in for a page state: its declared parameters, the mixin's methods and the page's own hooks."""
    page = SimpleNamespace(URL_ROUTE=state.URL_ROUTE, URL_PARAMS=state.URL_PARAMS,
                           router=SimpleNamespace(url=SimpleNamespace(query_parameters=query)), **vars_)
    for name in ("_url", "_url_for", "_url_query", "_url_of", "_url_param", "_checked", "_read_url_filters",
                 "_set_url_filters", "_go", "_url_values", "_url_choices"):
        method = getattr(state, name) if name in ("_url_values", "_url_choices") else getattr(UrlFilters, name)
        setattr(page, name, method.__get__(page))
    return page


def test_each_kind_keeps_a_valid_value_and_falls_back_otherwise():
    choice = UrlParam("status", choices=("paid", "refunded"))
    assert choice.clean("paid", choice.choices) == "paid"
    assert choice.clean("PAID", choice.choices) == "any"
    assert choice.clean(["paid"], choice.choices) == "any"
    day = UrlParam("from", kind="day")
    assert day.clean("2026-02-28", ()) == "2026-02-28"
    assert day.clean("2026-02-30", ()) == ""
    assert day.clean("9999-12-31", ()) == ""
    assert UrlParam("month", kind="month").clean("2026-11", ()) == "2026-11"
    assert UrlParam("month", kind="month").clean("2026-13", ()) == ""
    assert as_month(202611) == ""
    owner = UrlParam("owner", kind="id")
    assert owner.clean("42", ()) == "42"
    assert [owner.clean(v, ()) for v in ("0", "-3", "4.2", True, 2**63)] == ["any"] * 5
    text = UrlParam("q", kind="text", max_length=5)
    assert text.clean("  abcdefgh", ()) == "abc"
    assert text.clean(None, ()) == ""
    page = UrlParam("page", kind="page")
    assert [page.clean(v, ()) for v in ("3", "0", "x", None)] == [3, 1, 1, 1]
    assert UrlParam("sort", choices=("name", "region"), fallback="name").clean("id; drop", ("name",)) == "name"


def test_the_orders_page_reads_a_hand_edited_link_value_by_value():
    page = page_for(OrdersState, {"from": "2026-01-05", "to": "2026-02-31", "status": "refunded",
                                  "category": "Weapons", "customer": "-7", "q": " Acme ", "page": "4"},
                    categories=["Books", "Garden"])
    page._read_url_filters()
    assert (page.ordered_from, page.ordered_to, page.status, page.category, page.customer, page.search,
            page.page) == ("2026-01-05", "", "refunded", "any", "", "Acme", 4)


def test_a_new_url_leaves_defaults_out_and_starts_again_at_page_one():
    page = page_for(OrdersState, {}, ordered_from="2026-01-05", ordered_to="", status="any", category="Books",
                    customer="12", search="", page=4, categories=["Books"])
    url = page._url(status="paid")
    assert urlsplit(url).path == "/orders"
    assert dict(parse_qsl(urlsplit(url).query)) == {"from": "2026-01-05", "status": "paid", "category": "Books",
                                                    "customer": "12"}
    assert dict(parse_qsl(urlsplit(page._url(page=2)).query))["page"] == "2"
    assert page._url(customer="", category="any", ordered_from="") == "/orders?from=2026-01-05"


def test_the_inbox_filters_live_in_its_url_and_a_topic_must_be_one_the_model_found():
    page = page_for(InboxState, {"nps_band": "detractor", "csat": "6", "topic": "Delivery", "owner": "9",
                                 "from": "2026-03-01", "page": "2"},
                    topic_choices=["Delivery", "Price"], owners=[{"id": "3", "name": "Rep"}])
    page._read_url_filters()
    assert (page.nps_band, page.csat, page.sentiment, page.topic, page.status, page.owner, page.submitted_from,
            page.submitted_to, page.page) == ("detractor", "any", "any", "Delivery", "any", "any", "2026-03-01", "", 2)
    assert page._url(status="resolved") == "/inbox?nps_band=detractor&topic=Delivery&status=resolved&from=2026-03-01"
    assert page._url_param("page").settable is False


def test_the_pipeline_offers_the_win_model_weights_only_once_fitted():
    unfitted = page_for(PipelineState, {"weight": "model", "month": "2026-07"}, regions=[], win_model_fitted="")
    unfitted._read_url_filters()
    assert (unfitted.weight, unfitted.month) == ("stage", "2026-07")
    fitted = page_for(PipelineState, {"weight": "model"}, regions=[], win_model_fitted="2026-12-01 06:00 UTC")
    fitted._read_url_filters()
    assert fitted.weight == "model"
    assert fitted._url() == "/pipeline?weight=model"


def test_the_cockpit_writes_days_only_for_a_custom_period():
    values = dict(preset="last_90_days", date_from="2026-09-01", date_to="2026-11-29", compare="previous_period",
                  region="EMEA", segment="any", category="any", channel="any", rep="any", stage="any",
                  choices={"region": ["EMEA"]})
    assert page_for(CockpitState, {}, **values)._url() == "/cockpit?region=EMEA"
    assert page_for(CockpitState, {}, **values)._url(period="custom") == (
        "/cockpit?period=custom&from=2026-09-01&to=2026-11-29&region=EMEA")


def _argument(event, name: str) -> object:
    return next(value._var_value for key, value in event.args if key._js_expr == name)


def test_a_filter_change_on_the_cockpit_recomputes_in_place_and_pushes_its_url():
    """One round trip: the vars are set exactly as loading the new URL would set them (a preset's days are left
    to the preset), the page recomputes in the same event, and the URL goes onto the browser's history."""
    page = page_for(CockpitState, {}, preset="custom", date_from="2026-09-01", date_to="2026-09-30",
                    compare="previous_period", region="EMEA", segment="any", category="any", channel="any",
                    rep="any", stage="any", choices={"region": ["EMEA", "APAC"]}, URL_IN_PLACE=True)
    shown = []
    page._show_url_filters = lambda: shown.append((page.preset, page.date_from, page.date_to, page.region))
    push, *rest = page._go(region="APAC", period="last_30_days")
    assert shown == [("last_30_days", "", "", "APAC")] and rest == []
    script = _argument(push, "javascript_code")
    assert script.startswith("window.history.pushState(")
    assert pushed_url(script) == "/cockpit?period=last_30_days&region=APAC"


def test_a_filter_change_elsewhere_is_a_redirect_to_the_new_url():
    page = page_for(OrdersState, {}, ordered_from="", ordered_to="", status="any", category="any", customer="",
                    search="", page=3, categories=[], URL_IN_PLACE=False)
    redirect = page._go(status="paid")
    assert _argument(redirect, "path") == "/orders?status=paid"
    assert page.status == "any"  # the new URL's load sets it


def test_a_saved_view_opens_only_what_its_page_still_accepts():
    """A view's stored filters are checked again when it is opened: a category gone from the catalogue, a bad
    day or an unknown key falls back to "any", and the other filters on screen are replaced, not kept."""
    page = page_for(OrdersState, {}, ordered_from="2025-01-01", ordered_to="", status="refunded", category="Books",
                    customer="", search="old search", page=3, categories=["Books", "Garden"])
    stored = {"status": "paid", "category": "Weapons", "to": "2026-02-31", "q": "Acme", "evil": "1"}
    assert dict(parse_qsl(urlsplit(page._url_of(stored)).query)) == {"status": "paid", "q": "Acme"}
    assert page._url_of({"category": "Garden", "from": "2026-03-01"}) == "/orders?from=2026-03-01&category=Garden"
    assert page._url_of({}) == "/orders"
