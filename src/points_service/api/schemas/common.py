"""What the schemas share: constrained types, the examples' helper and the ids of their story,
the request bodies' base, money, pages, and the named enums of the domain's vocabularies."""

from __future__ import annotations

import copy
import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar, cast

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

from ...domain import MAX_POINTS, vocabulary
from ...domain import finance as finance_rules
from ...domain import ledger as ledger_rules
from ...domain import lots as lot_rules
from ...domain import tickets as ticket_rules
from ...domain.clock import RFC3339_EXAMPLE, parse_instant, to_utc
from ...domain.money import AMOUNT_PATTERN, CURRENCIES, UNIT_PRICE_PLACES

T = TypeVar("T")
UNIT_PRICE_PATTERN = rf"^(0|[1-9][0-9]{{0,14}})\.[0-9]{{{UNIT_PRICE_PLACES}}}$"


def _whole_number(value: Any) -> Any:
    """JSON has one number type: `40.0` is the whole number 40, as JSON Schema's `integer` says.

    Only exact whole numbers are converted; `40.5`, `"40"` and `true` stay what they are, and the
    strict integer check rejects them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = BeforeValidator(_whole_number)

Points = Annotated[int, Field(strict=True, ge=0, le=MAX_POINTS, description="whole points"), WholeNumber]
PositivePoints = Annotated[int, Field(strict=True, ge=1, le=MAX_POINTS), WholeNumber]
SignedPoints = Annotated[int, Field(strict=True, ge=-MAX_POINTS, le=MAX_POINTS), WholeNumber]
Quantity = Annotated[int, Field(strict=True, ge=0, le=1_000_000), WholeNumber]
Code = Annotated[str, Field(strict=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Ref = Annotated[str, Field(strict=True, min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
# Free text: anything but NUL, which PostgreSQL cannot store in text (and no one means to send).
NO_NUL = r"^[^\x00]*$"
Reason = Annotated[str, Field(strict=True, min_length=1, max_length=500, pattern=NO_NUL)]
Note = Annotated[str, Field(strict=True, max_length=2000, pattern=NO_NUL)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=200, pattern=NO_NUL)]
Currency = Annotated[
    str,
    Field(
        strict=True,
        pattern=r"^[A-Z]{3}$",
        examples=["USD"],
        description="ISO 4217 code of a currency with minor units",
        json_schema_extra={"enum": CURRENCIES},  # checked by the money rules, which report the pointer
    ),
]
Amount = Annotated[
    str,
    Field(
        strict=True,
        max_length=24,
        pattern=AMOUNT_PATTERN,
        description="exact decimal string with exactly the currency's minor digits (`34.50` in USD, `3450` in JPY); "
        "a JSON number is rejected",
        examples=["34.50"],
    ),
]


def _instant(value: Any) -> Any:
    """Every timestamp the API takes goes through the domain's one parser (`parse_instant`): RFC
    3339 with an offset, normalised to UTC, within the calendar. A `datetime` comes only from
    Python callers; pydantic then checks that it is aware."""
    try:
        if isinstance(value, datetime):
            return to_utc(value) if value.tzinfo is not None else value
        if not isinstance(value, str):
            raise ValueError(f"must be an RFC 3339 timestamp with an offset, like {RFC3339_EXAMPLE}")
        return parse_instant(value)
    except ValueError as exc:  # the message as the domain words it, without pydantic's "Value error, "
        raise PydanticCustomError("instant", str(exc)) from None


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_instant),
    Field(
        description="RFC 3339 (ISO 8601) timestamp with an offset, within the years 1 to 9999 once normalised to UTC",
        examples=[RFC3339_EXAMPLE],
    ),
]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    """Model-level examples for the OpenAPI document; tests/test_openapi_schemas.py checks that each
    one validates against its model and is exactly what the model serializes."""
    copied: list[JsonValue] = copy.deepcopy(list(examples))
    return ConfigDict(json_schema_extra={"examples": copied})


# The examples tell one story, at 2026-11-26T10:00:00Z. Account `cust-42` bought points-60 on
# 2025-01-18 (lot _L1); a resolved consultation took 10 of those points and an open store-problem
# ticket holds 25; now the customer buys points-120 (lot _L2). Other accounts appear where an
# example needs another history. Ids are what the service makes: a prefix and a ULID whose time
# part is when the object was created.
_NOW = "2026-11-26T10:00:00Z"
_L1 = "lot_01JHWAZ8Q0Y1S82CH4JR7QPYTD"
_L2 = "lot_01M8BMRD80K402HET3029XW5Y5"
_T_OPEN = "tkt_01M7WQRWM833G1ZHNY2MYV3JZH"
_T_RESOLVED = "tkt_01M463KBC8V7ZQ8CE4899SHWD6"
_CURSOR = "eyJzIjoiYmVhMjgyYzQyODQ4NWVjZiIsImsiOlszXX0"
_USD_120 = {"amount": "68.50", "currency": "USD"}
_T2_LOT = "lot_01KQSDR2G0461943QXD26ANJ3S"


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Money(RequestBody):
    """An exact amount of money in a currency."""

    model_config = _examples(_USD_120, {"amount": "9800", "currency": "JPY"})

    amount: Amount
    currency: Currency


class UnitPrice(BaseModel):
    """What one point of a lot cost: the price paid divided by the points, kept exactly to
    10 decimal places of the currency (rounded half to even); zero when nothing was paid."""

    model_config = _examples({"amount": "0.5708333333", "currency": "USD"})

    amount: str = Field(
        pattern=UNIT_PRICE_PATTERN,
        description="exact decimal string with exactly 10 decimal places, whatever the currency",
        examples=["0.5708333333"],
    )
    currency: Currency


def _page_examples(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """`Page[X]`: a page holding X's first example."""
    (item,) = model.__pydantic_generic_metadata__["args"] or (None,)
    extra = (
        item.model_config.get("json_schema_extra") if isinstance(item, type) and issubclass(item, BaseModel) else None
    )
    if isinstance(extra, dict) and extra.get("examples"):
        examples = cast("list[JsonValue]", extra["examples"])  # a list, as _examples() stores it
        schema["examples"] = [{"items": [copy.deepcopy(examples[0])], "next_cursor": _CURSOR}]


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    model_config = ConfigDict(json_schema_extra=_page_examples)

    items: list[T] = Field(description="this page's items, in the list's order")
    next_cursor: str | None = Field(description="`?cursor=` for the next page (opaque); null on the last page")


def _values_of(vocabulary: type[enum.StrEnum] | tuple[enum.StrEnum, ...]) -> Any:
    """`Literal["a", "b", …]` of a domain StrEnum's values: the document states the enum of strings,
    and the domain's enum stays the one list (the database's CHECK constraints list the same
    values, from the same enum; tests/test_openapi_schemas.py compares the document with them)."""
    return Literal[tuple(member.value for member in vocabulary)]


# Named aliases: the document has one schema for each, which every use refers to, so the generated
# client has one enum for each. (Type checkers see plain strings: the values are computed.)
if TYPE_CHECKING:
    LotState = str
    EntryKind = str
    LotSourceName = str
    TicketStatusName = str
    TicketActionName = str
    RefundReasonName = str
    WebhookOutcomeName = str
    BonusPolicyName = str
    GroupByName = str
else:
    LotState = TypeAliasType(
        "LotState",
        Annotated[
            _values_of(lot_rules.LotState),
            Field(description="a state a lot's points are in; a lot's seven states sum to its points"),
        ],
    )
    EntryKind = TypeAliasType(
        "EntryKind", Annotated[_values_of(ledger_rules.EntryKind), Field(description="what a ledger entry records")]
    )
    LotSourceName = _values_of(lot_rules.LotSource)
    TicketStatusName = _values_of(ticket_rules.TicketStatus)
    TicketActionName = _values_of(ticket_rules.TicketAction)
    RefundReasonName = _values_of(lot_rules.REFUND_REASONS)
    WebhookOutcomeName = _values_of(vocabulary.Outcome)
    BonusPolicyName = _values_of(vocabulary.BonusPolicy)
    GroupByName = _values_of(finance_rules.GroupBy)
