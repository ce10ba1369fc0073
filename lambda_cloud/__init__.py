"""lambda-cloud: the Python SDK for the Lambda Cloud GPU API.

``AsyncLambdaCloud`` is the client; ``LambdaCloud`` runs the same code from synchronous code.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._client import AsyncLambdaCloud
from ._config import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, Timeout
from ._logs import setup_logging
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
    LambdaCloudError,
    LaunchOutcomeUnknownError,
    LaunchResourceNotFoundError,
    NotFoundError,
    PacingTimeoutError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
    SpendLimitExceededError,
    ValidationError,
    WaitTimeoutError,
)
from .types import *  # noqa: F403
from .types import __all__ as _types_all

if TYPE_CHECKING:
    from ._sync import LambdaCloud, SyncCallInLoopThreadError, SyncInAsyncContextWarning
    from .bulk import (
        LAUNCH_TOKEN_TAG,
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
        Phase,
        ProgressEvent,
        ProgressKind,
        SlotCancelledError,
        SlotFailure,
        TerminateOutcome,
        UnresolvedLaunchError,
    )

setup_logging()

#: Names loaded on first use, so that ``import lambda_cloud`` does not pay for them: the sync
#: facade (async code never needs it) and the bulk operations' reports, events and errors.
_LAZY = {
    **dict.fromkeys(
        ("LambdaCloud", "SyncCallInLoopThreadError", "SyncInAsyncContextWarning"), "_sync"
    ),
    **dict.fromkeys(
        (
            "LAUNCH_TOKEN_TAG",
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
            "Phase",
            "ProgressEvent",
            "ProgressKind",
            "SlotCancelledError",
            "SlotFailure",
            "TerminateOutcome",
            "UnresolvedLaunchError",
        ),
        "bulk",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
    "LambdaCloud",
    "LambdaCloudError",
    "LaunchOutcomeUnknownError",
    "LaunchResourceNotFoundError",
    "NotFoundError",
    "PacingTimeoutError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimit",
    "RateLimitError",
    "RateLimits",
    "RedirectError",
    "ResponseTooLargeError",
    "RetryPolicy",
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
    "Phase",
    "ProgressEvent",
    "ProgressKind",
    "SlotCancelledError",
    "SlotFailure",
    "TerminateOutcome",
    "UnresolvedLaunchError",
    "__version__",
    *_types_all,
]
