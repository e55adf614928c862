"""Request and response schemas carry descriptions and examples, and the examples are valid.

Checked on the committed document (openapi/openapi.json, which test_openapi.py keeps equal to the
app), so what readers and the generated client see is what is tested:

* every property of every object schema (in components, and inline in request and response
  bodies) has a `description` of its own: on the property itself, not only on the schema a `$ref`
  points at, because a lot or a balance means something particular where it appears;
* a property that may be null says what null means, and a timestamp says it is UTC;
* every object schema in components has model-level `examples`, and every request and response
  body has an example (the media type's own, or its schema's);
* every example validates against the document (formats included) and against the pydantic model
  it documents, and is exactly what that model serializes, so examples cannot rot;
* examples look like the service's data: ids as the service makes them (`lot_…`, `tkt_…`, `le_…`
  with a ULID), UTC timestamps, a lot's states summing to its points.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs  # schemathesis's validator (a test dependency through it)
import pytest
from pydantic import BaseModel

from points_service.api import docs, schemas

from support.figures import LOT_STATES

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
DOCUMENT = json.loads(COMMITTED.read_text())
COMPONENTS = DOCUMENT["components"]["schemas"]
REF = "#/components/schemas/"


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].removeprefix(REF)]
    return schema


def _bodies() -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, media type object) of every request and response body of every operation."""
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{where} request {media_type}", media
            for status, response in operation["responses"].items():
                for media_type, media in response.get("content", {}).items():
                    yield f"{where} {status} {media_type}", media


def _subschemas(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The schema and every schema nested in it (without following `$ref`)."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for name, prop in schema.get("properties", {}).items():
        yield from _subschemas(prop, f"{where}.{name}")
    for key in ("items", "additionalProperties", "not"):
        yield from _subschemas(schema.get(key), f"{where}[{key}]")
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for i, branch in enumerate(schema.get(key, [])):
            yield from _subschemas(branch, f"{where}[{key}/{i}]")


def _all_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, schema in COMPONENTS.items():
        yield from _subschemas(schema, name)
    for where, media in _bodies():
        if "$ref" not in media["schema"]:
            yield from _subschemas(media["schema"], where)


def _properties() -> Iterator[tuple[str, dict[str, Any]]]:
    for where, schema in _all_schemas():
        for name, prop in schema.get("properties", {}).items():
            yield f"{where}.{name}", prop


def _nullable(prop: dict[str, Any]) -> bool:
    return prop.get("type") == "null" or any(branch.get("type") == "null" for branch in prop.get("anyOf", []))


def _timestamp(prop: dict[str, Any]) -> bool:
    return prop.get("format") == "date-time" or any(b.get("format") == "date-time" for b in prop.get("anyOf", []))


# --------------------------------------------------------------------------- descriptions


def test_every_property_has_its_own_description() -> None:
    missing = [where for where, prop in _properties() if not str(prop.get("description", "")).strip()]
    assert not missing, f"properties without a description: {missing}"


def test_nullable_properties_say_what_null_means() -> None:
    vague = [where for where, prop in _properties() if _nullable(prop) and "null" not in prop.get("description", "")]
    assert not vague, f"nullable properties whose description does not say when they are null: {vague}"


def test_timestamps_say_they_are_utc() -> None:
    vague = [where for where, prop in _properties() if _timestamp(prop) and "UTC" not in prop.get("description", "")]
    assert not vague, f"timestamps whose description does not say UTC: {vague}"


# --------------------------------------------------------------------------- examples present


def _schema_has_example(schema: dict[str, Any]) -> bool:
    schema = _resolve(schema)
    if schema.get("examples"):
        return True
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return all(_schema_has_example(branch) for branch in schema[key])
    properties = schema.get("properties", {})
    return bool(properties) and all(prop.get("examples") for prop in properties.values())


def test_every_body_has_an_example() -> None:
    missing = [
        where
        for where, media in _bodies()
        if "example" not in media and not media.get("examples") and not _schema_has_example(media["schema"])
    ]
    assert not missing, f"request or response bodies without an example: {missing}"


def test_every_object_schema_in_components_has_model_level_examples() -> None:
    """Also the objects only nested in bodies (a lot, a posting, a pricing rule): one example of
    the whole object shows what its fields look like together."""
    missing = [
        name for name, schema in COMPONENTS.items() if schema.get("type") == "object" and not schema.get("examples")
    ]
    assert not missing, f"object schemas without model-level examples: {missing}"


def test_every_schema_model_has_examples() -> None:
    """Models that are not (yet) in the document, like `Health`, are documented all the same."""
    models = [
        value
        for value in vars(schemas).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__.startswith(f"{schemas.__name__}.")  # defined in one of the package's modules
    ]
    assert models, "no models found in points_service.api.schemas"
    missing = [
        model.__name__
        for model in models
        if model not in (schemas.RequestBody, schemas.Page) and not model.model_json_schema().get("examples")
    ]
    assert not missing, f"models without examples: {missing}"


# --------------------------------------------------------------------------- examples valid


def _model(name: str) -> type[BaseModel]:
    """The pydantic model behind a component schema (`Page_Lot_` is `Page[Lot]`)."""
    if page := re.fullmatch(r"Page_(\w+)_", name):
        return schemas.Page[_model(page[1])]  # type: ignore[misc, return-value]  # a model class of Page[a class known at run time]
    model = getattr(schemas, name, None) or docs.COMPONENTS.get(name)  # `ProblemError` is docs.InvalidPart
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model
    raise LookupError(f"no model for the component schema {name}")


def _validator(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft202012Validator({**schema, "components": DOCUMENT["components"]}, validate_formats=True)


def _component_examples() -> list[tuple[str, int, Any]]:
    return [
        (name, i, example)
        for name, schema in COMPONENTS.items()
        for i, example in enumerate(schema.get("examples", []))
    ]


@pytest.mark.parametrize(
    ("name", "index", "example"), _component_examples(), ids=lambda v: v if isinstance(v, str) else None
)
def test_component_example_is_valid_and_what_the_model_serializes(name: str, index: int, example: Any) -> None:
    errors = [str(error) for error in _validator({"$ref": REF + name}).iter_errors(example)]
    assert not errors, f"{name} example {index} breaks the document's schema: {errors}"
    model = _model(name)
    parsed = model.model_validate_json(json.dumps(example))  # as the body arrives on the wire
    assert parsed.model_dump(mode="json", exclude_unset=True) == example, (
        f"{name} example {index} is not in the form the model serializes"
    )


def _media_examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    for where, media in _bodies():
        if "example" in media:
            yield where, media["schema"], media["example"]
        for key, named in media.get("examples", {}).items():
            yield f"{where} ({key})", media["schema"], named["value"]


@pytest.mark.parametrize(
    ("where", "schema", "example"), list(_media_examples()), ids=lambda v: v if isinstance(v, str) else None
)
def test_media_type_example_is_valid(where: str, schema: dict[str, Any], example: Any) -> None:
    errors = [str(error) for error in _validator(schema).iter_errors(example)]
    assert not errors, f"{where}: the example breaks the schema: {errors}"
    if schema.get("$ref"):
        _model(schema["$ref"].removeprefix(REF)).model_validate_json(json.dumps(example))


# --------------------------------------------------------------------------- examples realistic

ULID = "[0-9A-HJKMNP-TV-Z]{26}"
IDS = {
    "lot_id": rf"lot_{ULID}",
    "origin_lot_id": rf"lot_{ULID}",
    "ticket_id": rf"tkt_{ULID}",
}
ID_OF = {
    "Lot": rf"lot_{ULID}",
    "Ticket": rf"tkt_{ULID}",
    "TicketDetail": rf"tkt_{ULID}",
    "LedgerEntry": rf"le_{ULID}|pending:lot_{ULID}",
}
INSTANT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


@pytest.mark.parametrize(
    ("name", "index", "example"), _component_examples(), ids=lambda v: v if isinstance(v, str) else None
)
def test_component_example_looks_like_the_services_data(name: str, index: int, example: Any) -> None:
    for obj in _objects(example):
        for key, value in obj.items():
            if key in IDS and value is not None:
                assert re.fullmatch(IDS[key], value), f"{name} example {index}: {key} {value!r}"
            if (key.endswith("_at") or key == "at") and isinstance(value, str):
                assert re.fullmatch(INSTANT, value), (
                    f"{name} example {index}: {key} {value!r} is not UTC like 2026-11-26T10:00:00Z"
                )
        if {"points", *LOT_STATES} <= obj.keys():
            assert sum(obj[state] for state in LOT_STATES) == obj["points"], (
                f"{name} example {index}: lot states ≠ points"
            )
    if name in ID_OF:
        assert re.fullmatch(ID_OF[name], example["id"]), f"{name} example {index}: id {example['id']!r}"
    if name == "Revocation":
        parts = ("revoked", "held_by_open_tickets", "unrecoverable", "already_expired", "written_off", "reissued")
        assert sum(example[part] for part in parts) == example["lot"]["points"]


def test_closed_sets_are_enums_with_the_databases_values() -> None:
    """Kinds and states are enums in the document (so the client has types for them), with exactly
    the values the database's CHECK constraints allow: a response can never carry another one.
    Each is one named schema that every use refers to, so the client has one enum for each."""
    from typing import get_args

    from points_service.db.schema import ENTRY_KINDS, LOT_STATES

    assert get_args(get_args(schemas.EntryKind.__value__)[0]) == ENTRY_KINDS
    assert get_args(get_args(schemas.LotState.__value__)[0]) == LOT_STATES
    assert COMPONENTS["EntryKind"]["enum"] == list(ENTRY_KINDS)
    assert COMPONENTS["LotState"]["enum"] == list(LOT_STATES)
    entry = COMPONENTS["LedgerEntry"]["properties"]
    posting = COMPONENTS["PostingOut"]["properties"]
    assert entry["kind"]["$ref"] == REF + "EntryKind"
    assert posting["to_state"]["$ref"] == REF + "LotState"
    assert [s.get("$ref") for s in posting["from_state"]["anyOf"]] == [REF + "LotState", None]
    (kind_filter,) = [
        p for p in DOCUMENT["paths"]["/v1/accounts/{account_id}/ledger"]["get"]["parameters"] if p["name"] == "kind"
    ]
    assert kind_filter["schema"]["items"]["$ref"] == REF + "EntryKind"


def test_closed_sets_of_the_document_are_the_migrated_databases_check_constraints(template_db: Path) -> None:
    """The document's enums against the CHECK constraints as the migrations wrote them (not the
    Python lists both are derived from): lot states, lot sources, entry kinds, ticket statuses."""
    import sqlite3

    with sqlite3.connect(template_db) as conn:
        tables = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())

    def allowed(table: str, column: str) -> list[str]:
        (values,) = re.findall(rf"CHECK \({column} IN \(([^)]*)\)\)", tables[table])
        return re.findall(r"'([^']*)'", values)

    def sum_of_states() -> list[str]:
        (terms,) = re.findall(r"CHECK \((available \+ [^=]*)= points\)", tables["lots"])
        return [term.strip() for term in terms.split("+")]

    assert COMPONENTS["LotState"]["enum"] == sum_of_states()
    assert COMPONENTS["EntryKind"]["enum"] == allowed("ledger_entries", "kind")
    assert COMPONENTS["Lot"]["properties"]["source"]["enum"] == allowed("lots", "source")
    assert COMPONENTS["TicketDetail"]["properties"]["status"]["enum"] == allowed("tickets", "status")
