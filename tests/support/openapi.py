"""Real answers held up to the OpenAPI document that declares them.

:func:`assert_matches_schema` takes an answer of the Flask test client or of
``requests`` and checks its status is declared (or falls to ``default``),
its content type is the declared one, and its JSON body matches the
declared schema, ``#/components/schemas/...`` references resolved against
the document. Every error answer must be JSON matching ``Error``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from watchtower.cli.api import OPERATIONS
from watchtower.cli.openapi import openapi_document

__all__ = ["assert_matches_schema", "component", "document", "operation_of"]


@cache
def _whole() -> str:
    return json.dumps(openapi_document(OPERATIONS))


def document() -> dict[str, Any]:
    """The OpenAPI document of every operation the API declares (a fresh copy)."""
    loaded: dict[str, Any] = json.loads(_whole())
    return loaded


def operation_of(which: str, doc: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The operation ``which`` names: an ``operationId`` or ``"POST /v1/update"``."""
    doc = doc or document()
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            if which in (op["operationId"], f"{method.upper()} {path}"):
                found: dict[str, Any] = op
                return found
    raise AssertionError(f"no operation {which!r} is declared")


def _validate(instance: object, schema: Mapping[str, Any], doc: Mapping[str, Any]) -> None:
    # The components ride along at the root, where the references point.
    rooted = {**schema, "components": doc["components"]}
    OAS30Validator(rooted, format_checker=oas30_format_checker).validate(instance)


def component(name: str, instance: object) -> None:
    """Assert ``instance`` matches the component schema ``name`` (``Error``, ``Event``...)."""
    doc = document()
    _validate(instance, {"$ref": f"#/components/schemas/{name}"}, doc)


def _parts(response: Any) -> tuple[int, str, bytes]:
    """Status, media type and body of a Flask test answer or a ``requests`` answer."""
    if hasattr(response, "status_code") and hasattr(response, "get_data"):
        return response.status_code, response.mimetype or "", response.get_data()
    media = response.headers.get("Content-Type", "").split(";")[0].strip()
    return response.status_code, media, response.content


def assert_matches_schema(response: Any, which: str, status: int | None = None) -> Any:
    """Assert ``response`` is an answer of the operation ``which`` as its document says.

    Args:
        response: A Flask test client's answer or a ``requests`` one.
        which: The operation: its ``operationId`` or ``"METHOD /path"``.
        status: The status it must have; any declared one when ``None``.

    Returns:
        The JSON body (``None`` for a body that is not JSON).
    """
    doc = document()
    op = operation_of(which, doc)
    got, media, body = _parts(response)
    if status is not None:
        assert got == status, f"{which} answered {got}, not {status}: {body[:300]!r}"
    declared = op["responses"].get(str(got)) or op["responses"]["default"]
    if got >= 400:
        assert media == "application/json", f"{which} answered {got} as {media}: {body[:300]!r}"
    content = declared.get("content")
    if content is None:
        assert not body.strip(), f"{which} answered {got} with a body none is declared for"
        return None
    assert media in content, f"{which} answered {got} as {media}, declared {list(content)}"
    if media != "application/json":
        return None
    parsed = json.loads(body)
    _validate(parsed, content[media]["schema"], doc)
    return parsed
