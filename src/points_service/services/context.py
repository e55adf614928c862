"""What every command needs besides its arguments: who acts, what time it is, the policies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..domain.clock import Clock

DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class Context:
    actor: str  # the API key's name, `webhook:billing` or `system:expiry`
    role: str  # admin, billing, helpdesk, viewer or system
    clock: Clock
    return_grace: timedelta
    expiring_window: timedelta = timedelta(days=90)
    currency: str = DEFAULT_CURRENCY  # lots bought with nothing are valued at zero in it (POINTS_CURRENCY)

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", "system")
