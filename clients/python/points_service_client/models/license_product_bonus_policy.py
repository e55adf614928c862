from enum import StrEnum


class LicenseProductBonusPolicy(StrEnum):
    EVERY_LICENSE = "every_license"
    FIRST_LICENSE = "first_license"

    def __str__(self) -> str:
        return str(self.value)
