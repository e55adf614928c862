from enum import StrEnum


class SubscribedEventType(StrEnum):
    ACCOUNT_CREATED = "account.created"
    BALANCE_LOW = "balance.low"
    BALANCE_RECOVERED = "balance.recovered"
    DISPUTE_ACCEPTED = "dispute.accepted"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_REJECTED = "dispute.rejected"
    LOT_EXPIRING_SOON = "lot.expiring_soon"
    POINTS_EXPIRED = "points.expired"
    POINTS_GRANTED = "points.granted"
    POINTS_REVOKED = "points.revoked"
    POINTS_WRITTEN_OFF = "points.written_off"
    TICKET_ADJUSTED = "ticket.adjusted"
    TICKET_AWAITING_POINTS = "ticket.awaiting_points"
    TICKET_CREDITED = "ticket.credited"
    TICKET_IDLE = "ticket.idle"
    TICKET_OPENED = "ticket.opened"
    TICKET_REFUNDED = "ticket.refunded"
    TICKET_RESOLVED = "ticket.resolved"
    VALUE_0 = "*"

    def __str__(self) -> str:
        return str(self.value)
