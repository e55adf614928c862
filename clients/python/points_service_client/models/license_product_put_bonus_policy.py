from enum import StrEnum


class LicenseProductPutBonusPolicy(StrEnum):
    EVERY_LICENSE = "every_license"
    FIRST_LICENSE = "first_license"

    def __str__(self) -> str:
        return str(self.value)
