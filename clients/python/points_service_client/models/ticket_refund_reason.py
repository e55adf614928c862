from enum import StrEnum


class TicketRefundReason(StrEnum):
    DUPLICATE = "duplicate"
    OTHER = "other"
    SOFTWARE_BUG = "software_bug"
    WITHDRAWN = "withdrawn"

    def __str__(self) -> str:
        return str(self.value)
