"""The pure retry rules: what is retried under which rule, Retry-After parsing, backoff bounds,
and the tenacity wiring (driven with a recording sleep, so nothing waits)."""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from lambda_cloud import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    InternalServerError,
    LaunchOutcomeUnknownError,
    RateLimitError,
    RetryPolicy,
    ValidationError,
)
from lambda_cloud._deadline import Deadline
from lambda_cloud._retry import (
    RetryRule,
    backoff_delay,
    make_retrying,
    may_have_taken_effect,
    parse_retry_after,
    retry_after_of,
    should_retry,
)
from lambda_cloud.errors import make_status_error

URL = "https://cloud.lambda.ai/api/v1/instances"
SAFE, UNSAFE, LAUNCH = RetryRule.SAFE, RetryRule.UNSAFE, RetryRule.LAUNCH


def status(code: int, api_code: str | None = None, headers: Any = None) -> Exception:
    body = {"error": {"code": api_code, "message": "m"}} if api_code else None
    return make_status_error(
        method="GET", url=URL, status=code, body=body, headers=headers or CIMultiDict()
    )


def connection(*, sent: bool) -> Exception:
    return APIConnectionError(method="GET", url=URL, sent=sent)


def timeout(*, sent: bool) -> Exception:
    return APITimeoutError(method="GET", url=URL, sent=sent)


# (failure, retried under SAFE, retried under UNSAFE, retried under LAUNCH)
RETRY_TABLE: list[tuple[str, Callable[[], Exception], bool, bool, bool]] = [
    ("400", lambda: status(400), False, False, False),
    (
        "400 invalid-parameters",
        lambda: status(400, "global/invalid-parameters"),
        False,
        False,
        False,
    ),
    (
        "400 insufficient-capacity",
        lambda: status(400, "instance-operations/launch/insufficient-capacity"),
        False,
        False,
        False,
    ),
    ("400 quota-exceeded", lambda: status(400, "global/quota-exceeded"), False, False, False),
    ("401", lambda: status(401, "global/invalid-api-key"), False, False, False),
    ("403 inactive", lambda: status(403, "global/account-inactive"), False, False, False),
    ("403 invalid-address", lambda: status(403, "global/invalid-address"), False, False, False),
    ("404", lambda: status(404, "global/object-does-not-exist"), False, False, False),
    ("404 not-found", lambda: status(404, "global/not-found"), False, False, False),
    ("408", lambda: status(408), True, False, False),
    ("409 conflict", lambda: status(409, "global/conflict"), True, False, False),
    ("409 internal-error", lambda: status(409, "global/internal-error"), True, False, False),
    ("418", lambda: status(418), False, False, False),
    ("429", lambda: status(429), True, True, True),
    ("429 with a code", lambda: status(429, "global/rate-limited"), True, True, True),
    ("500", lambda: status(500), True, False, False),
    ("502", lambda: status(502), True, False, False),
    ("503", lambda: status(503), True, False, False),
    ("504", lambda: status(504), True, False, False),
    ("503 provider", lambda: status(503, "provider/internal-unavailable"), True, False, False),
    ("409 provider", lambda: status(409, "provider/internal-unavailable"), True, False, False),
    ("400 provider", lambda: status(400, "provider/upstream-error"), True, False, False),
    ("connection refused", lambda: connection(sent=False), True, True, True),
    ("connection broken after sending", lambda: connection(sent=True), True, False, False),
    ("connect timeout", lambda: timeout(sent=False), True, True, True),
    ("read timeout", lambda: timeout(sent=True), True, False, False),
    (
        "unreadable 200 body",
        lambda: APIResponseError("bad", method="GET", url=URL),
        True,
        False,
        False,
    ),
    (
        "launch outcome unknown",
        lambda: LaunchOutcomeUnknownError("?", method="POST", url=URL, request_body={}),
        False,
        False,
        False,
    ),
    ("validation error", lambda: ValidationError("name", "too long"), False, False, False),
    ("a bug", lambda: KeyError("data"), False, False, False),
]


@pytest.mark.parametrize(
    ("make", "rule", "expected"),
    [
        pytest.param(make, rule, expected, id=f"{label}-{rule.value}")
        for label, make, *by_rule in RETRY_TABLE
        for rule, expected in zip((SAFE, UNSAFE, LAUNCH), by_rule, strict=True)
    ],
)
def test_should_retry(make: Callable[[], Exception], rule: RetryRule, expected: bool) -> None:
    assert should_retry(make(), rule) is expected


# (failure, might the request have been carried out)
EFFECT_TABLE: list[tuple[str, Callable[[], Exception], bool]] = [
    ("400", lambda: status(400, "global/invalid-parameters"), False),
    ("401", lambda: status(401, "global/invalid-api-key"), False),
    ("403", lambda: status(403, "global/account-inactive"), False),
    ("404", lambda: status(404, "global/object-does-not-exist"), False),
    ("408", lambda: status(408), True),
    ("409", lambda: status(409, "global/conflict"), False),
    ("429", lambda: status(429), False),
    ("500", lambda: status(500), True),
    ("502", lambda: status(502), True),
    ("503", lambda: status(503), True),
    # An upstream failure may have done the work, whatever status carries it.
    ("409 provider", lambda: status(409, "provider/internal-unavailable"), True),
    ("400 provider", lambda: status(400, "provider/upstream-error"), True),
    ("connection refused", lambda: connection(sent=False), False),
    ("connection broken", lambda: connection(sent=True), True),
    ("connect timeout", lambda: timeout(sent=False), False),
    ("read timeout", lambda: timeout(sent=True), True),
    ("unreadable body", lambda: APIResponseError("bad", method="POST", url=URL), True),
    ("not an API error", lambda: ValueError("x"), False),
]


@pytest.mark.parametrize(
    ("make", "expected"), [pytest.param(m, e, id=label) for label, m, e in EFFECT_TABLE]
)
def test_may_have_taken_effect(make: Callable[[], Exception], expected: bool) -> None:
    assert may_have_taken_effect(make()) is expected


def test_unsafe_rules_retry_exactly_what_cannot_have_taken_effect() -> None:
    # The invariant the launch path rests on: never retry what might have created something.
    for label, make, _, unsafe, launch in RETRY_TABLE:
        exc = make()
        if may_have_taken_effect(exc):
            assert not unsafe, label
            assert not launch, label


# -- Retry-After --------------------------------------------------------------------------------

NOW = 1_700_000_000.0


def http_date(offset: float) -> str:
    return email.utils.formatdate(NOW + offset, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({}, None, id="absent"),
        pytest.param({"Retry-After": "7"}, 7.0, id="seconds"),
        pytest.param({"retry-after": "7"}, 7.0, id="seconds-lowercase-key"),
        pytest.param({"Retry-After": "1.5"}, 1.5, id="fractional-seconds"),
        pytest.param({"Retry-After": "0"}, 0.0, id="zero"),
        pytest.param({"Retry-After": "-5"}, 0.0, id="negative-clamped"),
        pytest.param({"Retry-After": http_date(30)}, 30.0, id="http-date"),
        pytest.param({"Retry-After": http_date(-30)}, 0.0, id="http-date-in-the-past"),
        pytest.param({"Retry-After": "soon"}, None, id="garbage"),
        pytest.param({"Retry-After": ""}, None, id="empty"),
        pytest.param({"Retry-After": "Mon, 99 Foo 2025 99:99:99 GMT"}, None, id="bad-date"),
        pytest.param({"Retry-After-Ms": "1500"}, 1.5, id="ms"),
        pytest.param({"retry-after-ms": "250"}, 0.25, id="ms-lowercase-key"),
        pytest.param({"Retry-After-Ms": "1500", "Retry-After": "9"}, 1.5, id="ms-wins"),
        pytest.param({"Retry-After-Ms": "-1"}, 0.0, id="ms-negative-clamped"),
        pytest.param(
            {"Retry-After-Ms": "lots", "Retry-After": "9"}, 9.0, id="ms-garbage-falls-back"
        ),
        pytest.param({"Retry-After-Ms": "lots"}, None, id="ms-garbage-alone"),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_after(headers, now=NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_parse_retry_after_reads_response_headers_case_insensitively() -> None:
    assert parse_retry_after(CIMultiDict({"RETRY-AFTER": "3"})) == 3.0
    assert parse_retry_after(CIMultiDict({"RETRY-AFTER-MS": "3000"})) == 3.0


def test_retry_after_of_takes_it_from_an_error_response_only() -> None:
    assert retry_after_of(status(429, headers=CIMultiDict({"Retry-After": "4"}))) == 4.0
    assert retry_after_of(status(429)) is None
    assert retry_after_of(connection(sent=False)) is None
    assert retry_after_of(None) is None


# -- backoff -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "base"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (12, 8.0)],
)
def test_backoff_grows_exponentially_up_to_max_delay(attempt: int, base: float) -> None:
    policy = RetryPolicy()  # 0.5 s initial, 8 s cap, 25 % jitter
    assert backoff_delay(policy, attempt, rand=lambda: 0.0) == base
    assert backoff_delay(policy, attempt, rand=lambda: 1.0) == pytest.approx(base * 0.75)


def test_backoff_without_jitter_is_exact() -> None:
    policy = RetryPolicy(jitter=0.0, initial_delay=0.1, max_delay=1.0)
    assert [backoff_delay(policy, n, rand=lambda: 0.9) for n in range(5)] == [
        0.1,
        0.2,
        0.4,
        0.8,
        1.0,
    ]


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        pytest.param(None, 1.0, id="absent"),
        pytest.param(0.2, 1.0, id="shorter-than-backoff"),
        pytest.param(5.0, 5.0, id="longer-than-backoff"),
        pytest.param(500.0, 60.0, id="capped-at-max-retry-after"),
    ],
)
def test_backoff_honours_retry_after_up_to_the_cap(
    retry_after: float | None, expected: float
) -> None:
    policy = RetryPolicy(jitter=0.0)
    assert backoff_delay(policy, 1, retry_after, rand=lambda: 0.5) == expected


def test_small_max_retry_after_caps_the_server_request() -> None:
    policy = RetryPolicy(initial_delay=0.0, max_delay=0.0, max_retry_after=0.05)
    assert backoff_delay(policy, 0, 3600.0) == 0.05


@given(
    attempt=st.integers(min_value=0, max_value=60),
    r=st.floats(min_value=0.0, max_value=1.0),
    initial=st.floats(min_value=0.0, max_value=10.0),
    cap=st.floats(min_value=0.0, max_value=100.0),
    jitter=st.floats(min_value=0.0, max_value=1.0),
    retry_after=st.none() | st.floats(min_value=0.0, max_value=1e6),
)
def test_backoff_bounds(
    attempt: int, r: float, initial: float, cap: float, jitter: float, retry_after: float | None
) -> None:
    policy = RetryPolicy(initial_delay=initial, max_delay=cap, jitter=jitter, max_retry_after=30.0)
    delay = backoff_delay(policy, attempt, retry_after, rand=lambda: r)
    base = min(cap, initial * 2.0**attempt)
    low = base * (1.0 - jitter)
    if retry_after is not None:
        low = max(low, min(retry_after, 30.0))
    assert low - 1e-9 <= delay <= max(base, min(retry_after or 0.0, 30.0)) + 1e-9


# -- RetryPolicy --------------------------------------------------------------------------------


def test_retry_policy_coerce() -> None:
    policy = RetryPolicy(max_retries=7)
    assert RetryPolicy.coerce(policy) is policy
    assert RetryPolicy.coerce(3) == RetryPolicy(max_retries=3)
    assert RetryPolicy.coerce(0).max_retries == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"initial_delay": -0.1},
        {"max_delay": -1.0},
        {"jitter": 1.5},
        {"jitter": -0.1},
        {"max_retry_after": -1.0},
    ],
)
def test_retry_policy_rejects_nonsense(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


# -- tenacity wiring ---------------------------------------------------------------------------


class Flaky:
    """Fails with the given exceptions in turn, then returns 'ok'."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


async def run(
    policy: RetryPolicy, rule: RetryRule, fn: Flaky, **options: Any
) -> tuple[str, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async for attempt in make_retrying(policy, rule, sleep=sleep, **options):
        with attempt:
            return fn(), slept
    raise AssertionError("unreachable")


NO_JITTER = RetryPolicy(max_retries=3, initial_delay=0.5, max_delay=8.0, jitter=0.0)


async def test_retrying_retries_then_succeeds_with_growing_delays() -> None:
    fn = Flaky(status(503), status(502), connection(sent=True))
    result, slept = await run(NO_JITTER, SAFE, fn)
    assert (result, fn.calls, slept) == ("ok", 4, [0.5, 1.0, 2.0])


async def test_retrying_gives_up_after_max_retries_and_reraises_the_last_failure() -> None:
    last = status(500)
    fn = Flaky(status(503), status(503), status(503), last, status(503))
    with pytest.raises(type(last)) as info:
        await run(NO_JITTER, SAFE, fn)
    assert info.value is last
    assert fn.calls == 4


async def test_retrying_with_zero_retries_tries_once() -> None:
    fn = Flaky(status(503))
    with pytest.raises(InternalServerError):
        await run(RetryPolicy(max_retries=0), SAFE, fn)
    assert fn.calls == 1


async def test_retrying_does_not_retry_what_the_rule_forbids() -> None:
    fn = Flaky(status(500))
    with pytest.raises(InternalServerError):
        await run(NO_JITTER, LAUNCH, fn)
    assert fn.calls == 1


async def test_retrying_launch_retries_429_and_refused_connections() -> None:
    fn = Flaky(status(429), connection(sent=False), timeout(sent=False))
    result, slept = await run(NO_JITTER, LAUNCH, fn)
    assert (result, fn.calls, len(slept)) == ("ok", 4, 3)


async def test_retrying_waits_as_long_as_retry_after_asks_up_to_the_cap() -> None:
    policy = RetryPolicy(max_retries=3, initial_delay=0.0, max_delay=0.0, max_retry_after=10.0)
    fn = Flaky(
        status(429, headers=CIMultiDict({"Retry-After": "3"})),
        status(429, headers=CIMultiDict({"Retry-After": "3600"})),
        status(429, headers=CIMultiDict({"Retry-After-Ms": "20"})),
    )
    result, slept = await run(policy, SAFE, fn)
    assert result == "ok"
    assert slept == pytest.approx([3.0, 10.0, 0.02])


async def test_429s_are_not_counted_against_max_retries() -> None:
    fn = Flaky(status(429), status(503), status(429), status(429), status(503), status(429))
    result, _ = await run(RetryPolicy(max_retries=2), LAUNCH, Flaky(*[status(429)] * 6))
    assert result == "ok"
    result, _ = await run(RetryPolicy(max_retries=2), SAFE, fn)
    assert (result, fn.calls) == ("ok", 7)  # two 503s: within max_retries=2


async def test_a_429_is_retried_until_the_call_s_time_is_up() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    fn = Flaky(*[status(429, headers=CIMultiDict({"Retry-After": "2"}))] * 10)
    policy = RetryPolicy(max_retries=0, initial_delay=0.0, max_delay=0.0)
    call = Deadline(5.0, clock=lambda: now[0])  # two waits of 2 s fit, a third does not
    with pytest.raises(RateLimitError) as info:
        async for attempt in make_retrying(policy, SAFE, sleep=sleep, call_deadline=call):
            with attempt:
                fn()
    assert (fn.calls, info.value.attempts) == (3, 3)
    assert str(info.value).endswith("[gave up after 3 attempts]")


async def test_a_paced_429_adds_no_wait_of_its_own() -> None:
    # The rate limiter, held back by the 429, spaces the attempts instead.
    fn = Flaky(status(429, headers=CIMultiDict({"Retry-After": "2"})), status(503))
    result, slept = await run(NO_JITTER, SAFE, fn, paced=True)
    assert (result, slept) == ("ok", [0.0, 1.0])
