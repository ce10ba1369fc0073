"""The exception hierarchy, and the one table that maps an API error to its class.

Callers branch on classes. The HTTP status chooses the family (``ConflictError`` for every 409),
and the API's stable ``code`` refines it within that family only, so ``except ConflictError``
never misses a 409 whatever its code. Nothing here ever holds the API key: only the method, URL
and response are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AccountInactiveError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "DeadlineExceededError",
    "DuplicateError",
    "FileSystemInUseError",
    "FINAL_ERRORS",
    "FileSystemInWrongRegionError",
    "FirewallRulesetInUseError",
    "InstanceBeingReapedError",
    "InsufficientCapacityError",
    "InternalServerError",
    "InvalidParametersError",
    "InvalidPriceError",
    "LambdaCloudError",
    "LaunchOutcomeUnknownError",
    "LaunchResourceNotFoundError",
    "NotFoundError",
    "PacingTimeoutError",
    "PaginationError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RedirectError",
    "ResponseTooLargeError",
    "SharedStateError",
    "SpendGuardError",
    "SpendLimitExceededError",
    "ValidationError",
    "WaitTimeoutError",
    "make_status_error",
    "request_id_of",
]


class LambdaCloudError(Exception):
    """Root of every exception this SDK raises."""


class ValidationError(LambdaCloudError, ValueError):
    """Bad input caught before anything was sent. ``field`` names the offending argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InstanceBeingReapedError(ValidationError):
    """``extend_expiry`` refused: a reap found these instances expired and is terminating
    them, so an extension would be recorded and then ignored. Nothing was recorded. ``ids``
    are the refused instances."""

    def __init__(self, ids: Sequence[str], *, minutes: int) -> None:
        super().__init__(
            "ids",
            f"being reaped (expired, and a reap is terminating them): {', '.join(ids)}; "
            f"nothing was extended (if one is still running in {minutes} minutes, extend it then)",
        )
        self.ids = list(ids)


class ClientClosedError(LambdaCloudError, RuntimeError):
    """The client was closed (``aclose()`` or the end of ``async with``); make a new one."""


class APIError(LambdaCloudError):
    """A request to the API failed. ``method`` and ``url`` say which one."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url


class APIConnectionError(APIError):
    """The API could not be reached, or the connection broke before a full answer came back."""

    def __init__(
        self, message: str = "Connection error.", *, method: str, url: str, sent: bool = True
    ) -> None:
        super().__init__(message, method=method, url=url)
        #: False when the request provably never left this machine (connection refused, DNS).
        self.sent = sent


class APIResponseError(APIError):
    """The API answered with a success status but a body that could not be read."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""

    def __init__(
        self, message: str = "Request timed out.", *, method: str, url: str, sent: bool = True
    ) -> None:
        super().__init__(message, method=method, url=url, sent=sent)


class PacingTimeoutError(APITimeoutError):
    """Waiting for a rate-limit slot would pass the call's timeout, so nothing was sent
    (``sent`` is False). ``wait`` is the seconds the slot was away. Not retried: a service
    sees the queue is too long at once instead of after it."""

    def __init__(self, *, method: str, url: str, wait: float, timeout: float) -> None:
        super().__init__(
            f"A rate-limit slot is {wait:.2f}s away, past the {timeout:g}s timeout; "
            "nothing was sent",
            method=method,
            url=url,
            sent=False,
        )
        self.wait = wait
        self.timeout = timeout


class ResponseTooLargeError(APIResponseError):
    """The response body passed the client's ``max_response_bytes`` (counted decompressed), so
    reading it stopped. Not retried; a launch answered so has an unknown outcome."""

    def __init__(self, *, limit: int, method: str, url: str) -> None:
        super().__init__(
            f"Response body larger than max_response_bytes={limit}", method=method, url=url
        )
        self.limit = limit


class PaginationError(APIResponseError):
    """A paginated list's page tokens would not end: a token came back a second time, or more
    than ``max_pages`` pages came (a server handing out fresh tokens forever). The items of the
    ``pages`` pages read were yielded; following the tokens further would never end."""

    def __init__(self, message: str, *, method: str, url: str, pages: int) -> None:
        super().__init__(message, method=method, url=url)
        self.pages = pages


class LaunchOutcomeUnknownError(APIError):
    """A launch may or may not have created an instance, so it was NOT retried.

    The launch endpoint has no idempotency key: repeating it could start (and bill) a second
    machine. List your instances and match the launch's name or tags before launching again;
    ``instances.launch_many`` does this reconciliation for you. The underlying failure is
    ``__cause__``.
    """

    def __init__(self, message: str, *, method: str, url: str, request_body: Mapping[str, Any]):
        super().__init__(message, method=method, url=url)
        #: The launch request as sent (``user_data`` removed), to match against the instance list.
        self.request_body = dict(request_body)


class APIStatusError(APIError):
    """The API answered with an error status. ``code`` is the API's stable error code."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status_code: int,
        code: str | None,
        suggestion: str | None,
        body: object,
        headers: Mapping[str, str],
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status_code = status_code
        self.code = code
        self.suggestion = suggestion
        self.body = body
        self.headers = headers

    @property
    def request_id(self) -> str | None:
        """The server's id for this request (its ``X-Request-Id`` or ``Request-Id`` header),
        to quote to support; ``None`` when it sent none."""
        return request_id_of(self.headers)

    def __str__(self) -> str:
        text = f"{self.status_code} {self.code or 'error'}: {self.message}"
        return f"{text} ({self.suggestion})" if self.suggestion else text


class RedirectError(APIStatusError):
    """The server answered with a redirect (3xx), which is never followed: a redirect to another
    host would receive the request body. ``location`` is where it pointed; point ``base_url``
    at the API itself (for an upload to storage: the storage redirected it)."""

    def __init__(
        self,
        *,
        method: str,
        url: str,
        status_code: int,
        location: str | None,
        headers: Mapping[str, str],
        suggestion: str = "point base_url at the API itself",
    ) -> None:
        super().__init__(
            f"Redirected to {location!r}; redirects are not followed",
            method=method,
            url=url,
            status_code=status_code,
            code=None,
            suggestion=suggestion,
            body=None,
            headers=headers,
        )
        self.location = location


class BadRequestError(APIStatusError):
    """400."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, invalid, expired or deleted."""


class PermissionDeniedError(APIStatusError):
    """403."""


class NotFoundError(APIStatusError):
    """404."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state of the resource."""


class RateLimitError(APIStatusError):
    """429: too many requests. A throttled request was not carried out, so the client sends it
    again until the call's time is up; then this is raised, ``attempts`` the times it was
    sent."""

    #: How many times the request was sent before the client gave up.
    attempts: int = 1

    def __str__(self) -> str:
        text = super().__str__()
        return text if self.attempts == 1 else f"{text} [gave up after {self.attempts} attempts]"


class InternalServerError(APIStatusError):
    """5xx."""


class InvalidParametersError(BadRequestError):
    """``global/invalid-parameters``: the server rejected the request data."""


class InsufficientCapacityError(BadRequestError):
    """``instance-operations/launch/insufficient-capacity``: try another region or type."""


class QuotaExceededError(BadRequestError):
    """``global/quota-exceeded``."""


class FileSystemInWrongRegionError(BadRequestError):
    """``instance-operations/launch/file-system-in-wrong-region``."""


class DuplicateError(BadRequestError):
    """``global/duplicate``: the name is taken."""


class FileSystemInUseError(BadRequestError):
    """``filesystems/filesystem-in-use``: unmount (terminate its instances) before deleting."""


class FirewallRulesetInUseError(BadRequestError):
    """``firewall-rulesets/firewall-ruleset-in-use``."""


class LaunchResourceNotFoundError(BadRequestError, NotFoundError):
    """400 ``global/object-does-not-exist`` from a launch: the image, SSH key, file system,
    instance type or region named does not exist (a 400 by status, a not-found by meaning)."""


class AccountInactiveError(PermissionDeniedError):
    """``global/account-inactive``."""


class DeadlineExceededError(LambdaCloudError, TimeoutError):
    """An operation's overall ``timeout`` ran out before this was done (a request kept failing,
    say: the last failure is ``__cause__``)."""


class SharedStateError(LambdaCloudError):
    """The shared store (``SharedState``: Redis or Valkey) failed, and it is ``strict``:
    unreachable, slower than its ``timeout``, answering nonsense, or the client library is not
    installed. Without ``strict`` the client falls back to its own pacing and books instead.
    The call that raised it changed nothing through the API (it may have listed instances
    first, as a guarded launch, ``reap`` and ``extend_expiry`` do); an expiry extension it
    was to record is not recorded."""


#: What no later attempt gets past (the input or the key refused, the client closed): a loop
#: that keeps trying through other failures (``fleets.watch``, ``lambda-cloud reap --watch``)
#: ends on these instead of repeating them forever.
FINAL_ERRORS: tuple[type[LambdaCloudError], ...] = (
    ValidationError,
    AuthenticationError,
    PermissionDeniedError,
    ClientClosedError,
)


class SpendGuardError(LambdaCloudError):
    """The spend guard (``max_hourly_cost_cents``) refused a launch before it was sent."""


class SpendLimitExceededError(SpendGuardError):
    """A launch was refused unsent: ``count`` instances at up to ``price_cents_per_hour`` each
    (``instance_type_name``, the dearest type it could launch) would cost ``hourly_cost_cents``
    per hour, which on top of ``committed_cents`` (what the account runs, and what other
    guarded calls of the client hold) passes ``max_hourly_cost_cents``.

    Raised by ``launch`` or ``launch_many`` before anything is sent; within a ``launch_many``
    run, the failure of a slot whose price rose past what the budget has left (``count`` 1).
    """

    def __init__(
        self,
        *,
        count: int,
        instance_type_name: str,
        price_cents_per_hour: int,
        max_hourly_cost_cents: int,
        committed_cents: int = 0,
    ) -> None:
        self.count = count
        self.instance_type_name = instance_type_name
        self.price_cents_per_hour = price_cents_per_hour
        self.hourly_cost_cents = count * price_cents_per_hour
        self.max_hourly_cost_cents = max_hourly_cost_cents
        self.committed_cents = committed_cents
        on_top = (
            f" on top of {committed_cents} already running or reserved" if committed_cents else ""
        )
        super().__init__(
            f"{count} x {instance_type_name} at {price_cents_per_hour} cents/hour would cost "
            f"{self.hourly_cost_cents} cents/hour{on_top}, over the ceiling of "
            f"{max_hourly_cost_cents} (max_hourly_cost_cents); not launched"
        )


class InvalidPriceError(SpendGuardError):
    """The API priced ``instance_type_name`` at ``price`` (as it came: negative, ``None`` for a
    missing price, a string...), not a whole number of cents, so the spend guard could not
    count it and refused the launch unsent."""

    def __init__(self, instance_type_name: str, price: object) -> None:
        self.instance_type_name = instance_type_name
        self.price = price
        super().__init__(
            f"the API priced {instance_type_name} at {price!r} cents/hour, not a whole number "
            "of cents of 0 or more: the spend guard cannot count it; not launched"
        )


class WaitTimeoutError(LambdaCloudError, TimeoutError):
    """A waiter gave up. ``statuses`` maps each instance id to its last seen status."""

    def __init__(self, message: str, *, statuses: Mapping[str, str | None]) -> None:
        super().__init__(message)
        self.statuses = dict(statuses)


# For each code, the classes it may take, most specific first; the first inside the status's
# family wins (a 409 ``global/internal-error`` stays a ``ConflictError``).
_BY_CODE: dict[str, tuple[type[APIStatusError], ...]] = {
    "global/invalid-parameters": (InvalidParametersError,),
    "global/invalid-api-key": (AuthenticationError,),
    "global/account-inactive": (AccountInactiveError,),
    "global/forbidden": (PermissionDeniedError,),
    "global/invalid-address": (PermissionDeniedError,),
    "global/object-does-not-exist": (NotFoundError, LaunchResourceNotFoundError),
    "global/not-found": (NotFoundError,),
    "global/quota-exceeded": (QuotaExceededError,),
    "global/duplicate": (DuplicateError,),
    "global/conflict": (ConflictError,),
    "global/internal-error": (InternalServerError,),
    "instance-operations/launch/insufficient-capacity": (InsufficientCapacityError,),
    "instance-operations/launch/file-system-in-wrong-region": (FileSystemInWrongRegionError,),
    "filesystems/filesystem-in-use": (FileSystemInUseError,),
    "firewall-rulesets/firewall-ruleset-in-use": (FirewallRulesetInUseError,),
}

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


_REQUEST_ID_HEADERS = ("x-request-id", "request-id")


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request id a response's headers carry, if any (header names in any case)."""
    for name, value in headers.items():
        if name.lower() in _REQUEST_ID_HEADERS:
            return value
    return None


def _family_for(status: int) -> type[APIStatusError]:
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)


def _class_for(status: int, code: str | None) -> type[APIStatusError]:
    family = _family_for(status)
    if family is APIStatusError or code is None:
        return family  # an unexpected status has no family for a code to refine
    for cls in _BY_CODE.get(code, ()):
        if issubclass(cls, family):
            return cls
    return family


def make_status_error(
    *, method: str, url: str, status: int, body: object, headers: Mapping[str, str]
) -> APIStatusError:
    """Build the typed error for an error response, whatever its body looks like."""
    code: str | None = None
    message: str | None = None
    suggestion: str | None = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code") if isinstance(error.get("code"), str) else None
        message = error.get("message") if isinstance(error.get("message"), str) else None
        suggestion = error.get("suggestion") if isinstance(error.get("suggestion"), str) else None
    if message is None:
        message = f"HTTP {status} from {method} {url}"
    cls = _class_for(status, code)
    return cls(
        message,
        method=method,
        url=url,
        status_code=status,
        code=code,
        suggestion=suggestion,
        body=body,
        headers=headers,
    )
