from enum import StrEnum


class ListTicketsStatusItem(StrEnum):
    AWAITING_POINTS = "awaiting_points"
    OPEN = "open"
    REFUNDED = "refunded"
    RESOLVED = "resolved"

    def __str__(self) -> str:
        return str(self.value)
