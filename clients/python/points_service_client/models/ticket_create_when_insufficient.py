from enum import StrEnum


class TicketCreateWhenInsufficient(StrEnum):
    REJECT = "reject"
    WAIT = "wait"

    def __str__(self) -> str:
        return str(self.value)
