"""Saved views: a user's named filters of a list page (/customers, /orders, /pipeline, /inbox).

A view is the page's route and its URL filters ({URL key: value}), checked by the page when saved and again when
opened. Each user has their own views; an admin may share one with everybody, and then it is read-only for the
others. Only its owner renames or deletes a view. Names are unique per user and page, whatever their case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, func, select

from crm_app import routes
from crm_app.data.models import SavedView, User, utcnow
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.validation import unstorable
from crm_app.i18n import gettext

PAGES = (routes.CUSTOMERS, routes.ORDERS, routes.PIPELINE, routes.INBOX)
NAME_LENGTH = 60
# Views one user keeps per page; a page's menu stays a menu.
MAX_VIEWS_PER_PAGE = 30
# What a page's filters can hold at most: a view never stores more than a URL of that page would.
MAX_FILTERS, MAX_KEY_LENGTH, MAX_VALUE_LENGTH = 20, 40, 200


class ViewRejected(ValueError):
    """The view cannot be saved as sent. The message is for the form."""


@dataclass(frozen=True)
class ViewChoice:
    """One entry of a page's view menu."""

    id: int
    name: str
    filters: dict[str, str]
    shared: bool
    own: bool
    owner_name: str


def clean_name(name: Any) -> str:
    """The view's name as stored: trimmed, inner runs of spaces made one; ViewRejected when empty or too long."""
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if not 1 <= len(text) <= NAME_LENGTH or unstorable(text):
        raise ViewRejected(gettext("Name the view in 1 to {limit} characters.", limit=NAME_LENGTH))
    return text


def _clean_filters(filters: Any) -> dict[str, str]:
    """The page state has checked each value against the page's filters; this keeps a hostile or buggy caller from
    storing anything that is not a small {text: text} map."""
    if not isinstance(filters, dict) or len(filters) > MAX_FILTERS or not all(
        isinstance(key, str) and isinstance(value, str) and 0 < len(key) <= MAX_KEY_LENGTH
        and len(value) <= MAX_VALUE_LENGTH and not unstorable(key) and not unstorable(value)
        for key, value in filters.items()
    ):
        raise ViewRejected(gettext("These filters cannot be saved as a view."))
    return dict(filters)


def _page(page: Any) -> str:
    if page not in PAGES:
        raise NotFound(gettext("No such page."))
    return page


def views_for(*, session: Session, actor: Actor, page: str) -> list[ViewChoice]:
    """The actor's own views of `page`, then those shared by others, each by name (case-insensitive)."""
    rows = session.exec(
        select(SavedView, User.full_name).join(User, User.id == SavedView.owner_id)
        .where(SavedView.page == _page(page), (SavedView.owner_id == actor.id) | SavedView.shared.is_(True))
        .order_by((SavedView.owner_id != actor.id), func.lower(SavedView.name), SavedView.id)
    ).all()
    return [ViewChoice(id=view.id, name=view.name, filters=dict(view.filters), shared=view.shared,
                       own=view.owner_id == actor.id, owner_name=owner) for view, owner in rows]


def view_for(*, session: Session, actor: Actor, page: str, view_id: int) -> SavedView:
    """A view of `page` the actor may open: their own or a shared one."""
    view = session.get(SavedView, view_id)
    if view is None or view.page != _page(page) or not (view.owner_id == actor.id or view.shared):
        raise NotFound(gettext("No such saved view."))
    return view


def _own_view(session: Session, actor: Actor, page: str, view_id: int) -> SavedView:
    view = view_for(session=session, actor=actor, page=page, view_id=view_id)
    if view.owner_id != actor.id:
        raise PermissionDenied(gettext("This view is shared with you: it is read-only. Save the filters as your "
                                       "own view."))
    return view


def _refuse_taken_name(session: Session, actor: Actor, page: str, name: str, except_id: int | None = None) -> None:
    statement = select(SavedView.id).where(SavedView.owner_id == actor.id, SavedView.page == page,
                                           func.lower(SavedView.name) == name.lower())
    if except_id is not None:
        statement = statement.where(SavedView.id != except_id)
    if session.exec(statement).first() is not None:
        raise ViewRejected(gettext("You already have a view called “{name}” on this page: choose another name.",
                                   name=name))


def save_view(*, session: Session, actor: Actor, page: str, name: Any, filters: Any, shared: bool = False) -> SavedView:
    """Save the filters as a new view of the actor's; `shared` (admins only) shows it to everybody."""
    page, name, filters = _page(page), clean_name(name), _clean_filters(filters)
    if shared is not False and not (shared is True and actor.is_admin):
        raise PermissionDenied(gettext("Only admins share views with everybody."))
    _refuse_taken_name(session, actor, page, name)
    kept = session.exec(select(func.count()).select_from(SavedView)
                        .where(SavedView.owner_id == actor.id, SavedView.page == page)).one()
    if kept >= MAX_VIEWS_PER_PAGE:
        raise ViewRejected(gettext("You have {count} views on this page, the most one can keep: delete one first.",
                                   count=kept))
    view = SavedView(owner_id=actor.id, page=page, name=name, filters=filters, shared=shared)
    session.add(view)
    session.flush()
    return view


def rename_view(*, session: Session, actor: Actor, page: str, view_id: int, name: Any) -> SavedView:
    """Rename one of the actor's own views."""
    view = _own_view(session, actor, page, view_id)
    view.name = clean_name(name)
    _refuse_taken_name(session, actor, view.page, view.name, except_id=view.id)
    view.updated_at = utcnow()
    session.add(view)
    session.flush()
    return view


def delete_view(*, session: Session, actor: Actor, page: str, view_id: int) -> str:
    """Delete one of the actor's own views; returns its name."""
    view = _own_view(session, actor, page, view_id)
    session.delete(view)
    session.flush()
    return view.name
