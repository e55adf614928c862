from enum import StrEnum


class LotSource(StrEnum):
    ADJUSTMENT = "adjustment"
    IMPORT = "import"
    LICENSE_BONUS = "license_bonus"
    PURCHASE = "purchase"
    RETURNED = "returned"

    def __str__(self) -> str:
        return str(self.value)
