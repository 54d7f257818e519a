"""Conformance checks: run them against your own backend to see that it keeps its protocol.

A :class:`~watchtower.protocols.ContainerClient` or
:class:`~watchtower.protocols.Registry` of your own gets every feature of
:func:`watchtower.update` when it keeps the contract the protocols'
docstrings state. These checks try that contract on a live backend: each one
is a plain function of a subject (:class:`EngineSubject`,
:class:`RegistrySubject`) that raises :class:`ConformanceError`, an
``AssertionError``, naming what it saw. The in-memory backends and the
shipped Docker and registry clients pass them all.

With pytest, one test per check::

    from watchtower.testing import conformance

    @pytest.mark.parametrize("check", conformance.ENGINE_CHECKS, ids=conformance.name)
    def test_my_engine_keeps_the_contract(check, my_engine_subject):
        check(my_engine_subject)

or all at once, with any test runner::

    conformance.verify_engine(EngineSubject(client, run=start_one, image=image))
    conformance.verify_registry(RegistrySubject(registry, publish=push_one))

The engine's checks run, stop, rename, replace and remove containers of
their own (named by :attr:`EngineSubject.names`) and leave nothing behind
when they pass; run them on an engine where that is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from ._conformance import ConformanceError, EngineSubject, RegistrySubject
from ._engine_checks import (
    LABEL as _LABEL,
)
from ._engine_checks import (
    check_a_hook_runs_in_the_container,
    check_a_missing_container_is_a_container_error,
    check_a_missing_image_is_none,
    check_a_pull_of_an_absent_tag_is_an_engine_error,
    check_a_pull_returns_the_local_image,
    check_a_removed_container_is_gone,
    check_a_renamed_container_keeps_its_id,
    check_a_replacement_checker_tells_a_pass_from_a_stop,
    check_a_replacement_keeps_the_configuration,
    check_a_started_container_is_listed,
    check_an_image_in_use_is_not_removed,
    check_calls_from_several_threads_agree,
    check_stop_and_start,
)
from ._registry_checks import (
    check_a_digest_changes_with_a_new_version,
    check_a_published_tag_has_a_digest,
    check_an_age_is_aware_or_unknown,
    check_an_unpublished_tag_is_a_registry_error,
    check_digests_from_several_threads_agree,
    check_tags_are_listed,
)

__all__ = [
    "ENGINE_CHECKS",
    "LABEL",
    "REGISTRY_CHECKS",
    "ConformanceError",
    "EngineSubject",
    "RegistrySubject",
    "check_a_digest_changes_with_a_new_version",
    "check_a_hook_runs_in_the_container",
    "check_a_missing_container_is_a_container_error",
    "check_a_missing_image_is_none",
    "check_a_published_tag_has_a_digest",
    "check_a_pull_of_an_absent_tag_is_an_engine_error",
    "check_a_pull_returns_the_local_image",
    "check_a_removed_container_is_gone",
    "check_a_renamed_container_keeps_its_id",
    "check_a_replacement_checker_tells_a_pass_from_a_stop",
    "check_a_replacement_keeps_the_configuration",
    "check_a_started_container_is_listed",
    "check_an_age_is_aware_or_unknown",
    "check_an_image_in_use_is_not_removed",
    "check_an_unpublished_tag_is_a_registry_error",
    "check_calls_from_several_threads_agree",
    "check_digests_from_several_threads_agree",
    "check_stop_and_start",
    "check_tags_are_listed",
    "name",
    "verify_engine",
    "verify_registry",
]

_S = TypeVar("_S")

LABEL = _LABEL
"""The label the engine's checks give the containers they run, to see that it is kept."""

ENGINE_CHECKS: tuple[Callable[[EngineSubject], None], ...] = (
    check_a_started_container_is_listed,
    check_a_missing_container_is_a_container_error,
    check_stop_and_start,
    check_a_renamed_container_keeps_its_id,
    check_a_replacement_keeps_the_configuration,
    check_a_removed_container_is_gone,
    check_a_missing_image_is_none,
    check_a_pull_returns_the_local_image,
    check_a_pull_of_an_absent_tag_is_an_engine_error,
    check_an_image_in_use_is_not_removed,
    check_a_hook_runs_in_the_container,
    check_a_replacement_checker_tells_a_pass_from_a_stop,
    check_calls_from_several_threads_agree,
)
"""Every check of a :class:`~watchtower.protocols.ContainerClient` (and of a
:class:`~watchtower.protocols.ReplacementChecker`, when it is one too), in a sensible order."""

REGISTRY_CHECKS: tuple[Callable[[RegistrySubject], None], ...] = (
    check_a_published_tag_has_a_digest,
    check_a_digest_changes_with_a_new_version,
    check_an_unpublished_tag_is_a_registry_error,
    check_an_age_is_aware_or_unknown,
    check_digests_from_several_threads_agree,
    check_tags_are_listed,
)
"""Every check of a :class:`~watchtower.protocols.Registry` (and of a
:class:`~watchtower.protocols.TagLister`, when it is one too)."""


def name(check: Callable[..., object]) -> str:
    """A check's name without its ``check_`` prefix, for a test id."""
    return getattr(check, "__name__", repr(check)).removeprefix("check_")


def _verify(subject: _S, checks: Sequence[Callable[[_S], None]], what: str) -> None:
    failures = []
    for check in checks:
        try:
            check(subject)
        except Exception as error:  # a backend's own error is a failure of the check too
            kind = "" if isinstance(error, ConformanceError) else f"{type(error).__name__}: "
            failures.append(f"{name(check)} ({kind}{error})")
    if failures:
        raise ConformanceError(
            f"{what} failed {len(failures)} of {len(checks)} checks: {'; '.join(failures)}"
        )


def verify_engine(subject: EngineSubject) -> None:
    """Run every check of :data:`ENGINE_CHECKS` against ``subject``.

    Raises:
        ConformanceError: Some checks failed; the message names each and why.
    """
    _verify(subject, ENGINE_CHECKS, f"The container client {subject.client!r}")


def verify_registry(subject: RegistrySubject) -> None:
    """Run every check of :data:`REGISTRY_CHECKS` against ``subject``.

    Raises:
        ConformanceError: Some checks failed; the message names each and why.
    """
    _verify(subject, REGISTRY_CHECKS, f"The registry {subject.registry!r}")
