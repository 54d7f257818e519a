"""The status page at ``/``: a login form, then the watched containers, live.

The page is a client of the API: its scripts (``status-base.js``,
``status-rows.js``, ``status-plan.js``, ``status.js``) read
``/v1/containers/details``, ``/v1/history``, ``/v1/approvals`` and
``/v1/events`` and post to ``/v1/check``, ``/v1/plan``, ``/v1/update``
(``?plan=<id>``, the plan confirmed), ``/v1/rollback``, ``/v1/release`` and
``/v1/approvals/<name>/approve|reject``, with the fork's ``access_token``
cookie that the login form sets. With a hosts file it shows one section per host. Templates and
assets are package data under ``watchtower/cli/web``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, make_response, redirect, render_template, request
from werkzeug.wrappers import Response as ResponseBase

from ..broadcast import MAX_SUBSCRIBERS
from ..openapi import Operation
from ._base import context, given_token, note_failed_auth, timestamp

__all__ = ["OPERATIONS", "WEB", "page"]

#: The folder of the page's templates and static assets.
WEB = Path(__file__).resolve().parent.parent / "web"

OPERATIONS = (
    Operation(
        "get",
        "/",
        "page",
        "The status page (the login form without a token)",
        auth="none",
        content_type="text/html",
    ),
)

page = Blueprint("page", __name__)


def _login(error: str = "", status: int = 200) -> Response:
    response = make_response(render_template("login.html", error=error), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@page.get("/")
def _status_page() -> Response:
    state = context()
    given = given_token()
    if not state.accepts(given):
        if given is not None:  # a wrong cookie is a guess too
            note_failed_auth()
        return _login()
    upcoming = state.next_run()
    response = make_response(
        render_template(
            "status.html",
            endpoints=sorted(state.settings.endpoints),
            next_run=timestamp(upcoming) if upcoming else "",
            dry_run=state.runner.dry_run,
            monitor_only=state.runner.params.monitor_only,
            # The live mark says why a refused stream was refused.
            max_streams=MAX_SUBSCRIBERS,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@page.post("/login")
def _log_in() -> ResponseBase:
    token = request.form.get("token", "").strip()
    if not context().accepts(token):
        return _login("That token is not the API token.", 401)
    response = redirect("/", 303)
    response.set_cookie(
        "access_token",
        token,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path="/",
    )
    return response


@page.post("/logout")
def _log_out() -> ResponseBase:
    response = redirect("/", 303)
    response.delete_cookie("access_token", path="/")
    return response
