from enum import StrEnum


class FinanceReportGroupByType0(StrEnum):
    ACCOUNT = "account"
    CATEGORY = "category"
    PLAN = "plan"

    def __str__(self) -> str:
        return str(self.value)
