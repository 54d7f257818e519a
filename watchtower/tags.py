"""Tag rules: which newer tag of its repository a container may move to.

Without a rule a container follows its tag's digest, as Watchtower does. With
one, the planner lists the repository's tags once per scan and asks the rule
which of them to run instead; the replacement then runs that tag.

:class:`VersionRule` follows semantic versions within a :class:`Bound`
(patch, minor or major) and keeps the tag's shape: its ``v`` prefix, its
number of parts and its suffix, so ``1.25.3-alpine`` moves to
``1.25.4-alpine`` and never to ``1.26.0-bookworm``, and ``1.25`` stays a
two-part tag. Pre-releases (``1.0.2-rc1``) are chosen only when the rule asks
for them; include and exclude patterns narrow the candidates further.

Versions are ordered by :mod:`packaging.version`, PEP 440's ordering, which
orders the tags registries carry (``1.2.10`` after ``1.2.9``, ``rc1`` before
the release, ``alpha`` before ``beta``) and is a small, well-kept library
that pip itself depends on. The tag's shape (prefix, parts, suffix) is read
here, because a version library knows nothing of ``-alpine``.

A rule of one's own (dates, build numbers) implements :class:`TagRule`.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import overload

from attrs import field, frozen
from packaging.version import InvalidVersion, Version
from typing_extensions import Protocol, runtime_checkable

from ._patterns import Pattern, compile_pattern
from ._text import quoted
from .errors import ConfigurationError

__all__ = ["Bound", "TagList", "TagRule", "TagVersion", "VersionRule", "parse_tag"]


@runtime_checkable
class TagRule(Protocol):
    """A rule that picks the tag a container moves to, among its repository's tags."""

    def choose(self, current: str, tags: Sequence[str]) -> str | None:
        """The tag to run instead of ``current``, or ``None`` to stay on it.

        ``tags`` are every tag the registry lists for the repository, in its
        order. The answer must be one of them and must not depend on their
        order; returning ``current`` is the same as ``None``.
        """
        ...


class Bound(str, enum.Enum):
    """How far a :class:`VersionRule` may move: the highest part allowed to change."""

    PATCH = "patch"
    """Within the same major and minor version (``1.25.3`` to ``1.25.9``)."""
    MINOR = "minor"
    """Within the same major version (``1.25.3`` to ``1.27.0``)."""
    MAJOR = "major"
    """To any newer version (``1.25.3`` to ``2.0.1``)."""


# v1.25.3-alpine: prefix "v", numbers 1.25.3, pre-release none, suffix "-alpine".
# A pre-release is a known word (with an optional number) right after the
# numbers; any other text after a dash is the suffix, the image's variant.
_TAG = re.compile(
    r"(?P<prefix>[vV]?)"
    r"(?P<numbers>\d{1,9}(?:\.\d{1,9}){0,3})"
    r"(?P<pre>[-.]?(?:alpha|beta|rc|pre|preview|dev|a|b)[.-]?\d{0,9}(?![A-Za-z]))?"
    r"(?P<suffix>[-_+].*)?",
    re.ASCII,
)


# The order of versions of one shape: release numbers, then a release after
# its pre-releases, which order among themselves as PEP 440 says.
Order = tuple[object, ...]
# What two tags must share to be versions of the same variant: prefix, parts, suffix.
Shape = tuple[str, int, str]


@frozen
class TagVersion:
    """A tag read as a version: its shape and its place in the order.

    Attributes:
        tag: The tag itself.
        prefix: ``v`` or ``V`` when the tag has one, else empty.
        numbers: Its release numbers (``(1, 25, 3)``).
        prerelease: Its pre-release part as written (``-rc1``), or empty.
        suffix: What follows the version (``-alpine``), or empty.
        order: Its place among versions of its shape (compare, do not read).
    """

    tag: str
    prefix: str
    numbers: tuple[int, ...]
    prerelease: str
    suffix: str
    order: Order = field(eq=False, repr=False)

    @property
    def shape(self) -> Shape:
        """What two tags must share to be versions of the same variant."""
        return (self.prefix.lower(), len(self.numbers), self.suffix)

    @property
    def is_prerelease(self) -> bool:
        """True for an alpha, beta, release candidate or development tag."""
        return bool(self.prerelease)

    @property
    def version(self) -> Version:
        """The version as PEP 440 reads it (``1.0.2rc1`` for ``1.0.2-rc1-alpine``)."""
        return Version(".".join(map(str, self.numbers)) + self.prerelease)


# A listed tag as a rule needs it: its order, the tag, and whether it is a pre-release.
_Ranked = tuple[Order, str, bool]


_Read = tuple[tuple[str, str, str, str], Shape, Order]


def _read(tag: str) -> _Read | None:
    """The tag's parts (prefix, numbers, pre-release, suffix), shape and order."""
    match = _TAG.fullmatch(tag)
    if match is None:
        return None
    prefix, digits, pre, suffix = match.groups("")
    numbers = tuple(map(int, digits.split(".")))
    order: Order = (numbers, 1)
    if pre:
        # Only pre-releases need PEP 440's ordering; reading it costs more
        # than all the rest, so releases skip it.
        try:
            order = (numbers, 0, Version(digits + pre))
        except InvalidVersion:
            return None
    return (prefix, digits, pre, suffix), (prefix.lower(), len(numbers), suffix), order


def parse_tag(tag: str) -> TagVersion | None:
    """Read ``tag`` as a version, or ``None`` when it is not one (``latest``, ``stable``)."""
    read = _read(tag)
    if read is None:
        return None
    (prefix, digits, pre, suffix), _, order = read
    return TagVersion(
        tag=tag,
        prefix=prefix,
        numbers=tuple(map(int, digits.split("."))),
        prerelease=pre,
        suffix=suffix,
        order=order,
    )


@frozen(init=False)
class TagList(Sequence[str]):
    """A repository's tags, read as versions once however many rules ask.

    A sequence of the tags as listed; the planner hands one to each rule, so
    :class:`VersionRule` does not read 500 tags again for each container.

    Args:
        tags: The tags, in the registry's order.
        reads: Tags already read, shared by the lists of one scan: most
            repositories carry the same version strings.
    """

    tags: tuple[str, ...]
    _ranked: Mapping[Shape, tuple[_Ranked, ...]] = field(repr=False)
    _set: frozenset[str] = field(repr=False, eq=False)

    def __init__(self, tags: Iterable[str], reads: dict[str, _Read | None] | None = None) -> None:
        listed = tuple(dict.fromkeys(tags))
        groups: dict[Shape, list[_Ranked]] = {}
        reads = {} if reads is None else reads
        for tag in listed:
            if tag in reads:
                read = reads[tag]
            else:
                read = reads[tag] = _read(tag)
            if read is not None:
                parts, shape, order = read
                groups.setdefault(shape, []).append((order, tag, bool(parts[2])))
        # Equal versions written differently (1.0.2-rc1, 1.0.2.rc1) rank by
        # the tag itself, so no answer depends on the registry's order.
        ranked = {shape: tuple(sorted(group, key=_rank)) for shape, group in groups.items()}
        self.__attrs_init__(listed, ranked, frozenset(listed))

    def ranked(self, shape: Shape) -> tuple[_Ranked, ...]:
        """The versions of one shape, oldest first: ``(order, tag, is pre-release)``."""
        return self._ranked.get(shape, ())

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self.tags[index]

    def __len__(self) -> int:
        return len(self.tags)

    def __iter__(self) -> Iterator[str]:
        return iter(self.tags)

    def __contains__(self, tag: object) -> bool:
        return tag in self._set


def _rank(entry: _Ranked) -> tuple[Order, str]:
    return entry[0], entry[1]


def _pattern(value: str | Pattern | None) -> Pattern | None:
    # A compiled pattern is the caller's own; text may come from outside.
    if not isinstance(value, str):
        return value
    try:
        return compile_pattern(value)
    except ValueError as error:
        raise ConfigurationError(f"The tag pattern {quoted(value, 40)} {error}.") from None


def _bound(value: Bound | str) -> Bound:
    try:
        return Bound(value)
    except ValueError:
        choices = ", ".join(b.value for b in Bound)
        raise ConfigurationError(
            f"The tag rule {str(value)[:40]!r} is none of {choices}."
        ) from None


@frozen(kw_only=True)
class VersionRule:
    """Follow newer versions of the tag, within a bound, keeping its shape.

    A candidate must read as a version (:func:`parse_tag`), have the current
    tag's prefix, number of parts and suffix, stay within ``bound``, be newer,
    match ``include`` and not match ``exclude``; of those the newest wins. A
    pre-release is a candidate only with ``prerelease``. A current tag that
    is not a version never moves.

    Attributes:
        bound: How far it may move.
        include: A regular expression searched in each candidate tag (anchor
            it with ``^`` and ``$`` to match the whole tag); ``None`` allows all.
        exclude: A regular expression; a tag in which it is found is never chosen.
        prerelease: Pre-releases are candidates too.

    A pattern given as text is RE2 syntax, Go's and so Watchtower's, and is
    matched in time linear in the tag, whoever wrote it; a compiled pattern
    (a :class:`re.Pattern` of one's own) is used as it is.

    Raises:
        ConfigurationError: A pattern is not a regular expression, or uses
            what linear-time matching does not support (lookaround,
            backreferences, possessive repeats), or the bound is unknown.
    """

    bound: Bound = field(default=Bound.MINOR, converter=_bound)
    include: Pattern | None = field(default=None, converter=_pattern)
    exclude: Pattern | None = field(default=None, converter=_pattern)
    prerelease: bool = False

    def choose(self, current: str, tags: Sequence[str]) -> str | None:
        """The newest allowed tag newer than ``current``, or ``None``."""
        now = parse_tag(current)
        if now is None:
            return None
        ranked = (tags if isinstance(tags, TagList) else TagList(tags)).ranked(now.shape)
        # The versions past the bound are cut off; the newest that passes
        # the filters, scanning down, is the answer.
        fixed = min(_FIXED[self.bound], len(now.numbers))
        end = len(ranked)
        if fixed:
            limit = (*now.numbers[: fixed - 1], now.numbers[fixed - 1] + 1)
            end = bisect.bisect_left(ranked, (limit,), key=lambda entry: entry[0])  # type: ignore[arg-type, return-value]
        for order, tag, is_prerelease in reversed(ranked[:end]):
            if order <= now.order:
                return None
            if (
                (self.prerelease or not is_prerelease)
                and (self.include is None or self.include.search(tag))
                and not (self.exclude is not None and self.exclude.search(tag))
            ):
                return tag
        return None


_FIXED = {Bound.PATCH: 2, Bound.MINOR: 1, Bound.MAJOR: 0}
