"""The closed sets that are neither ledger nor ticket rules: API key roles, license bonus policies,
the outcomes of a billing webhook event (`Outcome`). The database's CHECK constraints and the API's schemas
list their values from here (as they do the domain's other StrEnums)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """What an API key may do (docs/design.md §7)."""

    ADMIN = "admin"
    BILLING = "billing"
    HELPDESK = "helpdesk"
    VIEWER = "viewer"  # bound to one account


class BonusPolicy(enum.StrEnum):
    """When a license product's bonus points are granted."""

    FIRST_LICENSE = "first_license"  # with the account's first license of the product
    EVERY_LICENSE = "every_license"


# What became of a billing webhook event (docs/design.md §8). The API document names its schema
# after the class (`Outcome`) and describes it with the class's docstring: so no docstring here.
class Outcome(enum.StrEnum):
    APPLIED = "applied"
    IGNORED = "ignored"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"
    CONFLICT = "conflict"
