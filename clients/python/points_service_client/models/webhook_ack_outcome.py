from enum import StrEnum


class WebhookAckOutcome(StrEnum):
    APPLIED = "applied"
    CONFLICT = "conflict"
    FAILED = "failed"
    IGNORED = "ignored"
    NEEDS_REVIEW = "needs_review"

    def __str__(self) -> str:
        return str(self.value)
