"""Image reference parsing and normalisation, with Docker's rules.

:func:`parse_reference` accepts exactly what Docker's own reference parser
(distribution's ``ParseNormalizedNamed``, then ``TagNameOnly``) accepts, and
normalises the same way:

* a name without a registry is on Docker Hub: ``nginx`` is
  ``docker.io/library/nginx:latest`` and ``user/app`` is
  ``docker.io/user/app:latest``;
* the first path component names a registry host when it contains ``.`` or
  ``:``, is ``localhost``, or has upper-case letters (``ghcr.io/o/a``,
  ``localhost:5000/app``, ``[::1]:5000/app``, ``MYHOST/app``);
* ``index.docker.io`` is Docker Hub's legacy name and becomes ``docker.io``;
* a reference with neither a tag nor a digest gets the tag ``latest``; one with
  only a digest keeps no tag; ``name:tag@digest`` keeps both.

One deliberate difference: where Docker would quietly treat an invalid host
such as ``my_host.example/app`` as part of a registry-less path, this module
rejects it, so an :class:`~watchtower.model.ImageRef` always has a registry.
"""

from __future__ import annotations

import functools
import re

from ._text import quoted
from .errors import InvalidReferenceError
from .model import ImageRef

__all__ = ["is_image_id", "parse_reference"]

DEFAULT_DOMAIN = "docker.io"
"""Docker Hub, the registry of every name that names none."""

LEGACY_DEFAULT_DOMAIN = "index.docker.io"
"""Docker Hub's legacy name, normalised to :data:`DEFAULT_DOMAIN`."""

OFFICIAL_PREFIX = "library/"
"""The namespace of Docker Hub's official images (``nginx`` is ``library/nginx``)."""

DEFAULT_TAG = "latest"
"""The tag of a reference that names neither a tag nor a digest."""

MAX_PATH_LENGTH = 255
"""The longest repository path (without the registry) Docker accepts."""

# The grammar of distribution's reference package (regexp.go), as Python
# regular expressions; ASCII only, as in Go.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6_ADDRESS = r"\[[a-fA-F0-9:]+\]"
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6_ADDRESS})(?::[0-9]+)?"
_TAG = r"\w[\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_PATH_RE = re.compile(_PATH, re.ASCII)
_PATH_COMPONENT_RE = re.compile(_PATH_COMPONENT, re.ASCII)
_DOMAIN_RE = re.compile(_DOMAIN, re.ASCII)
_TAG_RE = re.compile(_TAG, re.ASCII)
_DIGEST_RE = re.compile(_DIGEST, re.ASCII)
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}")
_IMAGE_ID_RE = re.compile(r"(?:sha256:)?[a-f0-9]{64}")
_WHITESPACE_RE = re.compile(r"\s")

# The digest algorithms Docker's engine accepts (go-digest's registered
# ones), with the length of their lowercase hex encoding.
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX_RE = re.compile(r"[a-f0-9]+")

_CACHE_SIZE = 4096


def is_image_id(text: str) -> bool:
    """True when ``text`` is an image id rather than a reference.

    An image id is ``sha256:`` followed by 64 lowercase hexadecimal digits, or
    those 64 digits alone: what a container created from an id (``docker run
    sha256:...``) has as its image.
    """
    return _IMAGE_ID_RE.fullmatch(text) is not None


def parse_reference(text: str) -> ImageRef:
    """Parse and normalise an image reference (``nginx`` -> ``docker.io/library/nginx:latest``).

    Results are cached (the cache is bounded), so parsing the same reference
    for thousands of containers costs one parse.

    Args:
        text: A reference as Docker accepts it: ``nginx``, ``nginx:1.25``,
            ``ghcr.io/owner/app@sha256:...``, ``localhost:5000/app:v1``.

    Returns:
        The normalised reference.

    Like Docker, this reads ``sha256:<64 hex digits>`` as the Docker Hub
    image ``library/sha256`` at that tag, and rejects the 64 digits alone:
    check :func:`is_image_id` first where an image id may turn up (the image
    of a container created from an id).

    Raises:
        InvalidReferenceError: ``text`` is not a valid reference; the message
            names it and says what is wrong.
    """
    return _parse_cached(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_cached(text: str) -> ImageRef:
    return _parse(text)


def _parse(text: str) -> ImageRef:
    if not text:
        raise _invalid(text, "it is empty")
    if _WHITESPACE_RE.search(text):
        raise _invalid(text, "it contains whitespace")
    if _IDENTIFIER_RE.fullmatch(text):
        raise _invalid(
            text,
            "a 64-character hexadecimal string is an image id, not a repository name",
        )

    domain, remainder, prefixed = _split_domain(text)
    if domain != DEFAULT_DOMAIN and not _DOMAIN_RE.fullmatch(domain):
        raise _invalid(text, f"registry host {quoted(domain)} is not valid")

    named, has_digest, digest = remainder.partition("@")
    path, has_tag, tag = named.partition(":")
    _check_path(text, path, path.removeprefix(OFFICIAL_PREFIX) if prefixed else path)
    if has_tag and not _TAG_RE.fullmatch(tag):
        raise _invalid(text, f"tag {quoted(tag)} is not valid ({_TAG_RULE})")
    if has_digest:
        _check_digest(text, digest)
    elif not has_tag:
        tag = DEFAULT_TAG
    return ImageRef(domain, path, tag or None, digest or None)


def _split_domain(text: str) -> tuple[str, str, bool]:
    """Split ``text`` into registry host and the rest, as Docker does.

    The flag says whether the rest got the ``library/`` prefix here.
    """
    first, slash, rest = text.partition("/")
    if not slash:
        # A single component is always a Docker Hub name, never a host:
        # ``localhost:5000`` is the image ``localhost`` at tag ``5000``.
        return DEFAULT_DOMAIN, OFFICIAL_PREFIX + text, True
    if first == LEGACY_DEFAULT_DOMAIN:
        domain, remainder = DEFAULT_DOMAIN, rest
    elif first == "localhost" or "." in first or ":" in first or first.lower() != first:
        # Docker's heuristic: Docker Hub namespaces have no '.', ':' or upper
        # case, so a first component with any of them names a registry host.
        domain, remainder = first, rest
    else:
        domain, remainder = DEFAULT_DOMAIN, text
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        return domain, OFFICIAL_PREFIX + remainder, True
    return domain, remainder, False


def _check_path(text: str, path: str, shown: str) -> None:
    """Check the repository path; ``shown`` is the path as ``text`` spells it."""
    if _PATH_RE.fullmatch(path):
        if len(path) > MAX_PATH_LENGTH:
            raise _invalid(
                text,
                f"the repository name is {len(path)} characters long, "
                f"more than the {MAX_PATH_LENGTH} allowed",
            )
        return
    if not shown:
        raise _invalid(text, "it has no repository name")
    if path.lower() != path and _PATH_RE.fullmatch(path.lower()):
        raise _invalid(text, f"repository name {quoted(shown)} must be lowercase")
    for component in path.split("/"):
        if not component:
            raise _invalid(text, f"repository name {quoted(shown)} has an empty path component")
        if not _PATH_COMPONENT_RE.fullmatch(component):
            raise _invalid(
                text,
                f"repository name component {quoted(component)} is not valid "
                "(lowercase letters and digits, separated by '.', '_', '__' or dashes)",
            )
    raise _invalid(text, f"repository name {quoted(shown)} is not valid")


def _check_digest(text: str, digest: str) -> None:
    if not _DIGEST_RE.fullmatch(digest):
        raise _invalid(
            text,
            f"digest {quoted(digest)} is not valid (expected algorithm:hex, "
            "such as sha256 and 64 hexadecimal digits)",
        )
    algorithm, _, encoded = digest.partition(":")
    length = _DIGEST_HEX_LENGTHS.get(algorithm)
    if length is None:
        raise _invalid(
            text,
            f"digest algorithm {quoted(algorithm)} is not supported "
            f"(only {', '.join(_DIGEST_HEX_LENGTHS)})",
        )
    if len(encoded) != length or not _LOWER_HEX_RE.fullmatch(encoded):
        raise _invalid(
            text,
            f"digest {quoted(digest)} is not valid: {algorithm} needs "
            f"{length} lowercase hexadecimal digits",
        )


_TAG_RULE = "up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"


def check_tag(name: str, tag: str) -> None:
    """Stop on a tag that Docker's grammar rejects, for :meth:`ImageRef.with_tag`.

    Raises:
        InvalidReferenceError: ``tag`` is not a tag, in one sentence naming it and ``name``.
    """
    if not _TAG_RE.fullmatch(tag):
        raise InvalidReferenceError(f"The tag {quoted(tag)} for {name} is not valid ({_TAG_RULE}).")


def _invalid(text: str, problem: str) -> InvalidReferenceError:
    return InvalidReferenceError(f"Invalid image reference {quoted(text)}: {problem}.")
