"""``GET /v1/events``: the run events as a Server-Sent Events stream."""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Blueprint, Response, request

from ...events import Event
from ..broadcast import Subscription
from ..openapi import Operation
from ..schemas import ref
from ._base import context, error, given_token, refuse, timestamp

__all__ = ["HEARTBEAT", "OPERATIONS", "events", "sse_message"]

#: Seconds between two keep-alive comments of an idle stream.
HEARTBEAT = 15.0

OPERATIONS = (
    Operation(
        "get",
        "/v1/events",
        "events",
        "The run events as they happen (Server-Sent Events)",
        auth="events",
        content_type="text/event-stream",
        responses={503: "Too many streams are open"},
        # Each message's data line is one Event, as JSON.
        schema=ref("Event"),
    ),
)

events = Blueprint("events", __name__)


def sse_message(event: Event) -> str:
    """One Server-Sent Events message: the event's kind, and its JSON as the fork shapes it."""
    data = {"type": event.kind, "timestamp": timestamp(event.at), "data": event.to_dict()}
    return f"event: {event.kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _messages(subscription: Subscription, heartbeat: float) -> Iterator[str]:
    try:
        # The first bytes tell proxies and clients the stream is open.
        yield "retry: 3000\n: connected\n\n"
        while True:
            event = subscription.get(heartbeat)
            if subscription.closed:
                return
            yield ": keep-alive\n\n" if event is None else sse_message(event)
    finally:
        subscription.close()


@events.get("/v1/events")
def _events_view() -> Response:
    state = context()
    # EventSource cannot send headers: the events token may come as a query parameter.
    given = given_token() or request.args.get("access_token") or None
    if not state.accepts(given, events=True):
        return refuse()
    subscription = state.broadcaster.subscribe()
    if subscription is None:
        return error(503, "too many event streams are open")
    return Response(
        _messages(subscription, HEARTBEAT),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
