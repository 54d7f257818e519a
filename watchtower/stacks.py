"""Stacks: containers planned, replaced and rolled back as one.

A stack is the containers of one compose project that carry the ``stack``
label, or those of one ``group`` label (the key is
``ContainerSettings.stack`` (:mod:`watchtower.settings`)).
Its members end a run all on their new images or all on their old ones:

- at planning, a member that cannot be updated (its check failed, it is
  monitor-only, outside its window, waits for approval...) holds the whole
  stack back (:func:`held_back`);
- its members are one unit (:func:`merge_units`), so one transaction
  carries them out, and a member that fails rolls the others back
  (:mod:`watchtower.replacement`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

__all__ = ["ROLLED_BACK_WITH", "held_back", "merge_units"]

ROLLED_BACK_WITH = "rolled back with its stack"
"""How the reason begins for a member rolled back because another one failed."""


def held_back(
    stacks: Mapping[str, str],
    updating: Collection[str],
    blockers: Mapping[str, str],
) -> dict[str, str]:
    """The members kept from an update because one of their stack cannot be updated.

    Args:
        stacks: Each container's stack, by name (empty: none).
        updating: The names the plan would update.
        blockers: For each stale or unchecked container that will not be
            updated, why (``monitor only``, a check's error...).

    Returns:
        For each member of a held stack that the plan would update, the
        reason, naming the member that holds it.
    """
    members: dict[str, list[str]] = {}
    for name, stack in stacks.items():
        if stack:
            members.setdefault(stack, []).append(name)
    held: dict[str, str] = {}
    for stack, names in members.items():
        moving = [n for n in names if n in updating]
        stuck = sorted(n for n in names if n in blockers)
        if not moving or not stuck:
            continue
        first = stuck[0]
        why = f"held back with its stack ({stack}): {first} cannot be updated: {blockers[first]}"
        held.update(dict.fromkeys(moving, why))
    return held


def merge_units(
    units: Sequence[Sequence[str]],
    stacks: Mapping[str, str],
    order: Sequence[str],
) -> tuple[tuple[str, ...], ...]:
    """``units`` with those that share a stack merged into one, in dependency ``order``.

    A merged unit lists its names as ``order`` does (names it lacks go
    last, as they came); the units keep the order of their first unit.
    """
    place = {name: i for i, name in enumerate(order)}
    merged: list[list[str]] = []
    home: dict[str, int] = {}  # stack -> index in merged
    for unit in units:
        keys = {stacks.get(n, "") for n in unit} - {""}
        targets = sorted({home[k] for k in keys if k in home})
        if not targets:
            index = len(merged)
            merged.append(list(unit))
        else:
            index = targets[0]
            merged[index].extend(unit)
            for other in reversed(targets[1:]):
                merged[index].extend(merged[other])
                merged[other] = []
            for k, i in list(home.items()):
                if i in targets:
                    home[k] = index
        for k in keys:
            home[k] = index
    big = len(place)
    return tuple(tuple(sorted(unit, key=lambda n: place.get(n, big))) for unit in merged if unit)
