"""lambda-cloud: the Python SDK for the Lambda Cloud GPU API.

``AsyncLambdaCloud`` is the client; ``LambdaCloud`` runs the same code from synchronous code.
"""

from ._client import AsyncLambdaCloud
from ._config import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, Timeout
from ._ratelimit import DEFAULT_RATE_LIMITS, RateLimit, RateLimits
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
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ValidationError,
    WaitTimeoutError,
)
from .types import *  # noqa: F403
from .types import __all__ as _types_all

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_RATE_LIMITS",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AccountInactiveError",
    "AsyncLambdaCloud",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DuplicateError",
    "FileSystemInUseError",
    "FileSystemInWrongRegionError",
    "FirewallRulesetInUseError",
    "InsufficientCapacityError",
    "InternalServerError",
    "InvalidParametersError",
    "LambdaCloudError",
    "LaunchOutcomeUnknownError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimit",
    "RateLimitError",
    "RateLimits",
    "RetryPolicy",
    "SchemeBasicAuth",
    "Security",
    "Timeout",
    "ValidationError",
    "WaitTimeoutError",
    "__version__",
    *_types_all,
]
