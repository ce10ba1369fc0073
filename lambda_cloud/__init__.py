"""lambda-cloud: the Python SDK for the Lambda Cloud GPU API.

``AsyncLambdaCloud`` is the client; ``LambdaCloud`` runs the same code from synchronous code.
"""

from typing import TYPE_CHECKING

from ._client import AsyncLambdaCloud
from ._config import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, Timeout
from ._lazy import lazy_exports
from ._logs import setup_logging
from ._options import RESERVED_HEADERS, LaunchCallOptions, RequestOptions
from ._ratelimit import DEFAULT_RATE_LIMITS, RateLimit, RateLimits
from ._response import APIResponse
from ._retry import RetryPolicy
from ._security import SchemeBasicAuth, Security
from ._version import __version__
from .errors import (
    AccountInactiveError,
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    DuplicateError,
    FileSystemInUseError,
    FileSystemInWrongRegionError,
    FirewallRulesetInUseError,
    InsufficientCapacityError,
    InternalServerError,
    InvalidParametersError,
    InvalidPriceError,
    LambdaCloudError,
    LaunchOutcomeUnknownError,
    LaunchResourceNotFoundError,
    NotFoundError,
    PacingTimeoutError,
    PaginationError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
    SharedStateError,
    SpendGuardError,
    SpendLimitExceededError,
    ValidationError,
    WaitTimeoutError,
)
from .shared import SharedState
from .types import *  # noqa: F403
from .types import __all__ as _types_all

if TYPE_CHECKING:
    from ._sync import LambdaCloud, SyncCallInLoopThreadError, SyncInAsyncContextWarning
    from .bulk import (
        LAUNCH_TOKEN_TAG,
        LAUNCHED_AT_TAG,
        MAX_LAUNCH_COUNT,
        BulkError,
        BulkLaunchCancelledError,
        BulkLaunchError,
        BulkLaunchReport,
        BulkTerminateError,
        BulkTerminateReport,
        CapacityExhaustedError,
        DeadlineExceededError,
        Hunt,
        InstanceWaitError,
        LaunchedInstance,
        LaunchManyOptions,
        LaunchRun,
        LaunchRunOptions,
        Phase,
        ProgressEvent,
        ProgressKind,
        RunLeasedError,
        SlotCancelledError,
        SlotFailure,
        TerminateOutcome,
        UnresolvedLaunchError,
        check_run_id,
        is_live,
        parse_token,
    )
    from .lifecycle import CostReport, ExpiryExtensions, ReapReport

setup_logging()

#: Names loaded on first use, so that ``import lambda_cloud`` does not pay for them: the sync
#: facade (async code never needs it), the bulk operations' reports, events and errors, and the
#: subpackages the client loads on first use.
_LAZY = {
    "bulk": "bulk",
    "lifecycle": "lifecycle",
    "resources": "resources",
    **dict.fromkeys(
        ("LambdaCloud", "SyncCallInLoopThreadError", "SyncInAsyncContextWarning"), "_sync"
    ),
    **dict.fromkeys(
        (
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
            "Phase",
            "ProgressEvent",
            "ProgressKind",
            "RunLeasedError",
            "SlotCancelledError",
            "SlotFailure",
            "TerminateOutcome",
            "UnresolvedLaunchError",
            "check_run_id",
            "is_live",
            "parse_token",
        ),
        "bulk",
    ),
    **dict.fromkeys(("CostReport", "ExpiryExtensions", "ReapReport"), "lifecycle"),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_RATE_LIMITS",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AccountInactiveError",
    "AsyncLambdaCloud",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "DuplicateError",
    "FileSystemInUseError",
    "FileSystemInWrongRegionError",
    "FirewallRulesetInUseError",
    "InsufficientCapacityError",
    "InternalServerError",
    "InvalidParametersError",
    "InvalidPriceError",
    "LambdaCloud",
    "LambdaCloudError",
    "LaunchOutcomeUnknownError",
    "LaunchResourceNotFoundError",
    "NotFoundError",
    "PacingTimeoutError",
    "PaginationError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimit",
    "RateLimitError",
    "RateLimits",
    "RedirectError",
    "ResponseTooLargeError",
    "RESERVED_HEADERS",
    "RequestOptions",
    "LaunchCallOptions",
    "RetryPolicy",
    "SharedState",
    "SharedStateError",
    "SpendGuardError",
    "SpendLimitExceededError",
    "SchemeBasicAuth",
    "Security",
    "SyncCallInLoopThreadError",
    "SyncInAsyncContextWarning",
    "Timeout",
    "ValidationError",
    "WaitTimeoutError",
    # bulk operations (instances.launch_many, terminate_many, wait_for)
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
    "Phase",
    "ProgressEvent",
    "ProgressKind",
    "RunLeasedError",
    "SlotCancelledError",
    "SlotFailure",
    "TerminateOutcome",
    "UnresolvedLaunchError",
    "check_run_id",
    "is_live",
    "parse_token",
    # expiry, reaping and cost to date (instances.reap, instances.costs)
    "CostReport",
    "ExpiryExtensions",
    "ReapReport",
    "__version__",
    *_types_all,
]
