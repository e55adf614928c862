"""Configuration, from environment variables prefixed `POINTS_` (each documented in the README)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .domain.delivery import LONGEST_ATTEMPT
from .domain.money import CURRENCIES

# A duration given as a number of seconds (`POINTS_SWEEP_INTERVAL=300`).
SECONDS = re.compile(r"\d{1,12}(\.\d{1,6})?")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POINTS_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/points.db",
        description=(
            "SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user:pw@host/db "
            "(the older sqlite+aiosqlite:// and postgresql+asyncpg:// forms still work, with a warning)"
        ),
    )
    return_grace: timedelta = Field(
        default=timedelta(days=30),
        description=(
            "RETURN_GRACE: returned points need a lot valid for longer than this (ISO 8601 duration or seconds)"
        ),
    )
    expiring_window_days: int = Field(default=90, ge=0, le=3650)
    currency: str = Field(
        default="USD",
        description="ISO 4217 currency in which lots bought with nothing (license bonuses, adjustments, imports) "
        "are valued, at zero; set it before the first grant",
    )
    problem_base_uri: str = Field(default="/problems/")
    auth_cache_seconds: float = Field(
        default=1.0, ge=0, le=1, description="how long a looked-up API key is trusted in memory (≤ 1 s)"
    )
    ui_signin_attempts: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="failed sign-ins to the pages (/ui/) allowed per client address within "
        "`ui_signin_window_seconds`; after them, sign-in answers 429 with Retry-After until the window passes",
    )
    ui_signin_window_seconds: int = Field(
        default=300, ge=1, le=86400, description="the window of `ui_signin_attempts`, in seconds"
    )
    db_connect_timeout: float = Field(default=5.0, gt=0, description="seconds to wait when connecting")
    db_lock_timeout_ms: int = Field(default=5000, ge=0, description="PostgreSQL lock_timeout (0: none)")
    db_statement_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description=(
            "seconds a request waits for the database before it is answered 503 (a write under way then says "
            "outcome_unknown); also PostgreSQL's statement_timeout and the connections' TCP user timeout"
        ),
    )
    readers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description=(
            "threads (each with its own connection) that run a process's ordinary reads; default 1 on SQLite "
            "(its reads are the process's own CPU: more threads only wait for one another), 4 on PostgreSQL "
            "(its reads wait for the server: more threads overlap the waits)"
        ),
    )
    long_readers: int = Field(
        default=2,
        ge=1,
        le=16,
        description=(
            "threads (each with its own connection) that run the reads that may take long: reports, "
            "verification, exports, reads as of an instant; they never hold up the ordinary reads"
        ),
    )
    write_batch_size: int = Field(
        default=64,
        ge=1,
        le=1000,
        description="group commit: most write commands one transaction applies (1: one transaction each)",
    )
    writers: int = Field(
        default=1,
        ge=1,
        le=100,
        description=(
            "PostgreSQL: writer threads, each applying one batch at a time on its own connection; SQLite always 1"
        ),
    )
    hold_answers: bool = Field(
        default=False,
        description=(
            "PostgreSQL: while another batch is queued, a writer answers a committed batch just before "
            "that batch's flush instead of at once (docs/performance.md, 'Answers held until the next flush')"
        ),
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    sqlite_wal_autocheckpoint: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description=(
            "SQLite: WAL pages after which a COMMIT also copies the WAL back into the database file (SQLite's "
            "automatic checkpoint; its default, 1000, is 4 MB of 4 KB pages)"
        ),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhook_secrets: str = Field(
        default="",
        description="Standard Webhooks secrets (whsec_…), separated by commas or spaces; several for rotation",
        repr=False,
    )
    idempotency_wait: float = Field(
        default=5.0, gt=0, le=60, description="seconds a duplicate request waits for the first one to finish"
    )
    idempotency_ttl_hours: int = Field(default=24, ge=24, description="how long Idempotency-Key responses are kept")
    expiry_notice_days: str = Field(
        default="30,7",
        description="`lot.expiring_soon` is sent when a lot with points has at most this many days left, once per "
        "notice: whole days, separated by commas",
    )
    sweep_interval: timedelta = Field(
        default=timedelta(minutes=5),
        description="how often the service runs the sweep itself (expiries, notices, purges), one replica at a "
        "time (ISO 8601 duration or seconds; 0 turns it off)",
    )
    idle_ticket_days: int = Field(
        default=14,
        ge=1,
        le=3650,
        description="an open ticket unchanged this many days is told `ticket.idle`, once per idle period",
    )
    event_retention_days: int = Field(
        default=30, ge=30, le=3650, description="events are kept at least this many days, then purged by the sweep"
    )
    dispatch: bool = Field(
        default=True,
        description="run the dispatcher that pushes events to the webhook endpoints in this process",
    )
    dispatch_interval: float = Field(
        default=0.5, gt=0, le=60, description="seconds between the dispatcher's rounds when it is idle"
    )
    dispatch_senders: int = Field(
        default=8, ge=1, le=256, description="threads sending webhook deliveries (at most one per endpoint at a time)"
    )
    webhook_timeout: float = Field(
        default=10.0,
        gt=0,
        le=LONGEST_ATTEMPT,
        description="seconds one webhook delivery attempt may take in all (the name's resolution, connecting, "
        "sending, the answer)",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description=(
            "let webhook endpoints be http URLs and resolve to loopback, private or link-local addresses "
            "(tests, private deployments); never on a service reachable from outside"
        ),
    )
    bench_routes: bool = Field(
        default=False,
        description=(
            "serve the unauthenticated /bench/ceiling routes that `make bench` measures as its ceiling; "
            "never in production"
        ),
    )

    @property
    def webhook_secret_list(self) -> list[str]:
        return [s for s in self.webhook_secrets.replace(",", " ").split() if s]

    @property
    def expiry_notices(self) -> tuple[int, ...]:
        return tuple(sorted({int(n) for n in self.expiry_notice_days.replace(",", " ").split()}, reverse=True))

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError("must be an ISO 4217 currency code with minor units, like USD")
        return value

    @field_validator("return_grace", "sweep_interval", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        """A number of seconds as the environment gives it (`"300"`, `"0"`, `"1.5"`): pydantic reads
        only ISO 8601 and `[HH:MM:]SS` text as a duration, and a bare number's text is neither."""
        if isinstance(value, str) and SECONDS.fullmatch(value.strip()):
            return timedelta(microseconds=int(Decimal(value.strip()) * 1_000_000))
        return value

    @field_validator("return_grace", "sweep_interval")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative")
        return value

    @field_validator("expiry_notice_days")
    @classmethod
    def _notice_days(cls, value: str) -> str:
        parts = value.replace(",", " ").split()
        if not all(p.isdigit() and 1 <= int(p) <= 3650 for p in parts):
            raise ValueError("must be whole numbers of days from 1 to 3650, separated by commas")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def reader_threads(self) -> int:
        """The ordinary readers: `readers`, else the backend's default."""
        return self.readers if self.readers is not None else default_readers(self.is_sqlite)

    @property
    def connections(self) -> int:
        """The most database connections one process keeps: one per writer and per reader thread, and
        two for the dispatcher (its round, and a sender recording an attempt; more wait their turn)."""
        writers = 1 if self.is_sqlite else self.writers
        return writers + self.reader_threads + self.long_readers + (2 if self.dispatch else 0)


def default_readers(is_sqlite: bool) -> int:
    """The ordinary reader threads when `POINTS_READERS` is not set (its description says why)."""
    return 1 if is_sqlite else 4


@lru_cache
def get_settings() -> Settings:
    return Settings()
