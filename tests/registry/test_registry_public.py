"""The public face of watchtower.registry: the names it exports, each documented."""

from __future__ import annotations

import types

import watchtower.registry

PUBLIC = [
    "CredentialSource",
    "Credentials",
    "DockerCredentials",
    "HttpRegistry",
    "MockTransport",
    "Platform",
    "Request",
    "RequestsTransport",
    "Response",
    "RetryPolicy",
    "TokenCache",
    "Transport",
    "TransportError",
    "auth_config",
    "validate_ca_bundle",
]


def test_the_exported_names_are_these() -> None:
    assert sorted(watchtower.registry.__all__) == sorted(PUBLIC)
    assert set(PUBLIC) <= set(dir(watchtower.registry))


def test_every_exported_name_has_a_docstring() -> None:
    missing = [
        name for name in PUBLIC if not (getattr(watchtower.registry, name).__doc__ or "").strip()
    ]
    assert missing == []


def test_the_modules_behind_it_are_private() -> None:
    modules = {
        name
        for name, value in vars(watchtower.registry).items()
        if isinstance(value, types.ModuleType)
    }
    assert modules and all(name.startswith("_") for name in modules)
