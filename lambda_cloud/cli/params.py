"""Option values shared by several commands."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

import click

__all__ = ["LazyChoice", "check_names", "did_you_mean", "dollars"]


class LazyChoice(click.Choice):  # type: ignore[type-arg]  # generic from click 8.4 only
    """A ``click.Choice`` among values read when a command first parses or shows the option
    (an SDK enum's members, say): building the command tree, which ``--help`` does, then
    loads no model."""

    def __init__(self, values: Callable[[], Iterable[str]]) -> None:
        # Not Choice.__init__, which reads the values: ``choices`` is set on first use.
        self._values = values
        self.case_sensitive = True

    def __getattr__(self, name: str) -> Any:
        if name != "choices":
            raise AttributeError(name)
        self.choices = tuple(map(str, self._values()))  # an OpenEnum's str() is its value
        return self.choices


def dollars(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """An option's US dollars per hour (``1.5``, ``$2``) as whole cents, for ``callback=``.

    Fractions of a cent are refused rather than rounded: a spend ceiling must mean what it says.
    """
    if value is None:
        return None
    # decimal and difflib load where they are used: most commands never need them, and every
    # command pays for what this module imports (tests/cli/test_imports.py).
    from decimal import Decimal, InvalidOperation

    try:
        cents = Decimal(value.strip().removeprefix("$")) * 100
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount of dollars, e.g. 2.50") from None
    if not cents.is_finite() or cents < 1 or cents != cents.to_integral_value():
        raise click.BadParameter(f"{value!r} is not a whole number of cents, at least $0.01")
    return int(cents)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` naming the entries of ``known`` closest to a mistyped
    ``name``, or nothing when none is close."""
    import difflib

    close = [repr(match) for match in difflib.get_close_matches(name, list(known), n=3)]
    if not close:
        return ""
    *others, last = close
    return (
        f" (did you mean {', '.join(others)} or {last}?)" if others else f" (did you mean {last}?)"
    )


def check_names(
    option: str, what: str, given: Iterable[str], known: Collection[str], *, listing: str
) -> None:
    """Refuse (exit 2) the first of ``given`` that is not in ``known``, before anything is
    sent: ``what`` names the kind of thing (``SSH key``), ``option`` the flag that gave it,
    ``listing`` the command that lists them."""
    for name in given:
        if name not in known:
            hint = did_you_mean(name, known) or f" (see `lambda-cloud {listing}`)"
            raise click.BadParameter(f"no {what} is named {name!r}{hint}", param_hint=option)
