"""``errors.make_status_error``: every code in the spec (API.md section 5) maps to its class, and
odd bodies (an HTML page from a proxy, a list, nothing) still give a usable typed error."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from lambda_cloud import (
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
    LaunchResourceNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ValidationError,
    WaitTimeoutError,
)
from lambda_cloud.errors import make_status_error

URL = "https://cloud.lambda.ai/api/v1/instance-operations/launch"


def error(status: int, body: object, headers: dict[str, str] | None = None) -> APIStatusError:
    return make_status_error(
        method="POST", url=URL, status=status, body=body, headers=CIMultiDict(headers or {})
    )


def envelope(code: str, message: str = "msg", suggestion: str | None = None) -> dict[str, object]:
    err: dict[str, object] = {"code": code, "message": message}
    if suggestion is not None:
        err["suggestion"] = suggestion
    return {"error": err}


# Every code the 1.10.0 spec (and API.md section 5) names, at each status the spec gives it.
SPEC_CODES: list[tuple[str, int, type[APIStatusError]]] = [
    ("global/invalid-api-key", 401, AuthenticationError),
    ("global/account-inactive", 403, AccountInactiveError),
    ("global/forbidden", 403, PermissionDeniedError),
    ("global/invalid-address", 403, PermissionDeniedError),
    ("global/invalid-parameters", 400, InvalidParametersError),
    ("global/object-does-not-exist", 404, NotFoundError),
    ("global/object-does-not-exist", 400, LaunchResourceNotFoundError),
    ("global/not-found", 404, NotFoundError),
    ("global/quota-exceeded", 400, QuotaExceededError),
    ("global/duplicate", 400, DuplicateError),
    ("global/conflict", 409, ConflictError),
    ("global/internal-error", 409, ConflictError),  # declared 409 by the spec: a conflict
    ("global/internal-error", 500, InternalServerError),
    ("instance-operations/launch/insufficient-capacity", 400, InsufficientCapacityError),
    ("instance-operations/launch/file-system-in-wrong-region", 400, FileSystemInWrongRegionError),
    ("filesystems/filesystem-in-use", 400, FileSystemInUseError),
    ("firewall-rulesets/firewall-ruleset-in-use", 400, FirewallRulesetInUseError),
    ("provider/internal-unavailable", 503, InternalServerError),
    ("provider/internal-unavailable", 409, ConflictError),
    # Legacy and unknown codes fall back to the status.
    ("global/unknown", 400, BadRequestError),
    ("ssh-keys/key-in-use", 400, BadRequestError),
    ("instance-operations/launch/file-systems-not-supported", 400, BadRequestError),
    ("global/something-new", 403, PermissionDeniedError),
    ("global/something-new", 404, NotFoundError),
    ("global/something-new", 409, ConflictError),
    ("global/something-new", 418, APIStatusError),
    ("global/something-new", 502, InternalServerError),
    # A code never lifts an error out of its status's family.
    ("global/conflict", 400, BadRequestError),
    ("global/invalid-parameters", 409, ConflictError),
    ("global/account-inactive", 401, AuthenticationError),
    ("global/invalid-api-key", 403, PermissionDeniedError),
    ("global/quota-exceeded", 500, InternalServerError),
    ("global/internal-error", 400, BadRequestError),
    ("global/invalid-parameters", 418, APIStatusError),
    # Whatever a throttle says, it is a RateLimitError.
    ("global/rate-limited", 429, RateLimitError),
    ("global/invalid-parameters", 429, RateLimitError),
]


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [pytest.param(c, s, k, id=f"{s}-{c}") for c, s, k in SPEC_CODES],
)
def test_every_spec_code_maps_to_its_class(
    code: str, status: int, cls: type[APIStatusError]
) -> None:
    exc = error(status, envelope(code, "The message.", "The suggestion."))
    assert type(exc) is cls
    assert exc.status_code == status
    assert exc.code == code
    assert exc.message == "The message."
    assert exc.suggestion == "The suggestion."
    assert exc.method == "POST"
    assert exc.url == URL
    assert str(exc) == f"{status} {code}: The message. (The suggestion.)"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, APIStatusError),
        (408, APIStatusError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (504, InternalServerError),
        (599, InternalServerError),
    ],
)
def test_status_alone_picks_the_general_class(status: int, cls: type[APIStatusError]) -> None:
    exc = error(status, None)
    assert type(exc) is cls
    assert exc.code is None
    assert exc.suggestion is None
    assert exc.message == f"HTTP {status} from POST {URL}"
    assert str(exc) == f"{status} error: HTTP {status} from POST {URL}"


@pytest.mark.parametrize("code", [None, *sorted({code for code, _, _ in SPEC_CODES})])
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429, 500, 503])
def test_the_status_chooses_the_family_whatever_the_code(status: int, code: str | None) -> None:
    family = error(status, None)
    exc = error(status, envelope(code) if code else None)
    assert isinstance(exc, type(family))


def test_a_409_internal_error_is_caught_as_a_conflict() -> None:
    # The spec's answer for a firewall ruleset in use: ``except ConflictError`` must see it.
    with pytest.raises(ConflictError) as caught:
        raise error(409, envelope("global/internal-error", "An internal server error occurred."))
    assert not isinstance(caught.value, InternalServerError)
    assert caught.value.code == "global/internal-error"


def test_a_launch_resource_not_found_is_both_a_bad_request_and_a_not_found() -> None:
    exc = error(400, envelope("global/object-does-not-exist", "Image 'x' does not exist."))
    assert isinstance(exc, BadRequestError)
    assert isinstance(exc, NotFoundError)


def test_html_502_from_a_proxy_is_an_internal_server_error_with_its_status() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    exc = error(502, page, {"Content-Type": "text/html"})
    assert isinstance(exc, InternalServerError)
    assert exc.status_code == 502
    assert exc.code is None
    assert exc.body == page
    assert exc.headers["content-type"] == "text/html"
    assert "502" in str(exc)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty-string"),
        pytest.param([{"code": "global/conflict"}], id="list"),
        pytest.param(42, id="number"),
        pytest.param({}, id="empty-object"),
        pytest.param({"error": "Conflict"}, id="error-is-a-string"),
        pytest.param({"error": None}, id="error-is-null"),
        pytest.param({"error": {"code": 409, "message": ["x"]}}, id="wrong-types"),
        pytest.param({"message": "conflict", "code": "global/conflict"}, id="no-error-key"),
    ],
)
def test_odd_bodies_still_give_a_typed_error(body: object) -> None:
    exc = error(409, body)
    assert type(exc) is ConflictError
    assert exc.status_code == 409
    assert exc.code is None
    assert exc.message == f"HTTP 409 from POST {URL}"
    assert exc.body == body


def test_partial_error_object() -> None:
    exc = error(400, {"error": {"code": "global/quota-exceeded"}})
    assert type(exc) is QuotaExceededError
    assert exc.message == f"HTTP 400 from POST {URL}"
    assert exc.suggestion is None
    assert str(exc) == f"400 global/quota-exceeded: HTTP 400 from POST {URL}"


def test_unknown_top_level_keys_are_ignored() -> None:
    body = {
        "error": {"code": "global/invalid-parameters", "message": "Invalid request data."},
        "field_errors": {"name": {"code": "too-long", "message": "..."}},
    }
    exc = error(400, body)
    assert type(exc) is InvalidParametersError
    assert exc.message == "Invalid request data."


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        (InvalidParametersError, (BadRequestError,)),
        (InsufficientCapacityError, (BadRequestError,)),
        (QuotaExceededError, (BadRequestError,)),
        (DuplicateError, (BadRequestError,)),
        (FileSystemInUseError, (BadRequestError,)),
        (FileSystemInWrongRegionError, (BadRequestError,)),
        (FirewallRulesetInUseError, (BadRequestError,)),
        (AccountInactiveError, (PermissionDeniedError,)),
        (LaunchResourceNotFoundError, (BadRequestError, NotFoundError)),
        (BadRequestError, (APIStatusError,)),
        (AuthenticationError, (APIStatusError,)),
        (NotFoundError, (APIStatusError,)),
        (ConflictError, (APIStatusError,)),
        (RateLimitError, (APIStatusError,)),
        (InternalServerError, (APIStatusError,)),
        (APIStatusError, (APIError,)),
        (APITimeoutError, (APIConnectionError, APIError)),
        (APIResponseError, (APIError,)),
        (LaunchOutcomeUnknownError, (APIError,)),
        (APIError, (LambdaCloudError,)),
        (ValidationError, (LambdaCloudError, ValueError)),
        (WaitTimeoutError, (LambdaCloudError, TimeoutError)),
    ],
)
def test_hierarchy(cls: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    for base in bases:
        assert issubclass(cls, base)
    assert issubclass(cls, LambdaCloudError)


def test_connection_errors_say_whether_the_request_left() -> None:
    assert APIConnectionError(method="GET", url=URL).sent is True
    assert APIConnectionError(method="GET", url=URL, sent=False).sent is False
    timeout = APITimeoutError(method="GET", url=URL, sent=False)
    assert (timeout.sent, str(timeout)) == (False, "Request timed out.")


def test_validation_error_names_the_field() -> None:
    exc = ValidationError("hostname", "bad")
    assert (exc.field, exc.message, str(exc)) == ("hostname", "bad", "hostname: bad")


def test_launch_outcome_unknown_keeps_a_copy_of_the_request() -> None:
    body = {"name": "x"}
    exc = LaunchOutcomeUnknownError("?", method="POST", url=URL, request_body=body)
    body["name"] = "changed"
    assert exc.request_body == {"name": "x"}


def test_wait_timeout_keeps_last_statuses() -> None:
    exc = WaitTimeoutError("gave up", statuses={"i1": "booting", "i2": None})
    assert exc.statuses == {"i1": "booting", "i2": None}
