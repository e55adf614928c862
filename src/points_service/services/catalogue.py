"""The catalogue: plans, categories and license products — the admin's `PUT`s, and each process's
in-memory copy.

Commands read the catalogue from memory, never with a statement of their own. The copy is checked
by every batch that needs it: the batch's first statement also reads `catalogue_state.version`,
which every catalogue change bumps in its own transaction, and a batch that finds another version
than its copy's reads the catalogue again first. So a change made through any replica is seen by
the next batch of every other one, and a batch never mixes two versions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from ..db.records import Category, LicenseProduct, Plan
from ..domain.money import parse_amount
from ..domain.pricing import check_rule, rule_from_dict, rule_to_dict
from .context import Context
from .state import Catalogue, Needs, Scope

E = TypeVar("E", Plan, Category, LicenseProduct)


class CatalogueCache:
    """This process's copy of the catalogue (shared by its writer threads)."""

    _EMPTY = Catalogue(-1, [])

    def __init__(self) -> None:
        self._current: Catalogue | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> Catalogue | None:
        return self._current

    def current_or_empty(self) -> Catalogue:
        return self._current or self._EMPTY

    def replace(self, catalogue: Catalogue) -> Catalogue:
        with self._lock:
            if self._current is None or catalogue.version >= self._current.version:
                self._current = catalogue
        return catalogue

    def invalidate(self) -> None:
        """After this process changed the catalogue: the next batch reads it again."""
        with self._lock:
            self._current = None


@dataclass(frozen=True)
class Put(Generic[E]):
    entry: E
    created: bool


@dataclass(frozen=True, kw_only=True)
class _PutEntry(Generic[E]):
    ctx: Context
    code: str

    def _put(self, tx: Scope, cls: type[E], fields: dict[str, Any]) -> Put[E]:
        now = self.ctx.clock.now()
        entry = tx.get(cls, self.code)
        if entry is None:
            tx.catalogue_changed = True
            return Put(tx.insert(cls(code=self.code, created_at=now, updated_at=now, **fields)), True)
        if any(getattr(entry, k) != v for k, v in fields.items()):
            tx.catalogue_changed = True
            entry = tx.update(replace(entry, updated_at=now, **fields))
        return Put(entry, False)


@dataclass(frozen=True, kw_only=True)
class PutPlan(_PutEntry[Plan]):
    points: int
    amount: str
    currency: str
    active: bool

    def needs(self, needs: Needs) -> None:
        needs.catalogue_rows.add((Plan, self.code))

    def apply(self, tx: Scope) -> Put[Plan]:
        price_minor = parse_amount(self.amount, self.currency, pointer="/price/amount")
        fields = {"points": self.points, "price_minor": price_minor, "currency": self.currency, "active": self.active}
        return self._put(tx, Plan, fields)


@dataclass(frozen=True, kw_only=True)
class PutCategory(_PutEntry[Category]):
    group: str
    name: str
    pricing: dict[str, Any]
    active: bool

    def needs(self, needs: Needs) -> None:
        needs.catalogue_rows.add((Category, self.code))

    def apply(self, tx: Scope) -> Put[Category]:
        rule = rule_from_dict(self.pricing)
        check_rule(rule)
        fields = {"group": self.group, "name": self.name, "pricing": rule_to_dict(rule), "active": self.active}
        return self._put(tx, Category, fields)


@dataclass(frozen=True, kw_only=True)
class PutLicenseProduct(_PutEntry[LicenseProduct]):
    name: str
    bonus_points: int
    bonus_policy: str
    active: bool

    def needs(self, needs: Needs) -> None:
        needs.catalogue_rows.add((LicenseProduct, self.code))

    def apply(self, tx: Scope) -> Put[LicenseProduct]:
        fields = {
            "name": self.name,
            "bonus_points": self.bonus_points,
            "bonus_policy": self.bonus_policy,
            "active": self.active,
        }
        return self._put(tx, LicenseProduct, fields)
