"""When a task falls due, on the user's own clock: the default due time of a new task and the one-click reschedules.

Pure functions of an explicit `now` (aware) and an IANA time zone name; results are aware UTC datetimes, which is
how due times are stored. Wall-clock times (09:00, "tomorrow") are taken in the user's zone, so a reschedule to
"tomorrow 09:00" is 09:00 where the user is, on either side of a daylight-saving change.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TIME_ZONE = "UTC"
WORKDAY_START, WORKDAY_END = time(9, 0), time(17, 0)
LATER_TODAY = timedelta(hours=3)
QUARTER_HOUR = timedelta(minutes=15)
MONDAY, SATURDAY = 0, 5


class Reschedule(StrEnum):
    """The one-click moves of a task's due time."""

    later_today = "later_today"      # three hours from now, rounded up to the next quarter hour
    tomorrow = "tomorrow"            # 09:00 tomorrow, in the user's zone
    next_monday = "next_monday"      # 09:00 on the first Monday after today, in the user's zone


RESCHEDULE_LABELS = {
    Reschedule.later_today: "Later today (+3 h)",
    Reschedule.tomorrow: "Tomorrow 09:00",
    Reschedule.next_monday: "Next Monday 09:00",
}


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_time_zone(name: object) -> str | None:
    """`name` when it is an IANA time zone this machine knows (e.g. "Europe/Berlin"), else None."""
    return name if isinstance(name, str) and name in _known_zones() else None


def time_zone_names() -> list[str]:
    """Every IANA time zone this machine knows, sorted: the choices of the user's time zone setting."""
    return sorted(_known_zones())


def zone_of(name: str | None) -> ZoneInfo:
    """The zone named `name`, or UTC when the name is unknown (a stored value is never trusted blindly)."""
    return ZoneInfo(known_time_zone(name) or DEFAULT_TIME_ZONE)


def at_wall_clock(day: date, clock: time, zone: str | None) -> datetime:
    """The UTC instant at which clocks in `zone` show `day` `clock`. In a DST gap (a wall time that does not
    exist) the instant is the one the pre-change offset gives, i.e. the clock reads an hour later (PEP 495, fold=0)."""
    return datetime.combine(day, clock, tzinfo=zone_of(zone)).astimezone(UTC)


def _is_workday(day: date) -> bool:
    return day.weekday() < SATURDAY


def next_working_hour(now: datetime, zone: str | None) -> datetime:
    """The default due time of a new task: the next full hour after `now` on the user's clock, when it falls on a
    weekday from 09:00 to 17:00 inclusive; otherwise 09:00 on the next weekday whose 09:00 is still ahead.
    Always strictly after `now`. Returned in UTC."""
    local = now.astimezone(zone_of(zone))
    next_hour = local.replace(minute=0, second=0, microsecond=0, tzinfo=None) + timedelta(hours=1)
    if _is_workday(next_hour.date()) and WORKDAY_START <= next_hour.time() <= WORKDAY_END:
        return at_wall_clock(next_hour.date(), next_hour.time(), zone)
    day = local.date() if local.time() < WORKDAY_START else local.date() + timedelta(days=1)
    while not _is_workday(day):
        day += timedelta(days=1)
    return at_wall_clock(day, WORKDAY_START, zone)


def rescheduled_due(choice: Reschedule, now: datetime, zone: str | None) -> datetime:
    """The new due time (UTC) of a task moved by `choice` at `now`, for a user in `zone` (see Reschedule)."""
    today = now.astimezone(zone_of(zone)).date()
    if choice == Reschedule.later_today:
        later = now.astimezone(UTC) + LATER_TODAY
        past_quarter = later - datetime.min.replace(tzinfo=UTC)
        remainder = past_quarter % QUARTER_HOUR
        return later + (QUARTER_HOUR - remainder if remainder else timedelta())
    if choice == Reschedule.tomorrow:
        return at_wall_clock(today + timedelta(days=1), WORKDAY_START, zone)
    days_to_monday = (MONDAY - today.weekday()) % 7 or 7
    return at_wall_clock(today + timedelta(days=days_to_monday), WORKDAY_START, zone)


def wall_clock(moment: datetime, zone: str | None) -> datetime:
    """`moment` as the user's clock shows it (an aware datetime in their zone). A naive `moment` is UTC, as the
    database returns stored times (astimezone would take it for the server's local time)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone_of(zone))


def local_today(zone: str | None, now: datetime | None = None) -> date:
    """The calendar day on the user's clock at `now` (default: this instant)."""
    return (now or datetime.now(UTC)).astimezone(zone_of(zone)).date()
