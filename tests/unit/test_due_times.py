"""Due times on the user's clock: exact instants for the default due time and each one-click reschedule,
including both sides of a daylight-saving change (Berlin: 29 March and 25 October 2026; New York: 8 March 2026)."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, time, timedelta

import pytest

from crm_app.due_times import (
    Reschedule, at_wall_clock, known_time_zone, next_working_hour, rescheduled_due, wall_clock,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(("now", "zone", "expected"), [
    (utc(2026, 3, 11, 10, 20), "UTC", utc(2026, 3, 11, 11, 0)),          # Wednesday: the next full hour
    (utc(2026, 3, 11, 10, 0), "UTC", utc(2026, 3, 11, 11, 0)),           # on the hour: the next one, never now
    (utc(2026, 3, 11, 16, 30), "UTC", utc(2026, 3, 11, 17, 0)),          # 17:00 is still a working hour
    (utc(2026, 3, 11, 17, 0), "UTC", utc(2026, 3, 12, 9, 0)),            # after hours: next day 09:00
    (utc(2026, 3, 11, 7, 30), "UTC", utc(2026, 3, 11, 9, 0)),            # before hours: the same day 09:00
    (utc(2026, 3, 11, 8, 0), "UTC", utc(2026, 3, 11, 9, 0)),
    (utc(2026, 3, 13, 17, 10), "UTC", utc(2026, 3, 16, 9, 0)),           # Friday evening: Monday
    (utc(2026, 3, 14, 10, 0), "UTC", utc(2026, 3, 16, 9, 0)),            # Saturday: Monday
    (utc(2026, 3, 6, 22, 30), "America/New_York", utc(2026, 3, 9, 13, 0)),  # Fri 17:30 EST -> Mon 09:00 EDT
    (utc(2026, 3, 11, 23, 30), "Asia/Tokyo", utc(2026, 3, 12, 0, 0)),    # Thu 08:30 JST -> 09:00 JST
])
def test_next_working_hour(now, zone, expected):
    assert next_working_hour(now, zone) == expected


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_next_working_hour_is_always_ahead_and_within_working_hours(zone):
    now = utc(2026, 3, 1)
    while now < utc(2026, 4, 5):  # across the spring DST changes of Berlin and New York
        due = next_working_hour(now, zone)
        local = wall_clock(due, zone)
        assert now < due <= now + timedelta(days=3, hours=16), (now, due)
        assert local.weekday() < 5 and time(9) <= local.time() <= time(17) and local.minute == 0, (now, local)
        now += timedelta(minutes=37)


@pytest.mark.parametrize(("choice", "now", "zone", "expected"), [
    (Reschedule.later_today, utc(2026, 3, 11, 10, 7, 30), "UTC", utc(2026, 3, 11, 13, 15)),
    (Reschedule.later_today, utc(2026, 3, 11, 10, 0), "UTC", utc(2026, 3, 11, 13, 0)),
    # Three real hours across Berlin's spring change: 01:30 CET is followed by 05:30 CEST.
    (Reschedule.later_today, utc(2026, 3, 29, 0, 30), "Europe/Berlin", utc(2026, 3, 29, 3, 30)),
    # Saturday 20:00 CET -> Sunday 09:00 CEST, the day the clocks go forward.
    (Reschedule.tomorrow, utc(2026, 3, 28, 19, 0), "Europe/Berlin", utc(2026, 3, 29, 7, 0)),
    # Saturday 24 October 10:00 CEST -> Sunday 09:00 CET, the day the clocks go back.
    (Reschedule.tomorrow, utc(2026, 10, 24, 8, 0), "Europe/Berlin", utc(2026, 10, 25, 8, 0)),
    # The same instant is Sunday morning in Tokyo and Saturday afternoon in Los Angeles.
    (Reschedule.tomorrow, utc(2026, 3, 14, 23, 30), "Asia/Tokyo", utc(2026, 3, 16, 0, 0)),
    (Reschedule.tomorrow, utc(2026, 3, 14, 23, 30), "America/Los_Angeles", utc(2026, 3, 15, 16, 0)),
    # Friday 23 October 10:00 CEST -> Monday 26 October 09:00 CET.
    (Reschedule.next_monday, utc(2026, 10, 23, 8, 0), "Europe/Berlin", utc(2026, 10, 26, 8, 0)),
    (Reschedule.next_monday, utc(2026, 3, 2, 8, 0), "UTC", utc(2026, 3, 9, 9, 0)),   # on a Monday: the next one
    (Reschedule.next_monday, utc(2026, 3, 8, 23, 0), "UTC", utc(2026, 3, 9, 9, 0)),  # Sunday night: tomorrow
])
def test_rescheduled_due(choice, now, zone, expected):
    assert rescheduled_due(choice, now, zone) == expected


def test_a_wall_time_skipped_by_dst_reads_an_hour_later():
    # 02:30 does not exist in Berlin on 29 March 2026; fold=0 takes the CET offset: 01:30 UTC = 03:30 CEST.
    assert at_wall_clock(datetime(2026, 3, 29).date(), time(2, 30), "Europe/Berlin") == utc(2026, 3, 29, 1, 30)


@pytest.mark.parametrize(("name", "expected"), [
    ("Europe/Berlin", "Europe/Berlin"), ("UTC", "UTC"), ("Mars/Olympus", None), ("../../etc/passwd", None),
    ("", None), (None, None), (5, None), (["UTC"], None),
])
def test_known_time_zone(name, expected):
    assert known_time_zone(name) == expected


def test_an_unknown_stored_zone_reads_as_utc():
    assert wall_clock(utc(2026, 3, 11, 10, 0), "Nowhere/Atlantis").isoformat() == "2026-03-11T10:00:00+00:00"


def test_a_stored_naive_time_is_utc_whatever_the_servers_own_zone(monkeypatch):
    # The database returns stored times without a zone; they are UTC even on a server whose clock is New York's.
    monkeypatch.setenv("TZ", "America/New_York")
    clock.tzset()
    try:
        assert wall_clock(datetime(2026, 3, 11, 10, 0), "Europe/Berlin").isoformat() == "2026-03-11T11:00:00+01:00"
    finally:
        monkeypatch.undo()
        clock.tzset()
