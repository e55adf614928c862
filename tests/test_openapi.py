"""The committed OpenAPI document is what the app generates (`make openapi` regenerates it)."""

from pathlib import Path

from points_service.openapi import render

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app():
    assert COMMITTED.read_text() == render(), "openapi/openapi.json is stale: run `make openapi`"


def test_every_operation_has_an_id_and_a_summary():
    import json

    document = json.loads(COMMITTED.read_text())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("operationId"), (method, path)
            assert operation.get("summary"), (method, path)


def test_optional_parameters_are_left_out_never_null():
    """A query or header parameter is absent or a value: `X | None` would invite `?cursor=null`."""
    import json

    document = json.loads(COMMITTED.read_text())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                assert '"null"' not in json.dumps(parameter["schema"]), (method, path, parameter["name"])
