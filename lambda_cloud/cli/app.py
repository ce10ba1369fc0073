"""The root command: global options, the client every command shares, and how errors end."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import click

from .._ratelimit import RateLimits
from .._sync import LambdaCloud
from .._version import __version__
from ..errors import APIStatusError, LambdaCloudError, SpendLimitExceededError, ValidationError
from . import config
from .output import Mode, Output, price

__all__ = ["State", "cli", "pass_state"]


class State:
    """What the commands share: the output, and a client built on first use."""

    def __init__(self, settings: Callable[[], config.Settings], output: Output) -> None:
        self._settings = settings  # resolved on first use: `configure` needs no key
        self.output = output
        self._client: LambdaCloud | None = None

    def client(self) -> LambdaCloud:
        """The client, closed when the command ends."""
        if self._client is None:
            settings = self._settings()
            if not settings.api_key:
                raise click.UsageError(
                    "no API key: set LAMBDA_API_KEY, pass --api-key-file, "
                    "or run `lambda-cloud configure`"
                )
            limits = RateLimits(shared=settings.shared_state)  # None: the client's own pacing
            self._client = LambdaCloud(
                api_key=settings.api_key, base_url=settings.base_url, rate_limits=limits
            )
            click.get_current_context().find_root().call_on_close(self.close)
        return self._client

    def close(self) -> None:
        """Close the client, if one was built."""
        if self._client is not None:
            self._client.close()
            self._client = None


pass_state = click.make_pass_decorator(State)


class Failure(click.ClickException):
    """An SDK error, shown in a line or two without a traceback (exit status 1)."""

    def __init__(self, error: LambdaCloudError) -> None:
        super().__init__(str(error))
        self.error = error

    def format_message(self) -> str:
        error = self.error
        if isinstance(error, APIStatusError):
            text = f"{error.code or error.status_code}: {error.message}"
            return f"{text}\n  {error.suggestion}" if error.suggestion else text
        if isinstance(error, SpendLimitExceededError):
            on_top = (
                f" on top of {price(error.committed_cents)} already running or reserved"
                if error.committed_cents
                else ""
            )
            return (
                f"spend limit: {error.count} x {error.instance_type_name} at "
                f"{price(error.price_cents_per_hour)} would cost {price(error.hourly_cost_cents)}"
                f"{on_top}, over --max-hourly-cost {price(error.max_hourly_cost_cents)}.\n"
                "  Nothing was launched."
            )
        return f"{type(error).__name__}: {error}"


class Root(click.Group):
    """Turns the SDK's errors into short messages: API errors exit 1, bad input 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            raise click.UsageError(str(exc)) from None
        except LambdaCloudError as exc:
            raise Failure(exc) from None


@click.group(cls=Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--profile", metavar="NAME", help="Profile in ~/.config/lambda-cloud/config.toml.")
@click.option(
    "--api-key-file",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="Read the API key from this file.",
)
@click.option(
    "--api-key",
    metavar="KEY",
    help="The API key (visible in the process list: prefer --api-key-file or LAMBDA_API_KEY).",
)
@click.option("--base-url", metavar="URL", help="API root URL (default: $LAMBDA_BASE_URL).")
@click.option(
    "--shared-state",
    metavar="URL",
    help="Redis URL shared by every process using the key: one pace, spend budget and run "
    "leases (default: $LAMBDA_CLOUD_SHARED_STATE, or the profile's shared_state).",
)
@click.option(
    "--output",
    "-o",
    type=click.Choice([m.value for m in Mode]),
    help="Output format (default: table on a terminal, plain otherwise).",
)
@click.option("--debug", is_flag=True, help="Log the SDK's requests and retries to stderr.")
@click.version_option(__version__, prog_name="lambda-cloud")
@click.pass_context
def cli(
    ctx: click.Context,
    profile: str | None,
    api_key_file: str | None,
    api_key: str | None,
    base_url: str | None,
    shared_state: str | None,
    output: str | None,
    debug: bool,
) -> None:
    """Manage Lambda Cloud GPU instances from a terminal.

    The API key comes from --api-key-file, $LAMBDA_API_KEY, or a profile
    (see `lambda-cloud configure`).

    \b
    Example:
      export LAMBDA_API_KEY=...   # or: lambda-cloud configure
      lambda-cloud types --available --max-price 2
      lambda-cloud instances launch --type gpu_1x_a10 --ssh-key me --count 4 --wait
    """
    if debug:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("lambda_cloud")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    if api_key is not None:
        click.echo(
            "Warning: --api-key is visible to other users in the process list; "
            "prefer --api-key-file, LAMBDA_API_KEY or a profile.",
            err=True,
        )
    settings = functools.partial(
        config.resolve,
        api_key=api_key,
        api_key_file=api_key_file,
        base_url=base_url,
        profile=profile,
        shared_state=shared_state,
    )
    ctx.obj = State(settings, Output(Mode(output) if output else None))
