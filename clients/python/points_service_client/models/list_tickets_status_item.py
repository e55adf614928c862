from enum import StrEnum


class ListTicketsStatusItem(StrEnum):
    OPEN = "open"
    REFUNDED = "refunded"
    RESOLVED = "resolved"

    def __str__(self) -> str:
        return str(self.value)
