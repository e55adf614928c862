"""API keys: random secrets stored only as SHA-256 hashes (they are not passwords)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from ..db import schema as t
from ..db.ids import new_id
from ..db.records import SELECT, ApiKey
from ..db.schema import ROLES
from ..domain.errors import ConflictError, NotFoundError, RuleViolationError
from .state import Needs, Scope

KEY_PREFIX = "pts_"
NAME = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown once, never stored


@dataclass(frozen=True, kw_only=True)
class CreateKey:
    """A new key and its secret (256 random bits)."""

    role: str
    name: str
    now: datetime
    account_id: str | None = None

    def needs(self, needs: Needs) -> None:
        needs.key_names.add(self.name)

    def apply(self, tx: Scope) -> CreatedKey:
        if self.role not in ROLES:
            raise RuleViolationError("/role", f"role must be one of {', '.join(ROLES)}")
        if not NAME.match(self.name):
            raise RuleViolationError("/name", "name must be 1–64 of A-Z a-z 0-9 . _ : -")
        if (self.role == "viewer") != (self.account_id is not None):
            raise RuleViolationError("/account", "a viewer key is bound to exactly one account; other roles to none")
        if tx.api_key_named(self.name) is not None:
            raise ConflictError(f"a key named {self.name!r} exists or existed; names are never reused")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(new_id("key"), self.name, self.role, self.account_id, hash_key(secret), self.now, None)
        return CreatedKey(tx.insert(key), secret)


@dataclass(frozen=True, kw_only=True)
class RevokeKey:
    name: str
    now: datetime

    def needs(self, needs: Needs) -> None:
        needs.key_names.add(self.name)

    def apply(self, tx: Scope) -> ApiKey:
        key = tx.api_key_named(self.name)
        if key is None:
            raise NotFoundError("key", self.name)
        if key.revoked_at is None:
            key = tx.update(replace(key, revoked_at=self.now))
        return key


ALL_KEYS = SELECT[ApiKey].order_by(t.api_keys.c.created_at, t.api_keys.c.name)
ACTIVE_ADMIN = select(t.api_keys.c.id).where(t.api_keys.c.role == "admin", t.api_keys.c.revoked_at.is_(None)).limit(1)
# The key with a secret's hash (the look-up is by hash, so no secret is ever compared).
KEY_BY_HASH = select(
    t.api_keys.c.key_hash, t.api_keys.c.revoked_at, t.api_keys.c.name, t.api_keys.c.role, t.api_keys.c.account_id
).where(t.api_keys.c.key_hash == bindparam("digest"))


def list_keys(conn: Connection) -> list[ApiKey]:
    return [ApiKey(*row) for row in conn.execute(ALL_KEYS)]  # type: ignore[arg-type]  # mypy cannot star-unpack a Row (records.SELECT)


def has_admin_key(conn: Connection) -> bool:
    return conn.execute(ACTIVE_ADMIN).first() is not None
