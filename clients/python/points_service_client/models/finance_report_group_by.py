from enum import StrEnum


class FinanceReportGroupBy(StrEnum):
    ACCOUNT = "account"
    CATEGORY = "category"
    PLAN = "plan"

    def __str__(self) -> str:
        return str(self.value)
