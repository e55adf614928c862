from enum import StrEnum


class HistoryEntryAction(StrEnum):
    ADJUSTED = "adjusted"
    CAPTURED = "captured"
    CREDITED = "credited"
    OPENED = "opened"
    REFUNDED = "refunded"
    RESOLVED = "resolved"

    def __str__(self) -> str:
        return str(self.value)
