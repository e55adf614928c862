"""Authentication and access checks, in the order of docs/design.md §7: 401 → 404 (viewer elsewhere) → 403 → 404 → 422.

The checks are dependencies, so they run before FastAPI validates the request body.
"""

from __future__ import annotations

import hmac
import itertools
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select

from ..domain.vocabulary import Role
from ..services import dispute_log, queries
from ..services.context import Context
from ..services.keys import KEY_BY_HASH, hash_key
from ..services.uow import Database
from .problems import ProblemError, validation_problem

ALL: tuple[str, ...] = tuple(role.value for role in Role)
STAFF = ("admin", "billing", "helpdesk")
BILLING = ("admin", "billing")
HELPDESK = ("admin", "helpdesk")
ADMIN = ("admin",)
ACCOUNT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # docs/design.md §1: the helpdesk's customer id

bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <api key>`")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    account_id: str | None  # viewers only


class KeyCache:
    """Looked-up keys, trusted for at most `ttl` seconds so a revocation takes effect within it."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    def get(self, digest: str) -> tuple[bool, Principal | None]:
        hit = self._entries.get(digest)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, digest: str, principal: Principal | None) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[digest] = (time.monotonic() + self.ttl, principal)


class Owners:
    """Facts that never change once committed: an account exists; a ticket or a lot belongs to
    an account (nothing is ever deleted or moved). Remembering them spares each request the
    look-up; absence is never remembered. At `LIMIT` facts the oldest quarter is forgotten (the
    newest, such as tickets just opened, are the likeliest to be asked about next)."""

    LIMIT = 100_000
    ACCOUNT = queries.ACCOUNT_EXISTS
    TICKET = queries.TICKET_OWNER
    LOT = queries.LOT_OWNER

    def __init__(self) -> None:
        self._known: dict[tuple[int, str], str] = {}

    async def owner(self, request: Request, lookup: Select[Any], ident: str) -> str | None:
        """The account `lookup` (one of ACCOUNT, TICKET, LOT) finds for `ident`."""
        owner = self._known.get((id(lookup), ident))
        if owner is None:
            rows = await database(request).read_one(lookup, {"ident": ident})
            owner = rows[0][0] if rows else None
            if owner is not None:
                self.learn(lookup, ident, owner)
        return owner

    def learn(self, lookup: Select[Any], ident: str, owner: str) -> None:
        """Remember what `lookup` would find for `ident`: only for what is committed (a command's
        result, once its transaction has committed), never for what may still roll back."""
        known = self._known
        if len(known) >= self.LIMIT:
            for slot in list(itertools.islice(known, max(1, self.LIMIT // 4))):  # in the order learnt
                del known[slot]
        known[(id(lookup), ident)] = owner


def owners(request: Request) -> Owners:
    return request.app.state.owners  # type: ignore[no-any-return]  # app.state is untyped (set in create_app)


def database(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]  # app.state is untyped (set in create_app)


async def key_with_hash(request: Request, digest: str) -> Principal | None:
    """The unrevoked key whose secret hashes to `digest` (`services.keys.hash_key`), else None:
    the API's bearer keys and the pages' sign-in alike, read now (no cache)."""
    rows = await database(request).read_one(KEY_BY_HASH, {"digest": digest})
    key = rows[0] if rows else None
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, digest):
        return None
    return Principal(key.name, key.role, key.account_id)


def _unauthorized() -> ProblemError:
    return ProblemError(
        "unauthorized", "a valid API key is required", headers={"WWW-Authenticate": 'Bearer realm="points"'}
    )


async def principal_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller the bearer key names (401 without a valid one), kept in `request.state.principal`."""
    if credentials is None or not credentials.credentials or len(credentials.credentials) > 200:
        raise _unauthorized()
    digest = hash_key(credentials.credentials)
    cache: KeyCache = request.app.state.key_cache
    cached, principal = cache.get(digest)
    if not cached:
        principal = await key_with_hash(request, digest)
        cache.put(digest, principal)
    if principal is None:
        raise _unauthorized()
    request.state.principal = principal
    return principal


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    return await principal_of(request, credentials)


# The access checks below authenticate inline (`principal_of`) rather than depend on `Caller`: each
# dependency FastAPI solves costs the request more than the check itself does.
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


Caller = Annotated[Principal, Depends(authenticate)]


def _forbidden(principal: Principal) -> ProblemError:
    return ProblemError("forbidden", f"the {principal.role} role may not do this")


def _not_found(kind: str, ident: str) -> ProblemError:
    return ProblemError("not-found", f"{kind} {ident!r} does not exist")


# Each access check is a function of the caller (`*_granted`, which the pages call with the
# session's principal) and a FastAPI dependency that authenticates the bearer key and calls it
# (`allow`, `on_account`, `on_ticket`, `on_lot`, `on_dispute`).


def role_granted(principal: Principal, roles: tuple[str, ...]) -> Principal:
    if principal.role not in roles:
        raise _forbidden(principal)
    return principal


def allow(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """For operations that name no account."""

    async def check(request: Request, credentials: Bearer) -> Principal:
        return role_granted(await principal_of(request, credentials), roles)

    return check


def _check_scope(principal: Principal, owner: str | None, roles: tuple[str, ...], kind: str, ident: str) -> None:
    if principal.role == "viewer" and (owner is None or owner != principal.account_id):
        raise _not_found(kind, ident)
    role_granted(principal, roles)
    if owner is None:
        raise _not_found(kind, ident)


def on_account(*roles: str, must_exist: bool = True, found_later: bool = False) -> Callable[..., Awaitable[Principal]]:
    """Access to the path's account.

    `found_later`: what the route does finds the account and answers 404 when it is absent (its
    read's statement, or its command under the account's lock), so no look-up is made here. A
    request that fails validation first (422) would never get there: the handlers of validation
    errors then look the account up (`missing_account`), so that an absent one is still 404 first,
    in the order of docs/design.md §7. A malformed id is 404 here, before anything."""

    # Left out of the document: the endpoint declares `account_id` with its pattern, and this check
    # must see any value (a viewer naming a malformed id gets 404 before the 422, docs/design.md §7).
    async def check(
        request: Request, credentials: Bearer, account_id: Annotated[str, Path(include_in_schema=False)]
    ) -> Principal:
        principal = await principal_of(request, credentials)
        return await account_granted(request, principal, account_id, roles, must_exist, found_later)

    return check


async def account_granted(
    request: Request,
    principal: Principal,
    account_id: str,
    roles: tuple[str, ...],
    must_exist: bool = True,
    found_later: bool = False,
) -> Principal:
    """`on_account`'s check, of a caller already known."""
    if principal.role == "viewer" and account_id != principal.account_id:
        raise _not_found("account", account_id)
    role_granted(principal, roles)
    if must_exist:
        if not ACCOUNT_ID.fullmatch(account_id):  # cannot exist (and NUL would break PostgreSQL)
            raise _not_found("account", account_id)
        if found_later:
            request.state.unchecked_account = account_id
        elif await owners(request).owner(request, Owners.ACCOUNT, account_id) is None:
            raise _not_found("account", account_id)
    return principal


async def missing_account(request: Request) -> ProblemError | None:
    """For a request about to be refused as invalid: the 404 it is owed first if the account its
    route was to find (`found_later`) does not exist."""
    account_id = getattr(request.state, "unchecked_account", None)
    if account_id is None or await owners(request).owner(request, Owners.ACCOUNT, account_id) is not None:
        return None
    return _not_found("account", account_id)


def _could_exist(ident: str) -> bool:
    """Ids are opaque, but none holds NUL (which PostgreSQL cannot even compare) or exceeds 64."""
    return len(ident) <= 64 and "\x00" not in ident


async def _owner_granted(
    request: Request, principal: Principal, lookup: Select[Any], kind: str, ident: str, roles: tuple[str, ...]
) -> str | None:
    """The account of the `kind` `ident` (`lookup` finds it), once `principal` may reach it with `roles`."""
    owner = None
    if _could_exist(ident):
        owner = await owners(request).owner(request, lookup, ident)
    _check_scope(principal, owner, roles, kind, ident)
    return owner


def on_ticket(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """Access to the path's ticket. Its account, found here, is kept for the route
    (`ticket_account`): a ticket write then locks it without looking it up again."""

    async def check(request: Request, credentials: Bearer, ticket_id: Annotated[str, Path()]) -> Principal:
        return await ticket_granted(request, await principal_of(request, credentials), ticket_id, roles)

    return check


async def ticket_granted(request: Request, principal: Principal, ticket_id: str, roles: tuple[str, ...]) -> Principal:
    """`on_ticket`'s check, of a caller already known."""
    request.state.ticket_account = await _owner_granted(request, principal, Owners.TICKET, "ticket", ticket_id, roles)
    return principal


def ticket_account(request: Request) -> str:
    """The account of the path's ticket, as `on_ticket` found it (a ticket never changes account)."""
    return request.state.ticket_account  # type: ignore[no-any-return]  # request.state is untyped (set by on_ticket)


def lot_account(request: Request) -> str:
    """The account of the path's lot, as `on_lot` found it (a lot never changes account)."""
    return request.state.lot_account  # type: ignore[no-any-return]  # request.state is untyped (set by on_lot)


def on_lot(*roles: str) -> Callable[..., Awaitable[Principal]]:
    async def check(request: Request, credentials: Bearer, lot_id: Annotated[str, Path()]) -> Principal:
        principal = await principal_of(request, credentials)
        request.state.lot_account = await _owner_granted(request, principal, Owners.LOT, "lot", lot_id, roles)
        return principal

    return check


def on_dispute(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """Access to the path's dispute: a viewer sees its own account's only (another's is 404, before
    any 403). Its account, found here, is kept for the route (`dispute_account`): a decision then
    locks it without looking it up again."""

    async def check(request: Request, credentials: Bearer, dispute_id: Annotated[str, Path()]) -> Principal:
        return await dispute_granted(request, await principal_of(request, credentials), dispute_id, roles)

    return check


async def dispute_granted(request: Request, principal: Principal, dispute_id: str, roles: tuple[str, ...]) -> Principal:
    """`on_dispute`'s check, of a caller already known."""
    lookup = dispute_log.DISPUTE_OWNER
    request.state.dispute_account = await _owner_granted(request, principal, lookup, "dispute", dispute_id, roles)
    return principal


def dispute_account(request: Request) -> str:
    """The account of the path's dispute, as `on_dispute` found it (a dispute never changes account)."""
    return request.state.dispute_account  # type: ignore[no-any-return]  # request.state is untyped (set by on_dispute)


def command_context(request: Request, principal: Principal) -> Context:
    state = request.app.state
    return Context(
        actor=principal.name,
        role=principal.role,
        clock=state.clock,
        return_grace=state.settings.return_grace,
        expiring_window=timedelta(days=state.settings.expiring_window_days),
        currency=state.settings.currency,
    )


IF_MATCH = r'^(\*|"[0-9]{1,18}")$'


async def if_match(
    if_match: Annotated[str | None, Header(description='`"<version>"` or `*`', pattern=IF_MATCH)] = None,
) -> int | None:
    """The ticket version a mutating request expects (None: any). A coroutine, though it awaits
    nothing: FastAPI runs a plain function dependency on a worker thread, a hand-off per request."""
    value = None if if_match is None else if_match.strip(" \t")
    if value is None or value == "*":
        return None
    match = re.fullmatch(r'"([0-9]{1,18})"', value)
    if match:
        return int(match.group(1))
    raise validation_problem("#/header/if-match", 'If-Match must be "<version>" or *')


def etag(version: int) -> dict[str, Any]:
    return {"ETag": f'"{version}"'}
