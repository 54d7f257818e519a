"""The HTTP API's OpenAPI document, built from the operations the views declare.

Each view module of :mod:`watchtower.cli.api` lists its endpoints as
:class:`Operation` values next to the views; :func:`openapi_document` turns
the operations of the served endpoint groups into an OpenAPI 3.0 document,
so the document cannot drift from the routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from attrs import field, frozen

from .._version import __version__

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
        schema: The JSON schema of a successful JSON answer (beyond ``api_version``).
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


_UNAUTHORIZED = "Missing or invalid token"
_RATE_LIMITED = "Too many requests from this address (--http-api-rate-limit)"


def _operation(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, description in sorted({200: "OK", **op.responses}.items()):
        answer: dict[str, Any] = {"description": description}
        if 200 <= status < 300 and status != 204:
            schema = dict(op.schema) if op.schema is not None else {"type": "string"}
            answer["content"] = {op.content_type: {"schema": schema}}
        responses[str(status)] = answer
    if op.auth != "none":
        responses["401"] = {"description": _UNAUTHORIZED}
        responses["429"] = {"description": _RATE_LIMITED}
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
    if op.auth == "token":
        result["security"] = [{"BearerAuth": []}, {"CookieAuth": []}]
    elif op.auth == "events":
        result["security"] = [{"EventsToken": []}, {"EventsQuery": []}, {"BearerAuth": []}]
    return result


def openapi_document(operations: Iterable[Operation]) -> dict[str, Any]:
    """The OpenAPI 3.0 document describing ``operations``."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Watchtower HTTP API",
            "version": __version__,
            "description": "Keeps running containers on the images their registries serve.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "BearerAuth": {"type": "http", "scheme": "bearer"},
                "CookieAuth": {"type": "apiKey", "in": "cookie", "name": "access_token"},
                "EventsToken": {"type": "http", "scheme": "bearer"},
                "EventsQuery": {"type": "apiKey", "in": "query", "name": "access_token"},
            }
        },
    }
