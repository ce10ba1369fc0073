"""Option values shared by several commands."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click

__all__ = ["dollars"]


def dollars(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """An option's US dollars per hour (``1.5``, ``$2``) as whole cents, for ``callback=``.

    Fractions of a cent are refused rather than rounded: a spend ceiling must mean what it says.
    """
    if value is None:
        return None
    try:
        cents = Decimal(value.strip().removeprefix("$")) * 100
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount of dollars, e.g. 2.50") from None
    if not cents.is_finite() or cents < 1 or cents != cents.to_integral_value():
        raise click.BadParameter(f"{value!r} is not a whole number of cents, at least $0.01")
    return int(cents)
