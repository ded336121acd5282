import random
from datetime import datetime, timedelta

import pytest

from crm_app.retry_schedule import GIVE_UP_AFTER, delay_after, next_attempt_at

T0 = datetime(2026, 12, 5, 12, 0, 0)


@pytest.mark.parametrize(("failures", "seconds"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (50, 3600)])
def test_delay_doubles_from_thirty_seconds_up_to_an_hour(failures, seconds):
    assert delay_after(failures) == timedelta(seconds=seconds)


def test_no_delay_before_a_failure():
    with pytest.raises(ValueError):
        delay_after(0)


def test_jitter_adds_at_most_a_fifth():
    at = next_attempt_at(3, T0, T0, jitter=random.Random(1))
    assert timedelta(seconds=120) <= at - T0 <= timedelta(seconds=144)


def test_gives_up_twenty_four_hours_after_the_first_attempt():
    late = T0 + GIVE_UP_AFTER - timedelta(minutes=30)
    assert next_attempt_at(30, T0, late, jitter=random.Random(1)) is None
    assert next_attempt_at(30, T0, T0 + timedelta(hours=20), jitter=random.Random(1)) is not None
