"""Typed domain errors. They know nothing of HTTP: the API maps each class to a problem type."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a client can cause."""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFoundError(DomainError):
    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} does not exist")
        self.kind = kind
        self.ident = ident


class ConflictError(DomainError):
    """A unique fact (payment id, license key, external reference…) already says otherwise."""


class InvalidStateError(DomainError):
    """The ticket's state does not allow this action."""


class InsufficientPointsError(DomainError):
    def __init__(self, *, available: int, required: int) -> None:
        super().__init__(
            f"{required} points are required but only {available} are available",
            available=available,
            required=required,
        )
        self.available = available
        self.required = required


class PreconditionFailedError(DomainError):
    def __init__(self, *, current_version: int) -> None:
        super().__init__(f"the ticket is at version {current_version}", current_version=current_version)
        self.current_version = current_version


class RuleViolationError(DomainError):
    """A request that is well formed but breaks a business rule (answered as a validation error).

    `pointer` names the offending field as an RFC 6901 pointer into the request body.
    """

    def __init__(self, pointer: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.pointer = pointer
