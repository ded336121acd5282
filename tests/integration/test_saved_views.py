"""Saved views on SQLite and PostgreSQL: one's own and shared views, names checked, read-only for others."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from crm_app.data.models import SavedView
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import saved_views
from crm_app.data.repositories.saved_views import ViewRejected
from crm_app.data.repositories.users import actor_of
from tests.conftest import add_staff


@pytest.fixture
def people(engine):
    with Session(engine) as session:
        staff = add_staff(session)
        session.commit()
        return {name: actor_of(user) for name, user in staff.items()}


def _save(engine, actor, name, filters, page="/customers", shared=False) -> int:
    with Session(engine) as session:
        view = saved_views.save_view(session=session, actor=actor, page=page, name=name, filters=filters,
                                     shared=shared)
        session.commit()
        return view.id


def _menu(engine, actor, page="/customers") -> list[tuple[str, bool, bool, str]]:
    with Session(engine) as session:
        return [(v.name, v.own, v.shared, v.owner_name)
                for v in saved_views.views_for(session=session, actor=actor, page=page)]


def test_each_user_sees_their_own_views_then_the_shared_ones(engine, people):
    _save(engine, people["rep"], "EMEA big accounts", {"region": "EMEA", "segment": "Enterprise"})
    _save(engine, people["rep"], "at risk", {"open_deals": "no"})
    _save(engine, people["other"], "Mine only", {"region": "APAC"})
    _save(engine, people["admin"], "Team: new this month", {"sort": "created", "order": "desc"}, shared=True)
    _save(engine, people["rep"], "Paid orders", {"status": "paid"}, page="/orders")

    assert _menu(engine, people["rep"]) == [("at risk", True, False, "Rep"), ("EMEA big accounts", True, False, "Rep"),
                                            ("Team: new this month", False, True, "Admin")]
    assert _menu(engine, people["other"]) == [("Mine only", True, False, "Other"),
                                              ("Team: new this month", False, True, "Admin")]
    assert _menu(engine, people["admin"]) == [("Team: new this month", True, True, "Admin")]
    assert _menu(engine, people["rep"], "/orders") == [("Paid orders", True, False, "Rep")]
    with Session(engine) as session:
        stored = session.exec(select(SavedView).where(SavedView.name == "EMEA big accounts")).one()
        assert (stored.page, stored.filters) == ("/customers", {"region": "EMEA", "segment": "Enterprise"})


def test_names_are_checked_and_unique_per_user_and_page(engine, people):
    _save(engine, people["rep"], "  Hot   leads ", {"region": "EMEA"})
    assert _menu(engine, people["rep"])[0][0] == "Hot leads"
    for name, message in (
        ("   ", "Name the view in 1 to 60 characters."),
        ("x" * 61, "Name the view in 1 to 60 characters."),
        (None, "Name the view in 1 to 60 characters."),
        ("bad\x00name", "Name the view in 1 to 60 characters."),
        ("HOT LEADS", "You already have a view called “HOT LEADS” on this page: choose another name."),
    ):
        with pytest.raises(ViewRejected) as refused, Session(engine) as session:
            saved_views.save_view(session=session, actor=people["rep"], page="/customers", name=name, filters={})
        assert str(refused.value) == message
    _save(engine, people["rep"], "x" * 60, {})
    _save(engine, people["rep"], "Hot leads", {}, page="/pipeline")  # another page
    _save(engine, people["other"], "Hot leads", {})  # another user
    for filters in ([("region", "EMEA")], {"region": 3}, {"q": "a" * 201}, {f"k{i}": "v" for i in range(21)}):
        with pytest.raises(ViewRejected, match="These filters cannot be saved as a view."), Session(engine) as s:
            saved_views.save_view(session=s, actor=people["rep"], page="/customers", name="odd", filters=filters)
    with pytest.raises(NotFound), Session(engine) as session:
        saved_views.save_view(session=session, actor=people["rep"], page="/admin/users", name="odd", filters={})
    with Session(engine) as session:
        assert len(session.exec(select(SavedView)).all()) == 4


def test_a_user_keeps_at_most_thirty_views_a_page(engine, people):
    for number in range(saved_views.MAX_VIEWS_PER_PAGE):
        _save(engine, people["rep"], f"view {number}", {})
    with pytest.raises(ViewRejected, match="You have 30 views on this page, the most one can keep"), \
            Session(engine) as session:
        saved_views.save_view(session=session, actor=people["rep"], page="/customers", name="one more", filters={})
    _save(engine, people["rep"], "one more", {}, page="/inbox")


def test_only_admins_share_and_a_shared_view_is_read_only_for_others(engine, people):
    for actor in (people["rep"], people["exec"]):
        with pytest.raises(PermissionDenied, match="Only admins share views"), Session(engine) as session:
            saved_views.save_view(session=session, actor=actor, page="/customers", name="for all", filters={},
                                  shared=True)
    shared = _save(engine, people["admin"], "Company view", {"region": "EMEA"}, shared=True)
    private = _save(engine, people["other"], "Other's view", {"region": "APAC"})
    with Session(engine) as session:
        assert saved_views.view_for(session=session, actor=people["rep"], page="/customers",
                                    view_id=shared).filters == {"region": "EMEA"}
        with pytest.raises(NotFound):  # another rep's own view, even by its id
            saved_views.view_for(session=session, actor=people["rep"], page="/customers", view_id=private)
        with pytest.raises(NotFound):  # the view of another page
            saved_views.view_for(session=session, actor=people["admin"], page="/orders", view_id=shared)
        for change in (lambda: saved_views.rename_view(session=session, actor=people["rep"], page="/customers",
                                                       view_id=shared, name="Mine now"),
                       lambda: saved_views.delete_view(session=session, actor=people["rep"], page="/customers",
                                                       view_id=shared)):
            with pytest.raises(PermissionDenied, match="it is read-only"):
                change()
        with pytest.raises(NotFound):
            saved_views.delete_view(session=session, actor=people["rep"], page="/customers", view_id=private)
    assert _menu(engine, people["admin"]) == [("Company view", True, True, "Admin")]
    assert _menu(engine, people["other"]) == [("Other's view", True, False, "Other"),
                                              ("Company view", False, True, "Admin")]


def test_the_owner_renames_and_deletes_their_view(engine, people):
    first = _save(engine, people["rep"], "First", {"region": "EMEA"})
    _save(engine, people["rep"], "Second", {"region": "APAC"})
    with Session(engine) as session:
        with pytest.raises(ViewRejected, match="You already have a view called “second”"):
            saved_views.rename_view(session=session, actor=people["rep"], page="/customers", view_id=first,
                                    name="second")
        session.rollback()
        saved_views.rename_view(session=session, actor=people["rep"], page="/customers", view_id=first,
                                name="first")  # its own name in another case
        session.commit()
    assert [name for name, *_ in _menu(engine, people["rep"])] == ["first", "Second"]
    with Session(engine) as session:
        assert saved_views.delete_view(session=session, actor=people["rep"], page="/customers",
                                       view_id=first) == "first"
        session.commit()
    assert [name for name, *_ in _menu(engine, people["rep"])] == ["Second"]
