"""The root command: global options, the client every command shares, and how errors end."""

from __future__ import annotations

import functools
import importlib
import logging
import os
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from lambda_cloud import (
    APIStatusError,
    AuthenticationError,
    LambdaCloudError,
    SpendLimitExceededError,
    ValidationError,
    __version__,
)

from . import config
from .output import Mode, Output, clean, price

if TYPE_CHECKING:
    import aiohttp

    from lambda_cloud import LambdaCloud

__all__ = ["LazyGroup", "State", "accept_output_option", "cli", "pass_state"]


class State:
    """What the commands share: the output, and a client built on first use."""

    def __init__(
        self,
        settings: Callable[[], config.Settings],
        output: Output,
        *,
        allow_insecure_http: bool,
    ) -> None:
        self._settings = settings  # resolved on first use: `configure` needs no key
        self.output = output
        self._allow_insecure_http = allow_insecure_http
        #: The client's request tracing, set before its first use (``launch`` announces its
        #: run id as its first launch request goes out).
        self.trace_configs: list[aiohttp.TraceConfig] = []
        #: Where the client's API key came from, once it is built.
        self.key_source: str | None = None
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
            self.key_source = settings.key_source
            # The client (and with it aiohttp and every model) loads here: `--help` needs none.
            from lambda_cloud import LambdaCloud, RateLimits

            # The SDK warns about an odd base URL; a warning's usual form names a file and line
            # inside the SDK, which means nothing here.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self._client = LambdaCloud(
                    api_key=settings.api_key,
                    base_url=settings.base_url,
                    # None: the client's own pacing (adaptive), or $LAMBDA_CLOUD_SHARED_STATE's.
                    rate_limits=RateLimits(shared=settings.shared_state),
                    allow_insecure_http=self._allow_insecure_http,
                    trace_configs=self.trace_configs or None,
                )
            for warning in caught:
                self.output.message(f"Warning: {warning.message}")
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

    def __init__(self, error: LambdaCloudError, key_source: str | None = None) -> None:
        super().__init__(describe(error, key_source))
        self.error = error


def describe(error: LambdaCloudError, key_source: str | None = None) -> str:
    """An SDK error as a line or two; a refused key says where it came from."""
    if isinstance(error, APIStatusError):
        lines = [f"{error.code or error.status_code}: {error.message}"]
        if error.suggestion:
            lines.append(f"  {_as_commands(error.suggestion)}")
        if isinstance(error, AuthenticationError) and key_source:
            lines.append(f"  The API key came from {key_source}.")
        return "\n".join(lines)
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


#: The commands that make the API calls its suggestions name ("Use GET /regions to ...").
_COMMANDS = {
    "GET /instance-types": "lambda-cloud types",
    "GET /instances": "lambda-cloud instances list",
    "GET /regions": "lambda-cloud regions",
    "GET /images": "lambda-cloud images",
    "GET /ssh-keys": "lambda-cloud ssh-keys list",
    "POST /ssh-keys": "lambda-cloud ssh-keys add",
    "GET /file-systems": "lambda-cloud file-systems list",
}
_ENDPOINT = re.compile(r"\b(?:GET|POST) /[a-z-]+")


def _as_commands(suggestion: str) -> str:
    """The API's suggestion, with the endpoints it names put as the commands that call them."""
    return _ENDPOINT.sub(
        lambda m: f"`{_COMMANDS[m[0]]}`" if m[0] in _COMMANDS else m[0], suggestion
    )


class LazyGroup(click.Group):
    """A group whose commands named in ``lazy`` load from their module when first asked for:
    a command loads only its own module (``instances launch`` and its kin, the bulk engine's
    defaults), and only ``--help``, which lists them all, loads every one."""

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Command name -> ``"module:attribute"``, the module relative to this package.
        self.lazy = dict(lazy or {})
        #: Applied to each command as it loads, as to the commands built at start-up.
        self.prepare: Callable[[click.Command], None] = lambda command: None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.pop(cmd_name, None)
        if target is not None:
            module, attribute = target.split(":")
            command = getattr(importlib.import_module(module, __package__), attribute)
            self.prepare(command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


class Root(LazyGroup):
    """Turns the SDK's errors into short messages (API errors exit 1, bad input 2), cleans
    every error message of terminal controls (it may quote the server), and ends quietly with
    0 when the reader of stdout goes away (``| head``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        except click.ClickException as exc:
            # Any message may quote the server. Click types ``message`` Final, but shows it
            # only after this, and every kind of ClickException formats its text from it.
            exc.message = "\n".join(map(clean, exc.message.split("\n")))  # type: ignore[misc]
            raise
        except BrokenPipeError:
            # Whatever is still buffered goes nowhere, rather than failing again at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        config.show_config_path(formatter)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            # The SDK names its own parameter; here it is an option.
            message = str(exc).replace("allow_insecure_http=True", "--allow-insecure-http")
            raise click.UsageError(message) from None
        except LambdaCloudError as exc:
            state = ctx.find_object(State)
            raise Failure(exc, state.key_source if state else None) from None


_OUTPUT = click.Choice([m.value for m in Mode])
_OUTPUT_HELP = "Output format (default: table on a terminal, plain otherwise)."


def _leaf_output(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    state = ctx.find_object(State)
    if value is not None and state is not None:  # the root's State exists by now
        state.output.mode = Mode(value)


def accept_output_option(command: click.Command) -> None:
    """Give ``command``, or every command under it, the root's ``-o/--output`` too: cloud CLIs
    take it after the subcommand (``instances list -o json``) as well as before."""
    if isinstance(command, LazyGroup):
        command.prepare = accept_output_option
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            accept_output_option(subcommand)
    else:
        command.params.append(
            click.Option(
                ["--output", "-o"],
                type=_OUTPUT,
                expose_value=False,
                callback=_leaf_output,
                help=_OUTPUT_HELP,
            )
        )


@click.group(cls=Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--profile", metavar="NAME", help="Profile in the profile file (see below).")
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
    "--allow-insecure-http",
    is_flag=True,
    help="Allow a plain http:// base URL on another machine (the key crosses unencrypted).",
)
@click.option(
    "--shared-state",
    metavar="URL",
    help="Redis URL shared by every process using the key: one pace, spend budget and run "
    "leases (default: $LAMBDA_CLOUD_SHARED_STATE, or the profile's shared_state).",
)
@click.option("--output", "-o", type=_OUTPUT, help=_OUTPUT_HELP)
@click.option("--debug", is_flag=True, help="Log the SDK's requests and retries to stderr.")
@click.version_option(__version__, prog_name="lambda-cloud")
@click.pass_context
def cli(
    ctx: click.Context,
    profile: str | None,
    api_key_file: str | None,
    api_key: str | None,
    base_url: str | None,
    allow_insecure_http: bool,
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
    shown = Output(Mode(output) if output else None)
    ctx.obj = State(settings, shown, allow_insecure_http=allow_insecure_http)
