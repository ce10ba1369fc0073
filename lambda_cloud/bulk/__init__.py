"""Bulk operations on instances: ``launch_many``, ``terminate_many`` and ``wait_for``.

Call them on the client (``client.instances.launch_many(...)``); this package holds their
reports, progress events, errors and defaults. See docs/bulk.md.
"""

from .errors import (
    BulkError,
    BulkLaunchCancelledError,
    BulkLaunchError,
    BulkTerminateError,
    CapacityExhaustedError,
    DeadlineExceededError,
    InstanceWaitError,
    RunLeasedError,
    SlotCancelledError,
    UnresolvedLaunchError,
)
from .inventory import is_live
from .options import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_RETRY_WINDOW,
    DEFAULT_SETTLE_TIMEOUT,
    DEFAULT_UNHEALTHY_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    LAUNCH_TOKEN_TAG,
    LAUNCHED_AT_TAG,
    MAX_LAUNCH_COUNT,
    Hunt,
    LaunchManyOptions,
    LaunchRun,
    LaunchRunOptions,
    OnCancel,
)
from .progress import Phase, ProgressCallback, ProgressEvent, ProgressKind
from .reports import (
    BulkLaunchReport,
    BulkTerminateReport,
    LaunchedInstance,
    SlotFailure,
    TerminateOutcome,
)
from .slots import check_run_id, parse_token

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_RETRY_WINDOW",
    "DEFAULT_SETTLE_TIMEOUT",
    "DEFAULT_UNHEALTHY_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "LAUNCH_TOKEN_TAG",
    "LAUNCHED_AT_TAG",
    "MAX_LAUNCH_COUNT",
    "BulkError",
    "BulkLaunchCancelledError",
    "BulkLaunchError",
    "BulkLaunchReport",
    "BulkTerminateError",
    "BulkTerminateReport",
    "CapacityExhaustedError",
    "DeadlineExceededError",
    "Hunt",
    "InstanceWaitError",
    "LaunchedInstance",
    "LaunchManyOptions",
    "LaunchRun",
    "LaunchRunOptions",
    "OnCancel",
    "Phase",
    "ProgressCallback",
    "ProgressEvent",
    "ProgressKind",
    "RunLeasedError",
    "SlotCancelledError",
    "UnresolvedLaunchError",
    "SlotFailure",
    "TerminateOutcome",
    "check_run_id",
    "is_live",
    "parse_token",
]
