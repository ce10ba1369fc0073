"""Defaults and option types of the bulk operations."""

from __future__ import annotations

from typing import Literal

import attrs

from .._retry import DEFAULT_RETRY_WINDOW  # the RetryPolicy default, re-exported
from .checks import check_positive

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
