"""The :class:`~watchtower.protocols.Registry` contract, as checks a backend runs.

Each check publishes under fresh references of its own through
:attr:`RegistrySubject.publish` and asks the registry client, as
:func:`watchtower.update` does: one digest per reference, from several
threads at once, an age for the digests that changed.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from ..errors import RegistryError
from ..protocols import TagLister
from ._conformance import ConformanceError, RegistrySubject, expect

__all__ = [
    "check_a_digest_changes_with_a_new_version",
    "check_a_published_tag_has_a_digest",
    "check_an_age_is_aware_or_unknown",
    "check_an_unpublished_tag_is_a_registry_error",
    "check_digests_from_several_threads_agree",
    "check_tags_are_listed",
]

_DIGEST = re.compile(r"sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})")


def check_a_published_tag_has_a_digest(subject: RegistrySubject) -> None:
    """``digest`` of a published tag is a ``sha256:`` digest, the same when asked again."""
    ref = subject.references("digest")
    subject.publish(ref)
    first = subject.registry.digest(ref)
    expect(_DIGEST.fullmatch(first), f"digest({ref}) is {first!r}, not a sha256: digest.")
    again = subject.registry.digest(ref)
    expect(again == first, f"digest({ref}) changed from {first} to {again} with no push.")


def check_a_digest_changes_with_a_new_version(subject: RegistrySubject) -> None:
    """After a new version is pushed to a tag, ``digest`` tells the new one."""
    ref = subject.references("versions")
    subject.publish(ref)
    before = subject.registry.digest(ref)
    subject.publish(ref)
    after = subject.registry.digest(ref)
    expect(after != before, f"digest({ref}) is still {before} after a new version was pushed.")


def check_an_unpublished_tag_is_a_registry_error(subject: RegistrySubject) -> None:
    """``digest`` of a tag nobody pushed raises :class:`RegistryError`."""
    ref = subject.references("absent")
    try:
        digest = subject.registry.digest(ref)
    except RegistryError:
        return
    raise ConformanceError(f"digest({ref}) is {digest} for a tag nobody pushed.")


def check_an_age_is_aware_or_unknown(subject: RegistrySubject) -> None:
    """``created`` of a published digest is ``None`` or a time with its zone."""
    ref = subject.references("age")
    subject.publish(ref)
    created = subject.registry.created(ref, subject.registry.digest(ref))
    expect(
        created is None or created.utcoffset() is not None,
        f"created({ref}) is {created!r}, a time without a zone.",
    )


def check_digests_from_several_threads_agree(subject: RegistrySubject) -> None:
    """``digest`` asked from several threads at once answers each alike."""
    refs = [subject.references(f"threads-{n}") for n in range(3)]
    for ref in refs:
        subject.publish(ref)
    alone = {ref: subject.registry.digest(ref) for ref in refs}
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda ref: (ref, subject.registry.digest(ref)), refs * 4))
    wrong = sorted({str(ref) for ref, digest in together if digest != alone[ref]})
    expect(not wrong, f"digest() from several threads answered otherwise for {', '.join(wrong)}.")


def check_tags_are_listed(subject: RegistrySubject) -> None:
    """A registry that is also a :class:`~watchtower.protocols.TagLister` lists a pushed tag.

    Nothing to check for a registry that lists no tags.
    """
    registry = subject.registry
    if not isinstance(registry, TagLister):
        return
    ref = subject.references("tags")
    subject.publish(ref)
    tags = registry.tags(ref)
    expect(ref.tag in tags, f"tags({ref.name}) does not list the pushed {ref.tag!r}: {tags!r}.")
