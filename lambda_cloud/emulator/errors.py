"""The API's error codes, their HTTP statuses and default texts, as the spec gives them."""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULTS", "RATE_LIMITED", "ApiError", "error_body", "invalid"]

RATE_LIMITED = "global/rate-limited"

# code -> (status, default message, default suggestion or None). Texts are the spec's defaults
# where it has them; the others are the emulator's own wording.
DEFAULTS: dict[str, tuple[int, str, str | None]] = {
    "global/invalid-api-key": (
        401,
        "API key was invalid, expired, or deleted.",
        "Check your API key or create a new one, then try again.",
    ),
    "global/account-inactive": (
        403,
        "Your account is inactive.",
        "Make sure you have verified your email address and have a valid payment method. "
        "Contact Support if problems continue.",
    ),
    "global/invalid-address": (
        403,
        "Your billing address is invalid.",
        "Make sure your billing address is valid. Contact Support if problems continue.",
    ),
    "global/forbidden": (403, "You do not have permission to perform this action.", None),
    "global/invalid-parameters": (400, "Invalid request data.", None),
    "global/object-does-not-exist": (404, "Specified instance does not exist.", None),
    "global/not-found": (404, "The requested resource was not found.", None),
    "global/quota-exceeded": (400, "Quota exceeded.", "Contact Support to increase your quota."),
    "global/duplicate": (400, "A resource with this name already exists.", None),
    "global/conflict": (409, "The request conflicts with the current state of the resource.", None),
    "global/internal-error": (
        409,
        "An internal server error occurred.",
        "Try again later. Contact Support if the problem persists.",
    ),
    "instance-operations/launch/insufficient-capacity": (
        400,
        "Not enough capacity to fulfill launch request.",
        "Choose an instance type with more availability, or try again later.",
    ),
    "instance-operations/launch/file-system-in-wrong-region": (
        400,
        "The file system is in a different region from the instance.",
        "Launch the instance in the file system's region, or use a file system in that region.",
    ),
    "filesystems/filesystem-in-use": (
        400,
        "Filesystem is in use by one or more instances.",
        "Terminate all instances that are using the filesystem before deleting it.",
    ),
    "firewall-rulesets/firewall-ruleset-in-use": (
        400,
        "Firewall ruleset is in use by one or more instances.",
        "Terminate all instances that are using the ruleset before deleting it.",
    ),
    RATE_LIMITED: (
        429,
        "Too many requests.",
        "Slow down, and retry after the number of seconds in the Retry-After header.",
    ),
    "provider/internal-unavailable": (503, "Provider unavailable", "Try again shortly"),
}


class ApiError(Exception):
    """An error answer: HTTP status plus the ``{"error": {...}}`` envelope."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        suggestion: str | None = None,
        *,
        status: int | None = None,
    ) -> None:
        default_status, default_message, default_suggestion = DEFAULTS.get(
            code, (500, "An internal server error occurred.", None)
        )
        self.code = code
        self.status = status if status is not None else default_status
        self.message = message if message is not None else default_message
        self.suggestion = suggestion if suggestion is not None else default_suggestion
        super().__init__(f"{self.status} {code}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON body of this error."""
        return error_body(self.code, self.message, self.suggestion)


def error_body(code: str, message: str, suggestion: str | None = None) -> dict[str, Any]:
    """``{"error": {"code", "message", "suggestion"?}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if suggestion is not None:
        error["suggestion"] = suggestion
    return {"error": error}


def invalid(message: str, suggestion: str | None = None) -> ApiError:
    """A 400 ``global/invalid-parameters`` naming what was wrong."""
    return ApiError("global/invalid-parameters", message, suggestion)
