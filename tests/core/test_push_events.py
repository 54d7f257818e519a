"""Reading push payloads: the registry's envelope, Docker Hub's webhook, the generic form."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from watchtower.errors import PushEventError
from watchtower.push import PushEvent, parse_dockerhub, parse_generic, parse_registry
from watchtower.reference import parse_reference

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
DIGEST = "sha256:" + "ab" * 32
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def registry_event(**changes: Any) -> dict[str, Any]:
    """A manifest push event as distribution 2.8 sends it."""
    event: dict[str, Any] = {
        "id": "e1",
        "timestamp": "2026-01-01T00:00:01.123456789Z",
        "action": "push",
        "target": {
            "mediaType": MANIFEST,
            "digest": DIGEST,
            "repository": "team/app",
            "url": f"http://127.0.0.1:5000/v2/team/app/manifests/{DIGEST}",
            "tag": "v2",
        },
        "request": {"host": "127.0.0.1:5000", "method": "PUT"},
    }
    for key, value in changes.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def envelope(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def test_a_manifest_push_is_read_with_its_registry_tag_digest_and_time() -> None:
    [event] = parse_registry(envelope(registry_event()), received=NOW)
    assert event == PushEvent(
        repository="127.0.0.1:5000/team/app",
        tag="v2",
        digest=DIGEST,
        source="registry",
        received=NOW,
        pushed=datetime(2026, 1, 1, 0, 0, 1, 123456, tzinfo=timezone.utc),
    )


def target(**changes: Any) -> dict[str, Any]:
    base = dict(registry_event()["target"])
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (registry_event(action="pull"), "a pull"),
        (registry_event(action="delete"), "a delete"),
        (registry_event(target=target(mediaType="application/octet-stream")), "a blob"),
        (
            registry_event(
                target=target(mediaType="application/vnd.docker.container.image.v1+json")
            ),
            "an image config",
        ),
        (registry_event(target=target(tag=None)), "a push by digest alone"),
        (registry_event(target=None), "no target"),
    ],
)
def test_events_that_are_not_a_tagged_manifest_push_are_left_out(
    event: dict[str, Any], why: str
) -> None:
    assert parse_registry(envelope(event), received=NOW) == [], why


@pytest.mark.parametrize(
    "media_type",
    [
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ],
)
def test_every_manifest_type_counts(media_type: str) -> None:
    event = registry_event(target=target(mediaType=media_type))
    assert len(parse_registry(envelope(event), received=NOW)) == 1


def test_without_the_request_host_the_registry_is_the_url_host() -> None:
    [event] = parse_registry(envelope(registry_event(request=None)), received=NOW)
    assert event.repository == "127.0.0.1:5000/team/app"


def test_an_unreadable_timestamp_is_no_time_not_an_error() -> None:
    [event] = parse_registry(envelope(registry_event(timestamp="yesterday")), received=NOW)
    assert event.pushed is None
    assert event.since == NOW


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The registry push payload is not JSON"),
        (b"[]", "The registry push payload is not a JSON object."),
        (b"{}", "The registry push payload has no 'events' list."),
        (b'{"events": [1]}', "The registry push event #1 is not a JSON object."),
        (
            envelope(registry_event(target=target(repository=None))),
            "The registry push event #1 has no repository.",
        ),
        (
            envelope(registry_event(request=None, target=target(url=None))),
            "The registry push event #1 does not name its registry.",
        ),
        (
            envelope(registry_event(target=target(repository="Team/App"))),
            "The registry push event #1 names no image",
        ),
        (
            envelope(registry_event(target=target(tag="bad tag"))),
            "The registry push event #1 names no image",
        ),
        (
            envelope(registry_event(target=target(digest="md5:12"))),
            "The registry push event #1 has a digest that is not one: 'md5:12'.",
        ),
    ],
)
def test_a_bad_registry_payload_is_one_sentence(body: bytes, message: str) -> None:
    with pytest.raises(PushEventError) as caught:
        parse_registry(body, received=NOW)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


DOCKERHUB = {
    "callback_url": "https://registry.hub.docker.com/u/team/app/hook/x/",
    "push_data": {"pushed_at": 1767225600, "pusher": "someone", "tag": "latest"},
    "repository": {"repo_name": "team/app", "name": "app", "namespace": "team"},
}


def test_a_docker_hub_webhook_names_the_docker_hub_repository_and_tag() -> None:
    [event] = parse_dockerhub(json.dumps(DOCKERHUB), received=NOW)
    assert event == PushEvent(
        "docker.io/team/app",
        "latest",
        None,
        "dockerhub",
        NOW,
        datetime(2026, 1, 1, tzinfo=timezone.utc),
    )


def test_an_official_image_gets_the_library_path() -> None:
    body = {**DOCKERHUB, "repository": {"repo_name": "nginx"}}
    [event] = parse_dockerhub(body, received=NOW)
    assert event.repository == "docker.io/library/nginx"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"push_data": {"tag": "x"}}, "The dockerhub push payload has no 'repository'"),
        ({**DOCKERHUB, "push_data": {}}, "The dockerhub push event has no tag."),
        ({**DOCKERHUB, "repository": {}}, "The dockerhub push event has no repository."),
    ],
)
def test_a_bad_docker_hub_payload_is_one_sentence(body: dict[str, Any], message: str) -> None:
    with pytest.raises(PushEventError, match="^" + message.replace("(", r"\(")):
        parse_dockerhub(body, received=NOW)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"repository": "nginx", "tag": "1.25"},
            [("docker.io/library/nginx", "1.25", None)],
        ),
        (
            {"repository": "ghcr.io/o/app", "tag": "v1", "digest": DIGEST},
            [("ghcr.io/o/app", "v1", DIGEST)],
        ),
        (
            [{"repository": "a", "tag": "1"}, {"repository": "localhost:5000/b", "tag": "2"}],
            [("docker.io/library/a", "1", None), ("localhost:5000/b", "2", None)],
        ),
    ],
)
def test_the_generic_form(body: Any, expected: list[tuple[str, str, str | None]]) -> None:
    events = parse_generic(json.dumps(body), received=NOW)
    assert [e.key for e in events] == expected
    assert {e.source for e in events} == {"generic"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('"text"', "The generic push event is not a JSON object."),
        ("[1]", "The generic push event #1 is not a JSON object."),
        ('{"tag": "1"}', "The generic push event has no repository."),
        ('{"repository": "a"}', "The generic push event has no tag."),
        ('{"repository": "a", "tag": ""}', "The generic push event has no tag."),
        ('{"repository": "a@sha256:00", "tag": "1"}', "The generic push event names no image"),
        ('{"repository": "a", "tag": "1", "digest": 7}', "The generic push event has a digest"),
        ("", "The generic push payload is not JSON"),
    ],
)
def test_a_bad_generic_payload_is_one_sentence(body: str, message: str) -> None:
    with pytest.raises(PushEventError) as caught:
        parse_generic(body, received=NOW)
    assert str(caught.value).startswith(message)


def test_an_event_names_its_repository_at_its_tag_only() -> None:
    [event] = parse_generic('{"repository": "127.0.0.1:5000/app", "tag": "v2"}', received=NOW)
    assert event.names(parse_reference("127.0.0.1:5000/app:v2"))
    assert not event.names(parse_reference("127.0.0.1:5000/app:v1"))
    assert not event.names(parse_reference("localhost:5000/app:v2"))
    assert not event.names(parse_reference("127.0.0.1:5000/other:v2"))
