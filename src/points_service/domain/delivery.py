"""Outgoing deliveries: when a failed delivery is tried again, and when an endpoint gives up.

Pure rules, no I/O: the dispatcher (`services.dispatch`) applies them to each attempt.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

# After the nth failed attempt, the next one waits RETRY_DELAYS[n - 1]: about 5 s, 5 min, 30 min,
# 2 h, 5 h, 10 h, 10 h, so 8 attempts over about 28 hours, then the delivery is `failed`.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# An endpoint none of whose deliveries has succeeded for this long is disabled.
DISABLE_AFTER = timedelta(days=5)
# A receiver's answer is read to at most this many bytes (the rest is never read).
MAX_RESPONSE_BYTES = 64 * 1024
# The longest deadline an attempt may have (POINTS_WEBHOOK_TIMEOUT's bound), in seconds.
LONGEST_ATTEMPT = 30.0


def lease_for(timeout: float) -> timedelta:
    """How long a claim holds: twice an attempt's deadline and 5 s (25 s for the default 10 s).

    An attempt ends by its deadline, `timeout` seconds from its start, whatever the receiver
    does (`services.outbound`: the name's resolution, connecting, sending and the answer's
    bounded read all within it), and it starts as soon as it is claimed (the dispatcher never
    claims more than it has idle senders); recording it is one short transaction. So the lease
    outlives the attempt by `timeout` + 5 s of slack for a slow commit or a paused process, and
    is short enough that a delivery cut off by a crash goes out again soon."""
    return timedelta(seconds=2 * timeout + 5)


# A redelivery asked for while a send of the delivery is under way (its lease live) holds the
# delivery this long: past the end of any lease taken before it, whatever the sending process's
# timeout, so no process sends it again before that send is over; and a microsecond past the
# longest, so it never equals the lease of the send under way, whose outcome then only adds its
# attempt (`services.endpoints.Redeliver`).
REDELIVERY_HOLD = lease_for(LONGEST_ATTEMPT) + timedelta(microseconds=1)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def delivered(status_code: int | None) -> bool:
    """Any 2xx is delivered; everything else (3xx included: redirects are never followed) fails."""
    return status_code is not None and 200 <= status_code < 300


def next_attempt_at(attempts: int, now: datetime) -> datetime | None:
    """After `attempts` failed attempts, when to try again; None: give up (`failed`)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_DELAYS[attempts - 1]


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    """After a failed attempt: whether the endpoint has failed every delivery for `DISABLE_AFTER`."""
    return failing_since is not None and now - failing_since >= DISABLE_AFTER


def disabled_reason(failing_since: datetime) -> str:
    return f"disabled automatically: every delivery has failed since {failing_since.isoformat()}"
