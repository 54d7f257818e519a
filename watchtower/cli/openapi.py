"""The HTTP API's OpenAPI document, built from the operations the views declare.

Each view module of :mod:`watchtower.cli.api` lists its endpoints as
:class:`Operation` values next to the views; :func:`openapi_document` turns
the operations of the served endpoint groups into an OpenAPI 3.0 document,
so the document cannot drift from the routes. The shapes of the answers are
components (:mod:`watchtower.cli.schemas`); every error answer, declared
or not, is the ``Error`` schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from attrs import field, frozen

from .._version import __version__
from .schemas import COMPONENTS, ref

__all__ = ["Operation", "Param", "openapi_document"]

Auth = Literal["none", "token", "events"]
"""Who may call an operation: anyone, the API token's holder, or the events token's."""


@frozen
class Param:
    """A query parameter of an operation.

    Attributes:
        name: Its name.
        description: What it does.
        type: Its JSON type (``string``, ``boolean``, ``integer``).
        repeated: True when it may be given many times (and comma separated).
    """

    name: str
    description: str
    type: str = "string"
    repeated: bool = False


# A path's own parameters, ``{name}``: each is required, and a string.
_PATH_PARAM = re.compile(r"\{(\w+)\}")


def _responses(value: Mapping[int, str]) -> Mapping[int, str]:
    return dict(value)


def _schemas(value: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
    return dict(value)


@frozen
class Operation:
    """One endpoint of the HTTP API, as the OpenAPI document describes it.

    Attributes:
        method: ``get`` or ``post``.
        path: The route, its own parameters written ``{name}`` (Flask's ``<name>``).
        group: The ``--http-api-endpoints`` name that serves it.
        summary: One line.
        auth: Who may call it.
        params: Its query parameters.
        responses: Status code to description.
        content_type: What a successful answer is.
        schema: The JSON schema of a successful JSON answer (beyond ``api_version``);
            it may refer to the components with :func:`watchtower.cli.schemas.ref`.
        components: Schemas of its own that ``schema`` refers to, by name; they
            join the shared ones (:data:`watchtower.cli.schemas.COMPONENTS`).
        changes: For an operation that replaces or changes containers, what it
            changes, in a sentence the interactive page asks to confirm
            (``x-watchtower-changes``); empty for the others.
    """

    method: Literal["get", "post"]
    path: str
    group: str
    summary: str
    auth: Auth = "token"
    params: tuple[Param, ...] = ()
    responses: Mapping[int, str] = field(factory=dict, converter=_responses)
    content_type: str = "application/json"
    schema: Mapping[str, Any] | None = None
    components: Mapping[str, Mapping[str, Any]] = field(factory=dict, converter=_schemas)
    changes: str = ""


_UNAUTHORIZED = "Missing or invalid token"
_RATE_LIMITED = "Too many requests, or failed logins, from this address (--http-api-rate-limit)"
_BAD_QUERY = "A malformed parameter, or one the operation does not take"
_ERROR_CONTENT = {"application/json": {"schema": ref("Error")}}


def _answer_schema(op: Operation) -> dict[str, Any]:
    """The schema of a successful answer: a JSON object also carries ``api_version``."""
    if op.schema is None:
        return {"type": "string"}
    schema = dict(op.schema)
    if op.content_type == "application/json" and "properties" in schema:
        schema["properties"] = {"api_version": {"type": "string"}, **schema.get("properties", {})}
    return schema


def _operation(op: Operation) -> dict[str, Any]:
    declared = {200: "OK", **op.responses}
    if op.method == "post" or any(p.type == "boolean" for p in op.params):
        declared.setdefault(400, _BAD_QUERY)  # unknown (POST) or unreadable parameters
    if op.auth != "none":
        declared.setdefault(401, _UNAUTHORIZED)
        declared.setdefault(429, _RATE_LIMITED)
    responses: dict[str, Any] = {}
    for status, description in sorted(declared.items()):
        answer: dict[str, Any] = {"description": description}
        if status >= 400:
            answer["content"] = _ERROR_CONTENT
        elif 200 <= status < 300 and status not in (202, 204):
            answer["content"] = {op.content_type: {"schema": _answer_schema(op)}}
        responses[str(status)] = answer
    responses["default"] = {"description": "Any other error", "content": _ERROR_CONTENT}
    route = _PATH_PARAM.sub(r"\1", op.path).strip("/").replace("/", "_")
    result: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{op.method}_{route or 'root'}",
        "tags": [op.group],
        "responses": responses,
    }
    in_path = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(op.path)
    ]
    if op.params or in_path:
        result["parameters"] = in_path + [
            {
                "name": param.name,
                "in": "query",
                "description": param.description,
                "required": False,
                "schema": (
                    {"type": "array", "items": {"type": param.type}}
                    if param.repeated
                    else {"type": param.type}
                ),
                **({"style": "form", "explode": True} if param.repeated else {}),
            }
            for param in op.params
        ]
    if op.changes:
        result["x-watchtower-changes"] = op.changes
    if op.auth == "token":
        result["security"] = [{"BearerAuth": []}, {"CookieAuth": []}]
    elif op.auth == "events":
        result["security"] = [{"EventsToken": []}, {"EventsQuery": []}, {"BearerAuth": []}]
    return result


def openapi_document(operations: Iterable[Operation]) -> dict[str, Any]:
    """The OpenAPI 3.0 document describing ``operations``, with the schemas they refer to."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Mapping[str, Any]] = dict(COMPONENTS)
    for op in operations:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
        schemas.update(op.components)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Watchtower HTTP API",
            "version": __version__,
            "description": "Keeps running containers on the images their registries serve.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "BearerAuth": {"type": "http", "scheme": "bearer"},
                "CookieAuth": {"type": "apiKey", "in": "cookie", "name": "access_token"},
                "EventsToken": {"type": "http", "scheme": "bearer"},
                "EventsQuery": {"type": "apiKey", "in": "query", "name": "access_token"},
            },
        },
    }
