"""A fleet's description: what to keep running, where, for how much, and what counts as dead.

A ``Fleet`` is plain data, built in Python or loaded from a TOML or JSON file, and checked
when it is made: a bad field raises ``ValidationError`` naming it.
"""

from __future__ import annotations

import collections
import difflib
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from .._config import check_expires_in, check_spend_ceiling
from .._validation import check_length, check_list, check_real, check_single_ssh_key
from ..bulk.checks import check_names
from ..bulk.options import DEFAULT_POLL_INTERVAL, MAX_LAUNCH_COUNT, Hunt
from ..errors import ValidationError
from ..lifecycle.expiry import parse_duration

__all__ = [
    "DEFAULT_BOOT_TIMEOUT",
    "DEFAULT_UNHEALTHY_TIMEOUT",
    "FLEET_RUN_PREFIX",
    "Fleet",
    "check_fleet",
    "check_fleet_name",
    "fleet_name_of",
    "fleet_run_id",
    "load_fleet",
]

#: Every fleet's run id is this prefix and its name: its instances carry the launch tokens
#: ``fleet-<name>/<slot>``, so any machine finds a fleet's members in the instance list.
FLEET_RUN_PREFIX = "fleet-"
#: A fleet name: letters, digits and ``-``, short enough for its run id to be one.
NAME_PATTERN = re.compile(r"[A-Za-z0-9-]{1,26}")
#: In a file, ``unhealthy_timeout`` or ``boot_timeout`` turned off (``None`` in Python).
_OFF = "never"
#: Seconds a member may be seen ``unhealthy`` before it is replaced, by default.
DEFAULT_UNHEALTHY_TIMEOUT = 300.0
#: Seconds after its launch a member may still be ``booting`` before it is replaced.
DEFAULT_BOOT_TIMEOUT = 1800.0


def check_fleet_name(name: object, field: str = "name") -> str:
    """A valid fleet name, else ``ValidationError``."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValidationError(field, f"expected 1 to 26 letters, digits or '-', got {name!r}")
    return name


def fleet_run_id(name: str) -> str:
    """The run id of fleet ``name``'s launches (``fleet-<name>``)."""
    return FLEET_RUN_PREFIX + check_fleet_name(name)


def fleet_name_of(run_id: str) -> str | None:
    """The fleet a run id belongs to, or ``None`` if it is no fleet's."""
    name = run_id.removeprefix(FLEET_RUN_PREFIX)
    if name == run_id or not NAME_PATTERN.fullmatch(name):
        return None
    return name


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LAUNCH_COUNT:
        raise ValidationError(field, f"expected an int from 0 to {MAX_LAUNCH_COUNT}, got {value!r}")
    return value


def _seconds(value: object, field: str) -> float | None:
    """A positive finite number of seconds, or ``None``."""
    if value is None:
        return None
    number = check_real(value, field, expected="seconds")
    if not 0 <= number < math.inf:
        raise ValidationError(field, f"expected a number of seconds, 0 or more, got {value!r}")
    return float(number)


def _names(value: object, field: str, max_len: int) -> tuple[str, ...]:
    names = check_names(check_list(value, field), field) or []  # type: ignore[arg-type]
    for i, name in enumerate(names):
        check_length(name, f"{field}[{i}]", min_len=1, max_len=max_len)
    return tuple(names)


@attrs.frozen(kw_only=True)
class Fleet:
    """A named desired state: ``count`` instances of the first of ``instance_type_names`` with
    capacity, launched with ``ssh_key_names`` (the API takes one) in ``region_names`` (default:
    wherever the types have capacity), kept running and replaced when they end.

    ``min_count`` (default ``count``) is the fewest live members for the fleet to count as
    healthy (``FleetApplyReport.ok``, ``FleetStatus.healthy``). ``name_prefix`` (default: the
    name) names member ``<prefix>-<slot>``. ``max_hourly_cost_cents`` caps what the account
    runs per hour, this fleet included (default: the client's): growth stops there.
    ``hunt`` waits for capacity during an apply; ``expires_in`` (seconds) tags each member to
    expire, so the reaper ends a forgotten fleet, and an apply replaces expired members.
    A member seen ``unhealthy`` for ``unhealthy_timeout`` seconds (``None``: never) or still
    booting ``boot_timeout`` seconds after its launch (``None``: never) is replaced.
    Changing a field makes a new fleet: ``attrs.evolve(fleet, count=2)``.
    """

    name: str
    count: int
    #: Stored as tuples.
    instance_type_names: Sequence[str]
    ssh_key_names: Sequence[str]
    region_names: Sequence[str] | None = None
    file_system_names: Sequence[str] | None = None
    name_prefix: str | None = None
    min_count: int | None = None
    max_hourly_cost_cents: int | None = None
    hunt: Hunt | None = None
    expires_in: float | None = None
    unhealthy_timeout: float | None = DEFAULT_UNHEALTHY_TIMEOUT
    boot_timeout: float | None = DEFAULT_BOOT_TIMEOUT

    def __attrs_post_init__(self) -> None:
        for field, value in _checked(self).items():
            object.__setattr__(self, field, value)

    @property
    def run_id(self) -> str:
        """The run id its launches carry: ``fleet-<name>``."""
        return FLEET_RUN_PREFIX + self.name

    @property
    def prefix(self) -> str:
        """The prefix of its members' names: ``name_prefix``, else the fleet's name."""
        return self.name if self.name_prefix is None else self.name_prefix

    @property
    def floor(self) -> int:
        """``min_count``, else ``count``."""
        return self.count if self.min_count is None else self.min_count

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fleet:
        """A fleet from the plain data of a file: the fields by name, ``hunt`` as a table
        ``{timeout, poll_interval}``, durations as seconds or text such as ``"4h"`` (``"never"``
        turns ``unhealthy_timeout`` or ``boot_timeout`` off, as ``None`` does). An unknown
        key raises ``ValidationError`` (a typo would otherwise be silently ignored)."""
        if not isinstance(data, Mapping):
            raise ValidationError("fleet", f"expected a table of fields, got {type(data).__name__}")
        unknown = sorted(set(map(str, data)) - _FIELDS)
        if unknown:
            raise ValidationError("fleet", f"unknown field(s): {', '.join(map(_guess, unknown))}")
        fields = dict(data)
        for field in _DURATIONS:
            if field in _SWITCHABLE and fields.get(field) == _OFF:
                fields[field] = None
            elif isinstance(fields.get(field), str):
                fields[field] = _duration(fields[field], field)
        hunt = fields.get("hunt")
        if hunt is not None:
            fields["hunt"] = _hunt(hunt)
        for field in ("name", "count", "instance_type_names", "ssh_key_names"):
            if field not in fields:
                raise ValidationError(field, "required")
        return cls(**fields)

    def to_dict(self) -> dict[str, Any]:
        """The fleet as plain data (``from_dict`` reads it back); unset fields left out."""
        data: dict[str, Any] = {}
        for field in attrs.fields(Fleet):
            value = getattr(self, field.name)
            if value == field.default:
                continue
            if value is None:  # a limit turned off: TOML has no null
                value = _OFF
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Hunt):
                value = {"timeout": value.timeout, "poll_interval": value.poll_interval}
            data[field.name] = value
        return data

    def to_json(self) -> str:
        """The fleet as JSON (``load_fleet`` reads a ``.json`` file of it)."""
        return json.dumps(self.to_dict(), indent=2)


_FIELDS = frozenset(f.name for f in attrs.fields(Fleet))
_DURATIONS = ("expires_in", "unhealthy_timeout", "boot_timeout")
#: The limits on by default, which a file turns off with ``_OFF``.
_SWITCHABLE = ("unhealthy_timeout", "boot_timeout")


def _guess(key: str) -> str:
    """An unknown key, and the field it is likely a typo of."""
    close = difflib.get_close_matches(key, _FIELDS, n=1)
    return f"{key} (did you mean {close[0]}?)" if close else key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different (``json`` keeps the last of a repeated one,
    silently; TOML refuses them)."""
    repeated = sorted(k for k, n in collections.Counter(k for k, _ in pairs).items() if n > 1)
    if repeated:
        raise ValidationError("fleet", f"key(s) given twice: {', '.join(repeated)}")
    return dict(pairs)


def _duration(text: str, field: str) -> float:
    try:
        return parse_duration(text).total_seconds()
    except ValueError as exc:
        raise ValidationError(field, str(exc)) from None


def _hunt(value: object) -> Hunt:
    if isinstance(value, Hunt):
        return value
    if not isinstance(value, Mapping) or not set(value) <= {"timeout", "poll_interval"}:
        raise ValidationError("hunt", f"expected {{timeout, poll_interval}}, got {value!r}")
    fields = {k: _duration(v, f"hunt.{k}") if isinstance(v, str) else v for k, v in value.items()}
    if "timeout" not in fields:
        raise ValidationError("hunt.timeout", "required")
    return Hunt(
        timeout=fields["timeout"], poll_interval=fields.get("poll_interval", DEFAULT_POLL_INTERVAL)
    )


def _checked(fleet: Fleet) -> dict[str, object]:
    """Every field of ``fleet`` checked, lists as tuples (``ValidationError`` naming a bad one)."""
    name = check_fleet_name(fleet.name)
    count = _count(fleet.count, "count")
    min_count = None if fleet.min_count is None else _count(fleet.min_count, "min_count")
    if min_count is not None and min_count > count:
        raise ValidationError("min_count", f"at most count ({count}), got {min_count}")
    prefix = check_length(
        name if fleet.name_prefix is None else fleet.name_prefix, "name_prefix", max_len=64
    )
    # The last slot's name is the longest: if it fits, they all do.
    check_length(f"{prefix}-{max(count - 1, 0)}", "name_prefix", min_len=1, max_len=64)
    if fleet.hunt is not None and not isinstance(fleet.hunt, Hunt):
        raise ValidationError("hunt", f"expected a Hunt(timeout=...), got {fleet.hunt!r}")
    expires_in = _seconds(fleet.expires_in, "expires_in")
    if expires_in is not None:
        check_expires_in(expires_in)
    regions = fleet.region_names
    systems = fleet.file_system_names
    return {
        "name": name,
        "count": count,
        "min_count": min_count,
        "instance_type_names": _names(fleet.instance_type_names, "instance_type_names", 128),
        "ssh_key_names": tuple(check_single_ssh_key(fleet.ssh_key_names)),
        "region_names": None if regions is None else _names(regions, "region_names", 64),
        "file_system_names": None if systems is None else _names(systems, "file_system_names", 256),
        "max_hourly_cost_cents": check_spend_ceiling(fleet.max_hourly_cost_cents),
        "expires_in": expires_in,
        "unhealthy_timeout": _seconds(fleet.unhealthy_timeout, "unhealthy_timeout"),
        "boot_timeout": _seconds(fleet.boot_timeout, "boot_timeout"),
    }


def check_fleet(fleet: object) -> Fleet:
    """``fleet`` if it is a ``Fleet``, else ``ValidationError``."""
    if not isinstance(fleet, Fleet):
        raise ValidationError("fleet", f"expected a Fleet, got {type(fleet).__name__}")
    return fleet


def load_fleet(path: str | Path) -> Fleet:
    """The fleet described in a ``.toml`` or ``.json`` file (``ValidationError`` for a file
    that cannot be read or does not describe one)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ValidationError("path", f"expected a .toml or .json file, got {file.name!r}")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError("path", f"cannot read {file}: {exc}") from None
    try:
        data = (
            _parse_toml(text)
            if suffix == ".toml"
            else json.loads(text, object_pairs_hook=_no_duplicates)
        )
    except ValidationError:  # a ValueError too: a repeated JSON key
        raise
    except ValueError as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise ValidationError("path", f"{file} is not valid {suffix[1:].upper()}: {exc}") from None
    return Fleet.from_dict(data)


def _parse_toml(text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10: the ``tomli`` backport (the ``cli`` extra has it)
        try:
            import tomli as tomllib
        except ImportError:
            raise ValidationError(
                "path", "reading TOML on Python 3.10 needs `pip install tomli`; or use JSON"
            ) from None
    return tomllib.loads(text)
