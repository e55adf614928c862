from enum import StrEnum


class DisputeStatus(StrEnum):
    ACCEPTED = "accepted"
    OPEN = "open"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return str(self.value)
