"""When a failed delivery (an email from the mail outbox, a webhook call) is tried again, and when it is given up.

One schedule for every background sender: exponential back-off from 30 seconds, doubling, at most one hour
between attempts, with up to a fifth of random jitter so that many failures at once do not retry in step, and
no attempt later than 24 hours after the first.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
JITTER_SHARE = 0.2


def delay_after(failed_attempts: int) -> timedelta:
    """The wait, without jitter, after `failed_attempts` (1 or more) failures in a row."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts counts from 1")
    doublings = min(failed_attempts - 1, 20)  # 30 s * 2**7 already exceeds an hour; 20 keeps the number small
    return min(FIRST_DELAY * (2 ** doublings), LONGEST_DELAY)


def next_attempt_at(failed_attempts: int, first_attempt_at: datetime, now: datetime,
                    jitter: random.Random | None = None) -> datetime | None:
    """When to try again after `failed_attempts` failures, or None when the 24 hours since the first attempt
    are over (the delivery is then marked failed for good)."""
    wait = delay_after(failed_attempts)
    share = (jitter or random).uniform(0, JITTER_SHARE)
    at = now + wait + wait * share
    if at - first_attempt_at > GIVE_UP_AFTER:
        return None
    return at
