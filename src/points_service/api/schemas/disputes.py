"""Disputes: a customer's claim that a resolved ticket cost too much, and the decision on it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

from ...domain.disputes import DisputeStatus
from .common import _NOW, _T_RESOLVED, NO_NUL, PositivePoints, Reason, RequestBody, _examples, _values_of

if TYPE_CHECKING:
    DisputeStatusName = str
else:
    DisputeStatusName = TypeAliasType(
        "DisputeStatus",
        Annotated[
            _values_of(DisputeStatus),
            Field(description="`open` until a helpdesk agent accepts (points credited) or rejects it"),
        ],
    )

DecisionNote = Annotated[str, Field(strict=True, min_length=1, max_length=2000, pattern=NO_NUL)]
_IN_HISTORY = "recorded in the ticket's history"
_DSP = "dsp_01M8BQ3T5R6W7X8Y9Z0A1B2C3D"


class DisputeCreate(RequestBody):
    """Dispute a resolved ticket's charge."""

    model_config = _examples(
        {"reason": "the export still fails: I was charged for a fix that did not work", "points": 10},
        {"reason": "this took two minutes, not ten points' worth"},
    )

    reason: Reason = Field(description=f"why the charge is wrong, in the customer's words; {_IN_HISTORY}")
    points: PositivePoints | None = Field(
        default=None,
        description="whole points claimed back, 1 to `deducted_points` − `returned_points` (outside → 422 with "
        "`max_points`); omitted or null: everything not yet returned",
    )


class DisputeAccept(RequestBody):
    """Accept a dispute: its points are credited back as `POST /v1/tickets/{id}/credit` would."""

    model_config = _examples({"note": "agreed: the first fix did not hold"}, {"points": 5, "note": "half of it"})

    points: PositivePoints | None = Field(
        default=None,
        description="whole points to credit, 1 to what the ticket has left to return (outside → 422 with "
        "`max_points`); omitted or null: the points claimed, capped at what is left, or everything left when "
        "none were claimed",
    )
    note: DecisionNote = Field(description=f"why, {_IN_HISTORY}")


class DisputeReject(RequestBody):
    """Reject a dispute: nothing is given back."""

    model_config = _examples({"note": "the fix works: the export failed on a server setting of the customer's"})

    note: DecisionNote = Field(description=f"why, {_IN_HISTORY}")


_OPEN = {
    "id": _DSP,
    "ticket_id": _T_RESOLVED,
    "account_id": "cust-42",
    "status": "open",
    "points_claimed": 10,
    "points_credited": None,
    "reason": "the export still fails: I was charged for a fix that did not work",
    "resolution_note": None,
    "opened_at": "2026-11-25T16:40:00Z",
    "opened_by": "cust-42-portal",
    "closed_at": None,
    "closed_by": None,
}
_ACCEPTED = {
    **_OPEN,
    "status": "accepted",
    "points_credited": 10,
    "resolution_note": "agreed: the first fix did not hold",
    "closed_at": _NOW,
    "closed_by": "helpdesk-app",
}


class Dispute(BaseModel):
    """A claim that a resolved ticket cost too much, and how it was decided."""

    model_config = _examples(_OPEN, _ACCEPTED)

    id: str = Field(description="the dispute's id: `dsp_` and a ULID")
    ticket_id: str = Field(description="the disputed ticket")
    account_id: str = Field(description="the ticket's account")
    status: DisputeStatusName = Field(description="`open`, then `accepted` or `rejected`")
    points_claimed: int | None = Field(description="whole points claimed back; null: everything left to return")
    points_credited: int | None = Field(description="whole points credited back on acceptance; null unless accepted")
    reason: str = Field(description="why the charge was disputed")
    resolution_note: str | None = Field(description="why it was accepted or rejected; null while open")
    opened_at: datetime = Field(description="when it was opened (UTC, RFC 3339)")
    opened_by: str = Field(description="the name of the API key that opened it")
    closed_at: datetime | None = Field(description="when it was accepted or rejected (UTC, RFC 3339); null while open")
    closed_by: str | None = Field(description="the name of the API key that decided it; null while open")
