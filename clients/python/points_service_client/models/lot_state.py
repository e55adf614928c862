from enum import StrEnum


class LotState(StrEnum):
    AVAILABLE = "available"
    DEDUCTED = "deducted"
    EXPIRED = "expired"
    HELD = "held"
    REISSUED = "reissued"
    REVOKED = "revoked"
    WRITTEN_OFF = "written_off"

    def __str__(self) -> str:
        return str(self.value)
