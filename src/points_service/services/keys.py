"""API keys: random secrets stored only as SHA-256 hashes (they are not passwords)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.ids import new_id
from ..db.models import ROLES, ApiKey
from ..domain.errors import ConflictError, NotFoundError, RuleViolationError

KEY_PREFIX = "pts_"
NAME = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    session: AsyncSession, *, role: str, name: str, now: datetime, account_id: str | None = None
) -> tuple[ApiKey, str]:
    """A new key and its secret (256 random bits), which is shown once and never stored."""
    if role not in ROLES:
        raise RuleViolationError("/role", f"role must be one of {', '.join(ROLES)}")
    if not NAME.match(name):
        raise RuleViolationError("/name", "name must be 1–64 of A-Z a-z 0-9 . _ : -")
    if (role == "viewer") != (account_id is not None):
        raise RuleViolationError("/account", "a viewer key is bound to exactly one account; other roles to none")
    if await session.scalar(select(ApiKey.id).where(ApiKey.name == name)):
        raise ConflictError(f"a key named {name!r} exists or existed; names are never reused")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id("key"), name=name, role=role, account_id=account_id, key_hash=hash_key(secret), created_at=now
    )
    session.add(key)
    return key, secret


async def revoke_key(session: AsyncSession, *, name: str, now: datetime) -> ApiKey:
    key = await session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise NotFoundError("key", name)
    if key.revoked_at is None:
        key.revoked_at = now
    return key


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.name))).all())


async def find_key(session: AsyncSession, secret: str) -> ApiKey | None:
    """The active key with this secret. The lookup is by hash, so no secret is ever compared."""
    key = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
    return key if key is not None and key.revoked_at is None else None


async def has_admin_key(session: AsyncSession) -> bool:
    stmt = select(ApiKey.id).where(ApiKey.role == "admin", ApiKey.revoked_at.is_(None)).limit(1)
    return (await session.scalar(stmt)) is not None
