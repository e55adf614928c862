"""An event's data as stored and sent: the resource with its timestamps as the API writes them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from points_service.services.events import instant_text, jsonable

AT = datetime(2026, 12, 5, 7, 30, 1, 250000, tzinfo=UTC)


def reference(value: Any) -> Any:
    """The rule, written plainly: timestamps become text, mappings dicts, sequences lists."""
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, Mapping):
        return {key: reference(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [reference(item) for item in value]
    return value


def test_timestamps_are_written_as_the_api_writes_them():
    assert jsonable(AT) == "2026-12-05T07:30:01.250000Z"
    assert jsonable(AT.replace(microsecond=0)) == "2026-12-05T07:30:01Z"
    assert jsonable(AT.astimezone(timezone(timedelta(hours=2)))) == "2026-12-05T07:30:01.250000Z"


def test_a_resource_keeps_its_shape_and_its_values():
    data = {
        "id": "tkt_1",
        "points": 60,
        "waited": False,
        "closed_at": None,
        "amount": Decimal("49.90"),
        "opened_at": AT,
        "pricing": MappingProxyType({"type": "fixed", "points": 60}),
        "history": ({"at": AT, "action": "opened"},),
        "allocations": [OrderedDict(seq=0, lot_id="lot_1")],
    }
    out = jsonable(data)
    assert out == {
        "id": "tkt_1",
        "points": 60,
        "waited": False,
        "closed_at": None,
        "amount": Decimal("49.90"),
        "opened_at": "2026-12-05T07:30:01.250000Z",
        "pricing": {"type": "fixed", "points": 60},
        "history": [{"at": "2026-12-05T07:30:01.250000Z", "action": "opened"}],
        "allocations": [{"seq": 0, "lot_id": "lot_1"}],
    }
    assert type(out["waited"]) is bool and type(out["amount"]) is Decimal
    assert type(out["pricing"]) is dict and type(out["allocations"][0]) is dict


LEAVES = (
    st.text(max_size=5)
    | st.integers()
    | st.booleans()
    | st.none()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(minutes=30))]))
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4).map(MappingProxyType)
    ),
    max_leaves=20,
)


@given(VALUES)
def test_any_value_is_made_json_ready_as_the_plain_rule_says(value):
    out, expected = jsonable(value), reference(value)
    assert out == expected
    assert repr(out) == repr(expected)  # the same types too: True stays True, not 1
