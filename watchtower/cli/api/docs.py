"""The API's own description: ``/v1/openapi.json`` and the ``/swagger`` page that reads it."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template

from ..openapi import Operation, openapi_document
from ._base import OPERATIONS_KEY

__all__ = ["OPERATIONS", "swagger"]

OPERATIONS = (
    Operation(
        "get",
        "/v1/openapi.json",
        "swagger",
        "This document",
        auth="none",
        schema={"type": "object"},
    ),
    Operation(
        "get",
        "/swagger/",
        "swagger",
        "Interactive API documentation",
        auth="none",
        content_type="text/html",
    ),
)

swagger = Blueprint("swagger", __name__)


@swagger.get("/v1/openapi.json")
def _openapi_view() -> Response:
    served: tuple[Operation, ...] = current_app.config[OPERATIONS_KEY]
    return jsonify(openapi_document(served))


@swagger.get("/swagger")
@swagger.get("/swagger/")
@swagger.get("/swagger/index.html")
def _swagger_view() -> str:
    return render_template("swagger.html")
