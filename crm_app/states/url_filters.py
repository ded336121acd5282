"""Filters that live in the URL, one mechanism for every list page: a page declares its parameters, the mixin
reads them from the URL into the state's vars, writes the URL for a change, and checks every value the same way
on the way in (URL) and on the way out (set_filter), so a bookmarked or hand-edited link shows what it names or
falls back to "any". A filter change is a redirect to the new URL, whose on_load reads it; a page that sets
URL_IN_PLACE recomputes in the event itself and writes the URL with history.pushState (one round trip instead of
two; the back button's popstate moves the router to the earlier URL, whose on_load reads it as any load does)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
import inspect
import json
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

import reflex as rx

from crm_app.states.auth import staff_event
from crm_app.states.forms import ANY, as_day, as_id

Kind = Literal["choice", "day", "month", "id", "text", "page"]
# An in-place page's new URL onto the browser's history; a fresh key, so the router sees a new location when the
# back button returns to this entry and runs its on_load.
PUSH_URL = "window.history.pushState({...window.history.state, key: Math.random().toString(36).slice(2)}, '', "


def push_url(url: str) -> Any:
    return rx.call_script(f"{PUSH_URL}{json.dumps(url)})")


def pushed_url(script: str) -> str | None:
    """The URL a push_url script writes (for clients that read the server's answer, like the benchmarks)."""
    return json.loads(script[len(PUSH_URL):-1]) if script.startswith(PUSH_URL) else None


def as_month(value: Any) -> str:
    """'2026-11' for a valid year-month from the client, else ""."""
    day = as_day(f"{value}-01") if isinstance(value, str) and len(value) == 7 else None
    return day.isoformat()[:7] if day else ""



def _events(pushed: Any, shown: Any) -> list:
    return [pushed, *(shown if isinstance(shown, list) else [shown] if shown is not None else [])]


async def _after(pushed: Any, shown: Awaitable) -> list:
    """The URL pushed and the events of a page whose recompute is a coroutine (it reaches its substates)."""
    return _events(pushed, await shown)


@dataclass(frozen=True)
class UrlParam:
    """One filter in the URL: `key` there, the state var `field` here (the value as the controls show it)."""

    key: str
    field: str = ""  # defaults to key
    kind: Kind = "choice"
    choices: tuple[str, ...] = ()  # kind "choice": the allowed values; empty = ask the state's _url_choices(key)
    max_length: int = 100  # kind "text"
    fallback: Any = None  # the value that filters nothing, when not the kind's ("any", "", or page 1)
    settable: bool = True  # set_filter may change it (the page number and the search box have their own events)

    @property
    def var(self) -> str:
        return self.field or self.key

    @property
    def default(self) -> Any:
        """The value that filters nothing; it is left out of the URL."""
        if self.fallback is not None:
            return self.fallback
        return {"choice": ANY, "id": ANY, "day": "", "month": "", "text": "", "page": 1}[self.kind]

    def clean(self, raw: Any, choices: Sequence[str]) -> Any:
        """The one validation rule: a value is kept when it is valid for its kind, else it is the default."""
        if self.kind == "choice":
            value = raw if isinstance(raw, str) and raw in choices else None
        elif self.kind == "day":
            day = as_day(raw)
            value = day.isoformat() if day else None
        elif self.kind == "month":
            value = as_month(raw) or None
        elif self.kind == "id":
            number = as_id(raw)
            value = str(number) if number else None
        elif self.kind == "text":
            value = raw[: self.max_length].strip() if isinstance(raw, str) else None
        else:
            value = as_id(raw)
        return self.default if value is None else value


class UrlFilters(rx.State, mixin=True):
    """Mix into a page state that sets URL_ROUTE and URL_PARAMS (and `_url_choices` for choices known at run time)."""

    URL_ROUTE: ClassVar[str] = ""
    URL_PARAMS: ClassVar[tuple[UrlParam, ...]] = ()
    URL_IN_PLACE: ClassVar[bool] = False  # True: the page implements _show_url_filters

    def _show_url_filters(self) -> Any:
        """An in-place page recomputes what it shows from its filter vars (its on_load, minus reading the URL)."""
        raise NotImplementedError

    def _url_choices(self, key: str) -> Sequence[str]:
        """The allowed values of a "choice" parameter declared without fixed choices."""
        return ()

    def _url_param(self, key: Any) -> UrlParam | None:
        return next((p for p in self.URL_PARAMS if p.key == key), None)

    def _checked(self, param: UrlParam, raw: Any) -> Any:
        return param.clean(raw, param.choices or self._url_choices(param.key))

    def _read_url_filters(self) -> None:
        """Set each declared var from the URL, checked."""
        self._set_url_filters(self.router.url.query_parameters)

    def _set_url_filters(self, query: Any) -> None:
        for param in self.URL_PARAMS:
            setattr(self, param.var, self._checked(param, query.get(param.key)))

    def _url_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """A page's last word on the values written to the URL (the cockpit drops from/to of a preset)."""
        return values

    def _url_query(self, **changes: Any) -> dict[str, Any]:
        """The URL's query: the current filters with `changes` (by URL key), defaults left out."""
        values = {p.key: getattr(self, p.var) for p in self.URL_PARAMS} | changes
        if any(p.kind == "page" for p in self.URL_PARAMS) and "page" not in changes:
            values["page"] = 1  # a new filter starts at the first page
        values = self._url_values(values)
        return {key: value for key, value in values.items()
                if (param := self._url_param(key)) is not None and value != param.default and value not in ("", None)}

    def _url(self, **changes: Any) -> str:
        """This page's URL with the current filters and `changes` (by URL key); defaults are left out."""
        return self._url_for(self._url_query(**changes))

    def _url_for(self, query: dict[str, Any]) -> str:
        return self.URL_ROUTE + ("?" + urlencode(query) if query else "")

    def _go(self, **changes: Any) -> Any:
        """Show this page with the current filters and `changes` (by URL key): a redirect to the new URL, or on
        an in-place page the vars set exactly as loading that URL would set them, the page recomputed, and the
        URL pushed onto the browser's history (awaitable when the page's recompute is a coroutine)."""
        query = self._url_query(**changes)
        if not self.URL_IN_PLACE:
            return rx.redirect(self._url_for(query))
        self._set_url_filters(query)
        pushed, shown = push_url(self._url_for(query)), self._show_url_filters()
        return _after(pushed, shown) if inspect.isawaitable(shown) else _events(pushed, shown)

    def _url_of(self, filters: dict[str, Any]) -> str:
        """This page's URL showing exactly `filters` (by URL key), each checked as if it came from the URL."""
        checked = {p.key: self._checked(p, filters.get(p.key)) for p in self.URL_PARAMS}
        return self._url(**checked)

    @staff_event()
    def set_filter(self, name: str, value: str) -> Any:
        param = self._url_param(name)
        if param is None or not param.settable or not isinstance(value, str):
            return None
        return self._go(**{name: self._checked(param, value)})

    @staff_event()
    def reset_filters(self) -> Any:
        return self._go(**{param.key: param.default for param in self.URL_PARAMS})
