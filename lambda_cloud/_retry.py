"""Which failures are retried, and how long to wait: pure functions, plus the tenacity wiring.

Two rules, chosen per request by the resource that knows what the request does:
- ``SAFE`` requests (reads, and the idempotent restart/terminate) retry on 408, 409, 429, 5xx,
  ``provider/*`` codes, broken connections and timeouts.
- ``UNSAFE`` requests (creates, and above all launches) retry only when the request provably had
  no effect: 429, or a connection that was never made. Anything else may have created something
  (a billed machine), and the API has no idempotency key. ``LAUNCH`` is ``UNSAFE`` that also
  counts against the launch rate limit.
"""

from __future__ import annotations

import email.utils
import enum
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import attrs

from ._deadline import Deadline
from .errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    DeadlineExceededError,
    PacingTimeoutError,
    RateLimitError,
    ResponseTooLargeError,
    ValidationError,
)

if TYPE_CHECKING:
    import tenacity

__all__ = [
    "DEFAULT_RETRY_WINDOW",
    "RetryPolicy",
    "RetryRule",
    "backoff_delay",
    "is_throttled",
    "out_of_time_error",
    "retry_limit",
    "may_have_taken_effect",
    "parse_retry_after",
    "should_retry",
]

log = logging.getLogger("lambda_cloud")

RETRYABLE_STATUSES = frozenset({408, 409, 429})
#: The most retries a policy may ask for: more would hold a call for hours.
MAX_RETRIES_LIMIT = 100
#: Seconds a request of an operation without a ``timeout`` (a bulk one) keeps being retried
#: after its first failure: a longer outage, or a server answering 429 forever, is reported
#: rather than waited out forever.
DEFAULT_RETRY_WINDOW = 120.0


def _finite_positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{attribute.name} must be a positive number of seconds, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How many times to retry a failed request, and how to space the attempts.

    The delay before retry ``n`` (0-based) is ``initial_delay * 2**n`` capped at ``max_delay``,
    with up to ``jitter`` of it randomised, unless the server's ``Retry-After`` asks for longer
    (honoured up to ``max_retry_after`` seconds).

    ``max_retries`` does not count 429s: a throttled request was not carried out, and is
    retried until the call's ``timeout`` is up (without one, for ``retry_window`` seconds).
    A bulk operation's requests are retried until its ``timeout`` instead of ``max_retries``
    times; without one, for ``retry_window`` seconds from a request's first failure. Then
    ``DeadlineExceededError`` is raised, the last failure its cause.
    """

    max_retries: int = attrs.field(
        default=2, validator=[attrs.validators.ge(0), attrs.validators.le(MAX_RETRIES_LIMIT)]
    )
    initial_delay: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_delay: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    jitter: float = attrs.field(
        default=0.25, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    retry_window: float = attrs.field(default=DEFAULT_RETRY_WINDOW, validator=_finite_positive)

    @classmethod
    def coerce(cls, retries: int | RetryPolicy, *, field: str = "max_retries") -> RetryPolicy:
        """Accept a bare retry count (0 to 100) where a policy is expected; ``field`` names the
        option in the ``ValidationError`` for anything else."""
        if isinstance(retries, RetryPolicy):
            return retries
        if (
            isinstance(retries, bool)
            or not isinstance(retries, int)
            or not 0 <= retries <= MAX_RETRIES_LIMIT
        ):
            raise ValidationError(
                field,
                f"must be an int from 0 to {MAX_RETRIES_LIMIT} or a RetryPolicy, got {retries!r}",
            )
        return cls(max_retries=retries)


class RetryRule(enum.Enum):
    """What a request is allowed to retry on."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    LAUNCH = "launch"


def should_retry(exc: BaseException, rule: RetryRule) -> bool:
    """Whether ``exc`` may be retried under ``rule``."""
    if isinstance(exc, APIStatusError):
        if exc.status_code == 429:
            return True
        if rule is not RetryRule.SAFE:
            return False
        return (
            exc.status_code in RETRYABLE_STATUSES
            or exc.status_code >= 500
            or (exc.code or "").startswith("provider/")
        )
    if isinstance(exc, PacingTimeoutError):
        return False  # the queue is longer than the timeout allows: waiting more defeats it
    if isinstance(exc, APIConnectionError):
        return rule is RetryRule.SAFE or not exc.sent
    # A body past the size limit would be as large again.
    too_large = isinstance(exc, ResponseTooLargeError)
    return isinstance(exc, APIResponseError) and not too_large and rule is RetryRule.SAFE


def may_have_taken_effect(exc: BaseException) -> bool:
    """Whether a failed non-idempotent request might still have been carried out.

    A ``provider/*`` code is an upstream failure, whatever its status: the work may be done.
    """
    if isinstance(exc, APIStatusError):
        return (
            exc.status_code >= 500
            or exc.status_code == 408
            or (exc.code or "").startswith("provider/")
        )
    if isinstance(exc, APIConnectionError):
        return exc.sent
    return isinstance(exc, APIResponseError)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: ``Retry-After-Ms``, or ``Retry-After`` as seconds or
    an HTTP date. ``None`` when absent or unreadable."""
    ms = headers.get("retry-after-ms") or headers.get("Retry-After-Ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(
    policy: RetryPolicy,
    attempt: int,
    retry_after: float | None = None,
    *,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based)."""
    base: float = min(policy.max_delay, policy.initial_delay * 2.0 ** min(attempt, 64))
    delay = base * (1.0 - policy.jitter * rand())
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.max_retry_after))
    return delay


def retry_after_of(exc: BaseException | None) -> float | None:
    """The server's requested wait carried by an error response, if any."""
    if isinstance(exc, APIStatusError):
        return parse_retry_after(exc.headers)
    return None


def is_throttled(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a 429: the request was not carried out, and may be sent again."""
    return isinstance(exc, APIStatusError) and exc.status_code == 429


def make_retrying(
    policy: RetryPolicy,
    rule: RetryRule,
    *,
    sleep: Callable[[float], Awaitable[None]],
    deadline: Deadline | None = None,
    call_deadline: Deadline | None = None,
    paced: bool = False,
) -> tenacity.AsyncRetrying:
    """A tenacity controller applying ``policy`` under ``rule``.

    A 429 is not counted against ``policy.max_retries``: the request was not carried out, so
    it is retried until ``call_deadline`` (the end of the call's ``timeout``; without one,
    ``policy.retry_window`` from now), then the last ``RateLimitError`` is raised with its
    ``attempts``. With ``paced``, the client's rate limiter (which the 429 slowed down and
    held back) spaces those attempts, so the retry adds no wait of its own.

    With a ``deadline`` the attempts are not counted at all: a retryable failure is retried
    (spaced as ``policy`` says) for as long as the next attempt starts before the deadline,
    and running out of time raises ``DeadlineExceededError`` with the last failure as its
    cause. This is how the bulk operations ride out an outage their own ``timeout`` has room
    for. A deadline that never ends gives way to ``policy.retry_window`` from now (the first
    failure), so no failure is retried forever.
    """
    # Loaded by the first retry, not with the client: a request that succeeds at once (the
    # transport's fast path) never needs it, and a command line's start-up is the faster.
    import tenacity

    windowed = deadline is not None and not deadline.finite
    operation = deadline is not None
    limit = retry_limit(policy, deadline, call_deadline)  # for every failure of an operation
    counted = [0]  # failures other than 429 so far

    def count(state: tenacity.RetryCallState) -> None:
        if not is_throttled(_failure(state)):
            counted[0] += 1

    def wait(state: tenacity.RetryCallState) -> float:
        exc = _failure(state)
        if paced and is_throttled(exc):
            return 0.0
        return backoff_delay(policy, state.attempt_number - 1, retry_after_of(exc))

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = _failure(state)
        wait_s = state.next_action.sleep if state.next_action else 0.0
        log.info(
            "retrying in %.2fs after attempt %d failed: %s: %s",
            wait_s,
            state.attempt_number,
            type(exc).__name__,
            exc,
        )

    def out_of_time(state: tenacity.RetryCallState) -> bool:
        # tenacity computes the wait before asking whether to stop.
        timed = operation or is_throttled(_failure(state))
        return timed and not limit.allows(state.upcoming_sleep)

    def stop(state: tenacity.RetryCallState) -> bool:
        return out_of_time(state) or (not operation and counted[0] > policy.max_retries)

    def give_up(state: tenacity.RetryCallState) -> object:
        exc = _failure(state)
        assert exc is not None  # only failures are retried
        if not out_of_time(state):
            raise exc  # retried as many times as ``policy.max_retries`` allows
        window = policy.retry_window if windowed else None
        raise out_of_time_error(exc, state.attempt_number, operation=operation, window=window)

    return tenacity.AsyncRetrying(
        stop=stop,
        wait=wait,
        retry=tenacity.retry_if_exception(lambda exc: should_retry(exc, rule)),
        after=count,
        before_sleep=before_sleep,
        sleep=sleep,
        retry_error_callback=give_up,
    )


def _failure(state: tenacity.RetryCallState) -> BaseException | None:
    """The exception the attempt ``state`` describes failed with."""
    return state.outcome.exception() if state.outcome else None


def retry_limit(
    policy: RetryPolicy, deadline: Deadline | None, call_deadline: Deadline | None
) -> Deadline:
    """Until when a 429 is retried: the operation's ``deadline``, else the call's, else (for
    either that never ends) ``policy.retry_window`` from now."""
    if deadline is not None:
        return deadline if deadline.finite else Deadline(policy.retry_window)
    return call_deadline if call_deadline is not None else Deadline(policy.retry_window)


def out_of_time_error(
    exc: BaseException, attempts: int, *, operation: bool, window: float | None
) -> BaseException:
    """What a request whose retries ran out of time raises, ``exc`` its last failure after
    ``attempts`` attempts: under an operation's deadline (``window``: the ``retry_window``
    standing in for one that never ends), ``DeadlineExceededError`` caused by ``exc``;
    otherwise ``exc`` itself, a ``RateLimitError`` recording its ``attempts``."""
    if operation:
        when = "at the deadline"
        if window is not None:
            when = f"after retrying for {window:g}s (retry_window)"
        error = DeadlineExceededError(f"gave up {when}, {attempts} attempts: {exc}")
        error.__cause__ = exc
        return error
    if isinstance(exc, RateLimitError):
        exc.attempts = attempts
    return exc
