from enum import StrEnum


class HistoryEntryAction(StrEnum):
    ADJUSTED = "adjusted"
    CAPTURED = "captured"
    CREDITED = "credited"
    DISPUTED = "disputed"
    DISPUTE_ACCEPTED = "dispute_accepted"
    DISPUTE_REJECTED = "dispute_rejected"
    OPENED = "opened"
    REFUNDED = "refunded"
    RESOLVED = "resolved"

    def __str__(self) -> str:
        return str(self.value)
