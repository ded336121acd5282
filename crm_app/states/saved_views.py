"""Saved views on a list page: the filters on screen saved under a name, listed in the page's view menu, opened,
renamed and deleted. Mixed into the page states of /customers, /orders, /pipeline and /inbox next to UrlFilters:
a view holds the page's URL filters, checked by the page's own rule when saved and again when opened."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n
from crm_app.data.db import read_session, write_session
from crm_app.data.repositories import saved_views
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import as_id

# Which dialog of the view menu is open.
VIEW_DIALOGS = ("", "save", "manage")


class SavedViews(rx.State, mixin=True):
    """Mix into a UrlFilters page state and call `_load_saved_views()` from its load."""

    saved_views: list[dict[str, str]] = []
    # The name of the saved view whose filters are on screen ("" when none).
    current_view: str = ""
    can_share_views: bool = False
    view_dialog: str = ""
    view_error: str = ""
    # A new key after each save or rename gives the forms their stored values again.
    views_key: int = 0

    def _screen_filters(self) -> dict[str, str]:
        """The filters on screen, by URL key, without the page number (a view shows its first page)."""
        query = self._url_query()  # type: ignore[attr-defined]  (UrlFilters)
        return {key: str(value) for key, value in query.items() if key != "page"}

    def _load_saved_views(self) -> None:
        actor = current_actor()
        with read_session() as session:
            views = saved_views.views_for(session=session, actor=actor, page=self.URL_ROUTE)  # type: ignore[attr-defined]
        on_screen = self._screen_filters()
        self.saved_views = [
            {"id": str(view.id), "name": view.name, "own": "yes" if view.own else "",
             "shared": "yes" if view.shared else "",
             "note": (i18n.gettext("shared with everybody") if view.own
                      else i18n.gettext("shared by {name}", name=view.owner_name)) if view.shared else ""}
            for view in views
        ]
        self.current_view = next((view.name for view in views if view.filters == on_screen), "")
        self.can_share_views = actor.is_admin

    @staff_event()
    def show_view_dialog(self, which: str) -> None:
        self.view_dialog = which if which in VIEW_DIALOGS else ""
        self.view_error = ""

    @staff_event()
    def open_view(self, view_id: str) -> Any:
        """Show the view's filters: its stored values are checked again, as any URL of the page would be."""
        target = as_id(view_id)
        if target is None:
            return None
        with read_session() as session:
            view = saved_views.view_for(session=session, actor=current_actor(), page=self.URL_ROUTE,  # type: ignore[attr-defined]
                                        view_id=target)
            filters = dict(view.filters)
        return rx.redirect(self._url_of(filters))  # type: ignore[attr-defined]

    @staff_event()
    def save_view(self, form_data: dict) -> Any:
        form = form_data if isinstance(form_data, dict) else {}
        shared = form.get("shared") in ("on", True)
        with write_session() as session:
            try:
                view = saved_views.save_view(session=session, actor=current_actor(), page=self.URL_ROUTE,  # type: ignore[attr-defined]
                                             name=form.get("name"), filters=self._screen_filters(), shared=shared)
            except saved_views.ViewRejected as refusal:
                self.view_error = str(refusal)
                return None
            name = view.name
        self.view_dialog, self.view_error = "", ""
        self.views_key += 1
        self._load_saved_views()
        return rx.toast.success(i18n.gettext("View “{name}” saved.", name=name))

    @staff_event()
    def rename_view(self, form_data: dict) -> Any:
        form = form_data if isinstance(form_data, dict) else {}
        target = as_id(form.get("id"))
        if target is None:
            return None
        with write_session() as session:
            try:
                view = saved_views.rename_view(session=session, actor=current_actor(), page=self.URL_ROUTE,  # type: ignore[attr-defined]
                                               view_id=target, name=form.get("name"))
            except saved_views.ViewRejected as refusal:
                self.view_error = str(refusal)
                return None
            name = view.name
        self.view_error = ""
        self.views_key += 1
        self._load_saved_views()
        return rx.toast.success(i18n.gettext("View renamed to “{name}”.", name=name))

    @staff_event()
    def delete_view(self, view_id: str) -> Any:
        target = as_id(view_id)
        if target is None:
            return None
        with write_session() as session:
            name = saved_views.delete_view(session=session, actor=current_actor(), page=self.URL_ROUTE,  # type: ignore[attr-defined]
                                           view_id=target)
        self.view_error = ""
        self._load_saved_views()
        return rx.toast.success(i18n.gettext("View “{name}” deleted.", name=name))
