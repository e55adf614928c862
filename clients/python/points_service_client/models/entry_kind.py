from enum import StrEnum


class EntryKind(StrEnum):
    ADJUSTMENT = "adjustment"
    CAPTURE = "capture"
    CAPTURE_DECREASE = "capture_decrease"
    CAPTURE_INCREASE = "capture_increase"
    DEDUCTION = "deduction"
    EXPIRY = "expiry"
    IMPORT = "import"
    LICENSE_BONUS = "license_bonus"
    PURCHASE = "purchase"
    RETURN = "return"
    REVOCATION = "revocation"

    def __str__(self) -> str:
        return str(self.value)
