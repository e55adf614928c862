"""Sessions of the pages (/ui/): signed in with an API key once, then a random secret in a cookie.

Only the secret's SHA-256 is stored (`ui_sessions.id`), beside the key it was opened with and the
session's CSRF token. A session is found by joining its key, so revoking the key ends every one of
its sessions at the next request; signing out deletes the row; the sweep purges ended ones
(`housekeeping.sessions_ended`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from ..db import schema as t
from .keys import hash_key
from .state import Needs, Scope

LIFETIME = timedelta(hours=8)

s, k = t.ui_sessions.c, t.api_keys.c


@dataclass(frozen=True)
class Session:
    """A live session, as its key stands now."""

    key_name: str
    role: str
    account_id: str | None  # viewers only
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class Started:
    secret: str  # for the cookie; never stored
    csrf_token: str
    expires_at: datetime


# The live session with a secret's digest: its key unrevoked, its end not reached.
SESSION = (
    select(k.name, k.role, k.account_id, s.csrf_token, s.expires_at)
    .select_from(t.ui_sessions.join(t.api_keys, k.id == s.key_id))
    .where(s.id == bindparam("digest"), s.expires_at > bindparam("now"), k.revoked_at.is_(None))
)


def find_session(conn: Connection, secret: str, now: datetime) -> Session | None:
    row = conn.execute(SESSION, {"digest": hash_key(secret), "now": now}).first()
    return Session(*row) if row else None  # type: ignore[arg-type]  # mypy cannot star-unpack a Row


# Opened only while the key is unrevoked, in the same statement (a revocation cannot slip between).
_START = (
    insert(t.ui_sessions)
    .from_select(
        ["id", "key_id", "csrf_token", "created_at", "expires_at"],
        select(bindparam("digest"), k.id, bindparam("csrf"), bindparam("now"), bindparam("until")).where(
            k.name == bindparam("name"), k.revoked_at.is_(None)
        ),
    )
    .returning(s.id)
)  # the row written, if any (psycopg's rowcount is -1 for an INSERT … SELECT of no rows)


@dataclass(frozen=True, kw_only=True)
class StartSession:
    """A session for the key named `key_name` (found by its secret just before): `started[0]` is
    None when the key was revoked in between."""

    key_name: str
    now: datetime

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> list[Started | None]:
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        until = self.now + LIFETIME
        started: list[Started | None] = [None]

        def done(result: Any) -> None:
            if result.first() is not None:
                started[0] = Started(secret, csrf, until)

        params = {"digest": hash_key(secret), "csrf": csrf, "now": self.now, "until": until, "name": self.key_name}
        tx.execute_after(_START, params, done)
        return started


_END = delete(t.ui_sessions).where(s.id == bindparam("digest"))


@dataclass(frozen=True, kw_only=True)
class EndSession:
    """Sign-out: the session's row goes (ending one that is already gone changes nothing)."""

    secret: str

    def needs(self, needs: Needs) -> None:
        return None

    def apply(self, tx: Scope) -> None:
        tx.execute_after(_END, {"digest": hash_key(self.secret)})
