"""Commands that need no account: ``configure``, ``emulator serve`` and ``demo``."""

from __future__ import annotations

import os
import sys

import click

from . import config

__all__ = ["configure", "demo", "emulator"]


@click.command(cls=config.ConfigFileHelp)
@click.option(
    "--profile",
    "name",
    metavar="NAME",
    default=config.DEFAULT_PROFILE,
    show_default=True,
    help="The profile to write (the file, below, gets mode 0600).",
)
@click.option("--base-url", help="API root URL to store with the key.")
def configure(name: str, base_url: str | None) -> None:
    """Store an API key in a profile.

    The key is read without echo on a terminal, or as a line from a pipe.

    \b
    Example:
      lambda-cloud configure --profile work
      lambda-cloud configure < ~/.lambda/key
    """
    if sys.stdin.isatty():
        api_key = str(click.prompt("API key", hide_input=True, err=True))
    else:  # nothing to hide; getpass would warn that it cannot turn echo off
        api_key = sys.stdin.readline()
    api_key = api_key.strip()
    if not api_key:
        raise click.UsageError("no API key given")
    path = config.write_profile(name, api_key=api_key, base_url=base_url)
    click.echo(f"Saved profile {name!r} to {path}", err=True)


@click.group()
def emulator() -> None:
    """A local emulator of the Lambda Cloud API, for trying things out for free.

    \b
    Example:
      lambda-cloud emulator serve --port 8080 --time-scale 0.01
    """


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8080, show_default=True, help="0 picks a free port.")
@click.option("--time-scale", type=float, default=1.0, show_default=True)
@click.option("--seed", type=int, help="Seed for ids and fault probabilities.")
@click.option("--enforce-rate-limits", is_flag=True, help="Answer 429 past the documented limits.")
def serve(
    host: str, port: int, time_scale: float, seed: int | None, enforce_rate_limits: bool
) -> None:
    """Serve the emulator until Ctrl-C; prints its base URL and API key.

    \b
    Example:
      lambda-cloud emulator serve --port 8080 --time-scale 0.01
    """
    from lambda_cloud.emulator import __main__ as emulator_main

    argv = ["--host", host, "--port", str(port), "--time-scale", str(time_scale)]
    argv += ["--seed", str(seed)] if seed is not None else []
    argv += ["--enforce-rate-limits"] if enforce_rate_limits else []
    try:
        status = emulator_main.main(argv)
    except OSError as exc:  # binding the port: in use, not permitted, no such address
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise click.ClickException(f"cannot serve on {host}:{port}: {reason}") from None
    raise click.exceptions.Exit(status)


@click.command()
@click.option("--count", type=int, default=20, show_default=True, help="Instances to launch.")
@click.option("--time-scale", type=float, default=0.02, show_default=True)
def demo(count: int, time_scale: float) -> None:
    """Run the README's fleet demo on a built-in, time-compressed emulator.

    \b
    Example:
      lambda-cloud demo --count 8
    """
    from lambda_cloud import demo as demo_module

    raise click.exceptions.Exit(
        demo_module.main(["--count", str(count), "--time-scale", str(time_scale)])
    )
