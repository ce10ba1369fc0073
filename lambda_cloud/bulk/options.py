"""Defaults and option types of the bulk operations, ``launch_many``'s declared once: the
keywords it takes (``LaunchManyOptions``) and, checked where declared, how a run goes
(``LaunchRun``)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypedDict, cast

import aiohttp
import attrs

from .._config import ExpiresIn, Timeout, check_spend_ceiling, to_client_timeout
from .._retry import DEFAULT_RETRY_WINDOW  # the RetryPolicy default, re-exported
from .._validation import check_bool, check_callback, check_length, check_string
from ..errors import ValidationError
from ..types.launch import BulkLaunchOptions
from .checks import check_names, check_positive
from .progress import ProgressEvent
from .slots import check_run_id
from .wait import check_wait_options

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_RETRY_WINDOW",
    "DEFAULT_SETTLE_TIMEOUT",
    "DEFAULT_UNHEALTHY_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "EXPIRES_AT_TAG",
    "LAUNCHED_AT_TAG",
    "LAUNCH_TOKEN_TAG",
    "OWNER_TAG",
    "MAX_LAUNCH_COUNT",
    "Hunt",
    "LaunchManyOptions",
    "LaunchRun",
    "LaunchRunOptions",
    "OnCancel",
]

#: The tag key that marks each instance ``launch_many`` creates with its slot's token,
#: ``<run_id>/<slot>``.
LAUNCH_TOKEN_TAG = "lambda-cloud-launch-token"
#: The tag key that records when (UTC, RFC 3339 to the microsecond) each launch was sent. When
#: several instances carry one slot's token (concurrent runs of one ``run_id``), every run keeps
#: the live one sent first, so all of them agree without talking to each other.
LAUNCHED_AT_TAG = "lambda-cloud-launched-at"
#: The tag key that records when (UTC, RFC 3339) an instance may be reaped. Tags cannot change
#: after launch, so an extension lives elsewhere (see ``lambda_cloud.lifecycle``).
EXPIRES_AT_TAG = "lambda-cloud-expires-at"
#: The tag key naming who launched an instance (``<user>@<host>`` or a configured value): the
#: reaper only touches instances of the owner it is given.
OWNER_TAG = "lambda-cloud-owner"
#: The most instances one ``launch_many`` may ask for: far above any account's quota, and low
#: enough that a typo (``10**7``) is refused before a slot is allocated.
MAX_LAUNCH_COUNT = 10_000
#: Launches in flight at once by default: the launch rate limit's burst.
DEFAULT_MAX_CONCURRENCY = 5
#: Ids per terminate request. The API states no limit; this keeps one request small.
DEFAULT_BATCH_SIZE = 50
#: Seconds a wait lasts by default (instances take minutes to boot).
DEFAULT_WAIT_TIMEOUT = 1800.0
#: Seconds between two polls by default: one list call, well within the 1 request/s limit.
DEFAULT_POLL_INTERVAL = 5.0
#: Seconds a bulk launch keeps looking for the instance of a launch whose outcome was unknown,
#: counted from the moment it became unknown (the timeout, the broken connection, the cancel),
#: before it takes the launch to have created nothing (and may launch that slot again).
DEFAULT_SETTLE_TIMEOUT = 60.0
#: Seconds an instance may stay ``unhealthy`` before a wait for ``active`` gives it up.
DEFAULT_UNHEALTHY_TIMEOUT = 300.0

#: What a cancelled ``launch_many`` does with the instances it created.
OnCancel = Literal["terminate", "keep"]


@attrs.frozen(kw_only=True)
class Hunt:
    """How ``launch_many`` waits for capacity: while slots are left and ``timeout`` seconds
    (from the start of the run) have not passed, it lists the instance types once every
    ``poll_interval`` seconds and launches wherever capacity shows up. It never probes with
    launches. Bad values raise ``ValidationError``."""

    timeout: float
    poll_interval: float = DEFAULT_POLL_INTERVAL

    def __attrs_post_init__(self) -> None:
        check_positive(self.timeout, "hunt.timeout")
        check_positive(self.poll_interval, "hunt.poll_interval")


class LaunchRunOptions(TypedDict, total=False):
    """How ``launch_many`` runs, as keywords (``LaunchRun`` holds their defaults and checks)."""

    #: Acceptable instance types in order of preference, instead of ``instance_type_name``.
    instance_type_names: Sequence[str] | None
    #: Wait for capacity (see ``Hunt``).
    hunt: Hunt | None
    #: A spend ceiling in US cents per hour for the run (default: the client's).
    max_hourly_cost_cents: int | None
    #: Regions to try, in order (default: those reporting capacity).
    region_names: Sequence[str] | None
    #: Names the instances ``<name_prefix>-<slot>``.
    name_prefix: str | None
    #: Names the run, so that a rerun adopts its instances (default: random).
    run_id: str | None
    #: When the run's instances expire (seconds or a ``timedelta``), for ``reap``.
    expires_in: ExpiresIn | None
    #: When the run's instances expire, as a moment.
    expires_at: datetime.datetime | None
    #: Launches in flight at once.
    max_concurrency: int
    #: Also wait until the instances are active.
    wait: bool
    #: Called with every ``ProgressEvent``.
    on_progress: Callable[[ProgressEvent], object] | None
    #: What a cancelled run does with what it created.
    on_cancel: OnCancel
    #: Seconds between two listings.
    poll_interval: float
    #: Seconds an unknown launch outcome is looked for before the slot is launched again.
    settle_timeout: float
    #: Seconds the launching may take (``None``: no bound).
    timeout: float | None
    #: The timeout of each request (default: the client's).
    request_timeout: Timeout | None


class LaunchManyOptions(BulkLaunchOptions, LaunchRunOptions, total=False):
    """``launch_many``'s keywords: what to launch (``BulkLaunchOptions``) and how the run goes
    (``LaunchRunOptions``)."""


def _names(value: Sequence[str] | None, field: str, max_len: int) -> list[str] | None:
    names = check_names(value, field)
    for i, name in enumerate(names or ()):
        check_length(name, f"{field}[{i}]", min_len=1, max_len=max_len)
    return names


def _type_names(value: Sequence[str] | None) -> list[str] | None:
    return _names(value, "instance_type_names", 128)


def _region_names(value: Sequence[str] | None) -> list[str] | None:
    return _names(value, "region_names", 64)


def _name_prefix(value: str | None) -> str | None:
    return None if value is None else check_string(value, "name_prefix")


def _hunt(_: Any, __: Any, value: Any) -> None:
    if value is not None and not isinstance(value, Hunt):
        raise ValidationError(
            "hunt", f"expected a Hunt(timeout=..., poll_interval=...), got {value!r}"
        )


def _run_id(value: str | None) -> str | None:
    return None if value is None else check_run_id(value)


def _ceiling(value: int | None) -> int | None:
    return check_spend_ceiling(value)


def _positive_int(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_positive(value, attribute.name, integer=True)


def _positive(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_positive(value, attribute.name)


def _flag(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_bool(value, attribute.name)


def _callback(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_callback(value, attribute.name)


def _on_cancel(_: Any, __: Any, value: Any) -> None:
    if value not in ("terminate", "keep"):
        raise ValidationError("on_cancel", f"must be 'terminate' or 'keep', got {value!r}")


def _request_timeout(value: Timeout | None) -> aiohttp.ClientTimeout | None:
    return None if value is None else to_client_timeout(value, "request_timeout")


@attrs.frozen(kw_only=True)
class LaunchRun:
    """``LaunchRunOptions`` with their defaults, each checked as it is set (``ValidationError``
    naming it). The expiry is checked as it becomes tags, together with the client's default."""

    instance_type_names: list[str] | None = attrs.field(default=None, converter=_type_names)
    hunt: Hunt | None = attrs.field(default=None, validator=_hunt)
    max_hourly_cost_cents: int | None = attrs.field(default=None, converter=_ceiling)
    region_names: list[str] | None = attrs.field(default=None, converter=_region_names)
    name_prefix: str | None = attrs.field(default=None, converter=_name_prefix)
    run_id: str | None = attrs.field(default=None, converter=_run_id)
    expires_in: ExpiresIn | None = None
    expires_at: datetime.datetime | None = None
    max_concurrency: int = attrs.field(default=DEFAULT_MAX_CONCURRENCY, validator=_positive_int)
    wait: bool = attrs.field(default=False, validator=_flag)
    on_progress: Callable[[ProgressEvent], object] | None = attrs.field(
        default=None, validator=_callback
    )
    on_cancel: OnCancel = attrs.field(default="terminate", validator=_on_cancel)
    poll_interval: float = DEFAULT_POLL_INTERVAL
    settle_timeout: float = attrs.field(default=DEFAULT_SETTLE_TIMEOUT, validator=_positive)
    timeout: float | None = None
    request_timeout: aiohttp.ClientTimeout | None = attrs.field(
        default=None, converter=_request_timeout
    )

    def __attrs_post_init__(self) -> None:
        check_wait_options(self.timeout, self.poll_interval)

    @classmethod
    def split(cls, options: LaunchManyOptions) -> tuple[LaunchRun, BulkLaunchOptions]:
        """``launch_many``'s keywords as how the run goes, checked, and what to launch."""
        run = {k: v for k, v in options.items() if k in _RUN_NAMES}
        what: dict[str, Any] = {k: v for k, v in options.items() if k not in _RUN_NAMES}
        return cls(**cast(LaunchRunOptions, run)), cast(BulkLaunchOptions, what)


_RUN_NAMES = frozenset(LaunchRunOptions.__annotations__)
