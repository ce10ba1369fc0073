"""Expiry and owner tags: what every launch carries so that a reaper can prove an instance is
its own and past its time.

The API has no TTL and no tag editing, so both are fixed at launch: ``lambda-cloud-owner`` and,
when an expiry is asked for, ``lambda-cloud-expires-at`` (UTC, RFC 3339 to the second). An
extension lives outside the instance, in an ``ExpiryExtensions`` store the reaper consults.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from .._config import MAX_DURATION, ExpiresIn, check_expires_in
from ..bulk.options import EXPIRES_AT_TAG, OWNER_TAG
from ..errors import ValidationError
from ..types.instances import Instance, RequestedTagEntry

__all__ = [
    "ClaimingExpiryExtensions",
    "ExpiresIn",
    "ExpiryExtensions",
    "ExtensionsUnavailable",
    "check_expires_at",
    "expires_at_of",
    "lifecycle_tags",
    "parse_duration",
    "to_utc",
]


_UTC = datetime.timezone.utc
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str) -> datetime.timedelta:
    """``90``, ``90s``, ``30m``, ``4h``, ``7d``, ``2w`` or a sum such as ``1h30m``
    (``ValueError`` otherwise): the CLI's duration options and a fleet file's durations."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"{text!r} is not a duration such as 90s, 30m, 4h or 7d") from None
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{text!r} is not a positive duration")
    return datetime.timedelta(seconds=seconds)


class ExtensionsUnavailable(Exception):
    """Raised by an ``ExpiryExtensions`` that cannot tell today (its store is down): the reaper
    then terminates none of the instances it asked about, since any of them may be extended."""


@runtime_checkable
class ExpiryExtensions(Protocol):
    """Where extended expiries are recorded (tags cannot change after launch): the shared store
    implements it (``lambda_cloud.shared.extensions``), and ``instances.reap`` consults it."""

    async def extended_expiries(
        self, instance_ids: Sequence[str]
    ) -> Mapping[str, datetime.datetime]:
        """The extended expiry of each of ``instance_ids`` that has one (aware datetimes);
        ids without an extension are left out. ``ExtensionsUnavailable`` when it cannot tell."""
        ...


@runtime_checkable
class ClaimingExpiryExtensions(ExpiryExtensions, Protocol):
    """``ExpiryExtensions`` that can also close the gap between a reap's read and its
    terminate: a reap that terminates (not a dry run) calls ``claim_expired`` instead of
    ``extended_expiries`` when the object has it (the shared store's does)."""

    async def claim_expired(
        self, instance_ids: Sequence[str], now: datetime.datetime
    ) -> Mapping[str, datetime.datetime]:
        """As ``extended_expiries``, and in the same atomic step mark each of ``instance_ids``
        without an extension after ``now`` as being reaped: an extension of a marked instance
        is refused (for a while) rather than recorded and then terminated anyway."""
        ...


def to_utc(value: object, field: str) -> datetime.datetime:
    """A ``datetime`` in UTC (a naive one is taken to be UTC)."""
    if not isinstance(value, datetime.datetime):
        raise ValidationError(field, f"expected a datetime, got {value!r}")
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def _stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_expires_at(value: object, field: str, now: datetime.datetime) -> datetime.datetime:
    """An expiry given as a moment: in UTC, after ``now`` and at most ``MAX_DURATION`` after it,
    as an expiry given as a duration is (later, rounding it up to the second overflows)."""
    when = to_utc(value, field)
    if when <= now:
        raise ValidationError(field, f"{_stamp(when)} is not in the future")
    if when - now > MAX_DURATION:
        raise ValidationError(field, f"{_stamp(when)} is more than {MAX_DURATION.days} days ahead")
    return when


def lifecycle_tags(
    *,
    owner: str,
    expires_in: object,
    expires_at: object,
    default_expires_in: datetime.timedelta | None,
) -> tuple[RequestedTagEntry, ...]:
    """The owner tag and, if an expiry is given (or the client has a default), the expiry tag.
    ``ValidationError`` for both ``expires_in`` and ``expires_at``, or an expiry not ahead (or
    too far ahead)."""
    now = datetime.datetime.now(_UTC)
    if expires_in is not None and expires_at is not None:
        raise ValidationError("expires_at", "give expires_in or expires_at, not both")
    when: datetime.datetime | None = None
    if expires_at is not None:
        when = check_expires_at(expires_at, "expires_at", now)
    elif expires_in is not None:
        when = now + check_expires_in(expires_in)
    elif default_expires_in is not None:
        when = now + default_expires_in
    tags = [RequestedTagEntry(key=OWNER_TAG, value=owner)]
    if when is not None:
        # Rounded up to the second, so an instance never expires before it was asked to.
        whole = when.replace(microsecond=0)
        tags.append(
            RequestedTagEntry(
                key=EXPIRES_AT_TAG,
                value=_stamp(whole if whole == when else whole + datetime.timedelta(seconds=1)),
            )
        )
    return tuple(tags)


def expires_at_of(instance: Instance) -> datetime.datetime | None:
    """The instance's expiry tag as an aware datetime; ``None`` without one or if unreadable."""
    value = instance.tag(EXPIRES_AT_TAG)
    if value is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=_UTC) if moment.tzinfo is None else moment
