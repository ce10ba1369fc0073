"""Where the CLI finds its API key and base URL: flags, then environment, then a profile.

The profile file is TOML, one table per profile::

    [default]
    api_key = "secret_..."          # or: api_key_file = "~/.lambda/key"
    base_url = "https://cloud.lambda.ai/api/v1"
    shared_state = "redis://cache.internal:6379/0"   # optional: see docs/many-processes.md

It holds a secret, so it is written with mode 0600 and read with a warning if others can read it.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
import unicodedata
from pathlib import Path
from typing import Any

import click

__all__ = [
    "ConfigFileHelp",
    "Settings",
    "config_path",
    "resolve",
    "show_config_path",
    "write_profile",
]

DEFAULT_PROFILE = "default"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """What a client is built from. ``api_key`` is kept out of the repr; ``key_source`` says
    where it came from, for a message when the API refuses it."""

    api_key: str | None = dataclasses.field(repr=False)
    base_url: str | None
    key_source: str | None = None
    #: The shared store's URL (it may carry a password).
    shared_state: str | None = dataclasses.field(default=None, repr=False)


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/lambda-cloud/config.toml`` (``~/.config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "lambda-cloud" / "config.toml"


def show_config_path(formatter: click.HelpFormatter) -> None:
    """End a command's help with the profile file as it is now (``$XDG_CONFIG_HOME`` is read
    when the help is shown), on a line of its own: a path is copied whole, never wrapped."""
    formatter.write_paragraph()
    formatter.write(f"Profiles: {config_path()}\n")


class ConfigFileHelp(click.Command):
    """A command whose help ends with the profile file's path."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        show_config_path(formatter)


def resolve(
    *,
    api_key: str | None,
    api_key_file: str | None,
    base_url: str | None,
    profile: str | None,
    shared_state: str | None = None,
) -> Settings:
    """The settings from the flags given, then ``LAMBDA_API_KEY`` / ``LAMBDA_BASE_URL`` /
    ``LAMBDA_CLOUD_SHARED_STATE``, then the profile (``--profile``, ``$LAMBDA_PROFILE``, or
    ``default``)."""
    # Read as the client is about to be built, which loads attrs anyway: `--help` loads neither.
    from lambda_cloud.shared import SHARED_STATE_ENV

    name = profile or os.environ.get("LAMBDA_PROFILE")
    section = _profile(name)
    in_profile = f"profile {name or DEFAULT_PROFILE!r} in {config_path()}"
    source = "--api-key"
    if api_key is None and api_key_file is not None:
        api_key, source = _read_key(api_key_file), f"--api-key-file {api_key_file}"
    if api_key is None:
        api_key, source = os.environ.get("LAMBDA_API_KEY"), "$LAMBDA_API_KEY"
    if api_key is None and "api_key_file" in section:
        path = str(section["api_key_file"])
        api_key, source = _read_key(path), f"api_key_file {path} of {in_profile}"
    if api_key is None and "api_key" in section:
        api_key, source = str(section["api_key"]), in_profile
    base_url = base_url or os.environ.get("LAMBDA_BASE_URL") or section.get("base_url")
    shared_state = (
        shared_state or os.environ.get(SHARED_STATE_ENV) or section.get("shared_state") or None
    )
    return Settings(
        api_key=api_key,
        base_url=base_url,
        shared_state=shared_state,
        key_source=source if api_key else None,
    )


def _read_key(path: str) -> str:
    try:
        key = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise click.UsageError(f"cannot read the API key file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise click.UsageError(f"the API key file {path} is not text") from None
    if not key:
        raise click.UsageError(f"the API key file {path} is empty")
    return key


def _profile(name: str | None) -> dict[str, Any]:
    """The profile's table; ``{}`` when there is no file and no profile was asked for."""
    path = config_path()
    if not path.exists():
        if name is not None and name != DEFAULT_PROFILE:
            raise click.UsageError(f"profile {name!r} not found: {path} does not exist")
        return {}
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        click.echo(f"Warning: {path} is readable by others; run: chmod 600 {path}", err=True)
    section = _read_toml(path).get(name or DEFAULT_PROFILE)
    if section is None:
        if name is not None:
            raise click.UsageError(f"profile {name!r} not found in {path}")
        return {}
    if not isinstance(section, dict):
        raise click.UsageError(f"profile {name!r} in {path} is not a table")
    return section


def _read_toml(path: Path) -> dict[str, Any]:
    """The profile file's tables. tomllib loads here, not with the module: most runs read no
    file (the key comes from the environment), and the command line starts faster without it."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as file:
            data: dict[str, Any] = tomllib.load(file)
            return data
    except tomllib.TOMLDecodeError as exc:
        raise click.UsageError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:  # tomllib decodes UTF-8 and lets a binary file's error through
        raise click.UsageError(f"{path} is not text") from None


def write_profile(name: str, *, api_key: str, base_url: str | None) -> Path:
    """Add or replace profile ``name`` in the config file, created with mode 0600. A control
    character in any value (a pasted newline, say) is refused, and the file left as it was."""
    path = config_path()
    data = _read_toml(path) if path.exists() else {}
    data[name] = {"api_key": api_key, **({"base_url": base_url} if base_url else {})}
    text = _dump(data)  # before the file is truncated: a refused value must not empty it
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
    with os.fdopen(fd, "w") as file:
        file.write(text)
    return path


def _dump(data: dict[str, Any]) -> str:
    """TOML for tables of strings (all a profile holds); the stdlib only reads TOML."""
    lines: list[str] = []
    for name, section in data.items():
        lines.append(f"[{_quote(name, 'the profile name')}]")
        lines += [
            f"{key} = {_quote(str(value), f'{key} of profile {name!r}')}"
            for key, value in section.items()
        ]
        lines.append("")
    return "\n".join(lines)


def _quote(text: str, what: str) -> str:
    # Unescaped, a control character is invalid TOML (a newline ends the string), and then no
    # profile of the file can be read. The text is not shown: it may be the API key.
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise click.UsageError(f"{what} contains a control character (a newline?)")
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
