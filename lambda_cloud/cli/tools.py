"""Commands that need no account: ``configure``, ``emulator serve`` and ``demo``."""

from __future__ import annotations

import click

from .. import demo as demo_module
from ..emulator import __main__ as emulator_main
from . import config

__all__ = ["configure", "demo", "emulator"]


@click.command()
@click.option("--profile", "name", default=config.DEFAULT_PROFILE, show_default=True)
@click.option("--base-url", help="API root URL to store with the key.")
def configure(name: str, base_url: str | None) -> None:
    """Store an API key in a profile (~/.config/lambda-cloud/config.toml, mode 0600).

    The key is read without echo.

    \b
    Example:
      lambda-cloud configure --profile work
    """
    api_key = click.prompt("API key", hide_input=True, err=True).strip()
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
    argv = ["--host", host, "--port", str(port), "--time-scale", str(time_scale)]
    argv += ["--seed", str(seed)] if seed is not None else []
    argv += ["--enforce-rate-limits"] if enforce_rate_limits else []
    raise click.exceptions.Exit(emulator_main.main(argv))


@click.command()
@click.option("--count", type=int, default=20, show_default=True, help="Instances to launch.")
@click.option("--time-scale", type=float, default=0.02, show_default=True)
def demo(count: int, time_scale: float) -> None:
    """Run the README's fleet demo on a built-in, time-compressed emulator.

    \b
    Example:
      lambda-cloud demo --count 8
    """
    raise click.exceptions.Exit(
        demo_module.main(["--count", str(count), "--time-scale", str(time_scale)])
    )
