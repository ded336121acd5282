"""Survey answers are stored once, personal links work once, detractors get a call-back task; the inbox respects roles."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from crm_app.data.models import (
    Activity, AuditLog, Customer, Feedback, FeedbackChannel, FeedbackStatus, FeedbackSubmission, Role, User,
)
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import feedback as repo
from crm_app.data.repositories.users import actor_of


def answer(submission_id: str = "sub-00000001", **values) -> FeedbackSubmission:
    return FeedbackSubmission.model_validate({"csat": 4, "nps": 9, "submission_id": submission_id, **values})


@pytest.fixture
def people(engine):
    with Session(engine) as session:
        users = {
            name: User(email=f"{name}@example.com", full_name=name.title(), role=role, password_hash="x")
            for name, role in [("admin", Role.admin), ("exec", Role.executive), ("rep", Role.sales_rep),
                               ("other", Role.sales_rep)]
        }
        session.add_all(users.values())
        session.flush()
        customer = Customer(name="Grace Hopper", region="EMEA", segment="SMB", acquisition_channel="event",
                            owner_id=users["rep"].id)
        session.add(customer)
        session.commit()
        return {name: actor_of(user) for name, user in users.items()} | {"customer_id": customer.id}


def test_resending_the_same_submission_stores_one_row(engine):
    with Session(engine) as session:
        first = repo.submit_feedback(session=session, submission=answer(), channel=FeedbackChannel.web)
        again = repo.submit_feedback(session=session, submission=answer(), channel=FeedbackChannel.web)
        session.commit()
        assert (first.created, again.created, again.id) == (True, False, first.id)
        assert len(session.exec(select(Feedback)).all()) == 1


def test_comment_gets_its_sentiment(engine):
    with Session(engine) as session:
        saved = repo.submit_feedback(
            session=session, submission=answer(comment="Terrible service, awful and slow."), channel=FeedbackChannel.api
        )
        stored = session.get(Feedback, saved.id)
        assert stored.sentiment < -0.5 and stored.channel == FeedbackChannel.api


def test_personal_link_attaches_the_customer_and_works_once(engine, people):
    with Session(engine) as session:
        token = repo.issue_invite(session=session, customer_id=people["customer_id"], issued_by_id=people["rep"].id)
        assert repo.open_invite(session=session, token=token).customer_name == "Grace Hopper"
        saved = repo.submit_feedback(session=session, submission=answer(invite=token), channel=FeedbackChannel.web)
        assert session.get(Feedback, saved.id).customer_id == people["customer_id"]
        with pytest.raises(repo.InviteRefused, match="already been used"):
            repo.open_invite(session=session, token=token)
        with pytest.raises(repo.InviteRefused, match="already been used"):
            repo.submit_feedback(session=session, submission=answer("sub-00000002", invite=token),
                                 channel=FeedbackChannel.web)


def test_forged_and_expired_links_are_refused(engine, people, monkeypatch):
    with Session(engine) as session:
        token = repo.issue_invite(session=session, customer_id=people["customer_id"], issued_by_id=None)
        with pytest.raises(repo.InviteRefused, match="not valid"):
            repo.open_invite(session=session, token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
        monkeypatch.setattr(repo, "INVITE_MAX_AGE", repo.timedelta(seconds=-1))
        with pytest.raises(repo.InviteRefused, match="expired"):
            repo.open_invite(session=session, token=token)


def test_detractor_with_a_known_customer_gets_a_task_for_the_owner(engine, people):
    with Session(engine) as session:
        token = repo.issue_invite(session=session, customer_id=people["customer_id"], issued_by_id=None)
        saved = repo.submit_feedback(session=session, submission=answer(nps=3, csat=2, invite=token),
                                     channel=FeedbackChannel.web)
        stored = session.get(Feedback, saved.id)
        task = session.exec(select(Activity)).one()
        assert task.owner_id == people["rep"].id and task.customer_id == people["customer_id"]
        assert task.subject == "Call back Grace Hopper: NPS 3, CSAT 2"
        assert task.due_at.date() == repo.next_working_day(stored.submitted_at.date())
        assert task.due_at.hour == 9


def test_anonymous_detractor_and_known_promoter_get_no_task(engine, people):
    with Session(engine) as session:
        token = repo.issue_invite(session=session, customer_id=people["customer_id"], issued_by_id=None)
        repo.submit_feedback(session=session, submission=answer(nps=10, csat=5, invite=token), channel=FeedbackChannel.web)
        repo.submit_feedback(session=session, submission=answer("sub-00000009", nps=0, csat=1), channel=FeedbackChannel.web)
        assert session.exec(select(Activity)).all() == []


@pytest.mark.parametrize("day, expected", [(date(2026, 11, 23), date(2026, 11, 24)),  # Monday -> Tuesday
                                           (date(2026, 11, 27), date(2026, 11, 30)),  # Friday -> Monday
                                           (date(2026, 11, 28), date(2026, 11, 30))])  # Saturday -> Monday
def test_next_working_day(day, expected):
    assert repo.next_working_day(day) == expected


def _inbox(session, actor, **filters):
    return repo.inbox_page(session=session, actor=actor, filters=repo.FeedbackFilters(**filters))


def test_inbox_visibility_follows_ownership(engine, people):
    with Session(engine) as session:
        token = repo.issue_invite(session=session, customer_id=people["customer_id"], issued_by_id=None)
        mine = repo.submit_feedback(session=session, submission=answer(invite=token), channel=FeedbackChannel.web).id
        anonymous = repo.submit_feedback(session=session, submission=answer("sub-00000002"), channel=FeedbackChannel.web).id
        session.commit()
        assert [r.id for r in _inbox(session, people["exec"]).rows] == [anonymous, mine]
        assert [r.id for r in _inbox(session, people["rep"]).rows] == [mine]
        assert _inbox(session, people["other"]).rows == []


def test_inbox_filters_by_band_csat_and_date(engine, people):
    with Session(engine) as session:
        for i, (csat, nps) in enumerate([(5, 10), (4, 8), (2, 3), (1, 0)]):
            repo.submit_feedback(session=session, submission=answer(f"sub-0000000{i}", csat=csat, nps=nps),
                                 channel=FeedbackChannel.web)
        session.commit()
        admin = people["admin"]
        assert sorted(r.nps for r in _inbox(session, admin, nps_band="detractor").rows) == [0, 3]
        assert [r.nps for r in _inbox(session, admin, nps_band="passive").rows] == [8]
        assert [r.csat for r in _inbox(session, admin, csat=5).rows] == [5]
        today = datetime.now(UTC).date()
        assert _inbox(session, admin, submitted_from=today, submitted_to=today).total == 4
        assert _inbox(session, admin, submitted_to=date(2020, 1, 1)).total == 0
        page = _inbox(session, admin)
        assert sorted(page.scores["nps"].tolist()) == [0, 3, 8, 10]


def test_workflow_changes_are_audited_and_executives_cannot_write(engine, people):
    with Session(engine) as session:
        saved = repo.submit_feedback(session=session, submission=answer(), channel=FeedbackChannel.web)
        repo.update_feedback(session=session, actor=people["admin"], feedback_id=saved.id,
                             status=FeedbackStatus.in_progress, assignee_id=people["rep"].id)
        repo.add_note(session=session, actor=people["admin"], feedback_id=saved.id, body="Called, will resolve.")
        with pytest.raises(PermissionDenied):
            repo.update_feedback(session=session, actor=people["exec"], feedback_id=saved.id,
                                 status=FeedbackStatus.resolved)
        with pytest.raises(NotFound):
            repo.update_feedback(session=session, actor=people["other"], feedback_id=saved.id,
                                 status=FeedbackStatus.resolved)
        # Assigned to the rep, so the rep now sees and may resolve it.
        repo.update_feedback(session=session, actor=people["rep"], feedback_id=saved.id, status=FeedbackStatus.resolved)
        session.commit()
        changes = session.exec(
            select(AuditLog.action, AuditLog.old_values, AuditLog.new_values)
            .where(AuditLog.entity == "feedback", AuditLog.action != "submit").order_by(AuditLog.id)
        ).all()
        assert changes[0] == ("update", {"status": "new", "assignee_id": None},
                              {"status": "in_progress", "assignee_id": people["rep"].id})
        assert changes[1][0] == "note"
        assert changes[2] == ("update", {"status": "in_progress"}, {"status": "resolved"})
        notes = repo.notes_for(session=session, actor=people["rep"], feedback_id=saved.id)
        assert [(note.body, author) for note, author in notes] == [("Called, will resolve.", "Admin")]


def test_refit_tags_each_comment_and_records_the_run(engine):
    texts = ["late delivery of the parcel", "parcel delivery late again", "price too high on the invoice",
             "invoice price is unfair", None]
    with Session(engine) as session:
        ids = [repo.submit_feedback(session=session, submission=answer(f"sub-0000000{i}", comment=text),
                                    channel=FeedbackChannel.web).id for i, text in enumerate(texts)]
        run = repo.refit_topics(session=session, n_topics=2)
        topics = [session.get(Feedback, i).topic for i in ids]
    assert (run.model, run.rows) == ("feedback_topics", 4)
    assert sorted(run.summary["topics"]) == sorted(set(topics[:4]))
    assert topics[0] == topics[1] != topics[2] == topics[3] and topics[4] is None


def test_topics_are_stored_per_comment(engine):
    with Session(engine) as session:
        ids = [repo.submit_feedback(session=session, submission=answer(f"sub-0000000{i}", comment=text),
                                    channel=FeedbackChannel.web).id
               for i, text in enumerate(["late delivery", "high price", None])]
        changed = repo.store_topics(session=session, topics=repo.pd.Series(["delivery", "price"], index=ids[:2]))
        assert changed == 2
        assert [session.get(Feedback, i).topic for i in ids] == ["delivery", "price", None]


def test_batch_stores_each_new_answer_once_and_reports_repeats(engine):
    with Session(engine) as session:
        earlier = repo.submit_feedback(session=session, submission=answer("sub-earlier1"), channel=FeedbackChannel.api)
        results = repo.submit_anonymous_batch(
            session=session, channel=FeedbackChannel.api,
            submissions=[answer("sub-batch-01", comment="Great, thanks!"), answer("sub-earlier1"),
                         answer("sub-batch-02", nps=2, csat=1), answer("sub-batch-01")],
        )
        session.commit()
        stored = session.exec(select(Feedback).order_by(Feedback.id)).all()
        audits = session.exec(select(AuditLog.entity_id).where(AuditLog.action == "submit").order_by(AuditLog.id)).all()
    assert [r.created for r in results] == [True, False, True, False]
    assert results[1].id == earlier.id and results[3].id == results[0].id
    assert [f.client_submission_id for f in stored] == ["sub-earlier1", "sub-batch-01", "sub-batch-02"]
    assert stored[1].sentiment > 0.5 and stored[2].nps == 2
    assert audits == [f.id for f in stored]


def test_batch_refuses_personal_links(engine):
    with Session(engine) as session, pytest.raises(ValueError):
        repo.submit_anonymous_batch(session=session, channel=FeedbackChannel.api,
                                    submissions=[answer(invite="some-token")])
