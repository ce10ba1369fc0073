"""Where the CLI finds its API key and base URL: flags, then environment, then a profile.

The profile file is TOML, one table per profile::

    [default]
    api_key = "secret_..."          # or: api_key_file = "~/.lambda/key"
    base_url = "https://cloud.lambda.ai/api/v1"

It holds a secret, so it is written with mode 0600 and read with a warning if others can read it.
"""

from __future__ import annotations

import os
import stat
import sys
import unicodedata
from pathlib import Path
from typing import Any

import attrs
import click

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["Settings", "config_path", "resolve", "write_profile"]

DEFAULT_PROFILE = "default"


@attrs.frozen(kw_only=True)
class Settings:
    """What a client is built from. ``api_key`` is kept out of the repr."""

    api_key: str | None = attrs.field(repr=False)
    base_url: str | None


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/lambda-cloud/config.toml`` (``~/.config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "lambda-cloud" / "config.toml"


def resolve(
    *,
    api_key: str | None,
    api_key_file: str | None,
    base_url: str | None,
    profile: str | None,
) -> Settings:
    """The settings from the flags given, then ``LAMBDA_API_KEY`` / ``LAMBDA_BASE_URL``, then
    the profile (``--profile``, ``$LAMBDA_PROFILE``, or ``default``)."""
    section = _profile(profile or os.environ.get("LAMBDA_PROFILE"))
    if api_key is None and api_key_file is not None:
        api_key = _read_key(api_key_file)
    if api_key is None:
        api_key = os.environ.get("LAMBDA_API_KEY")
    if api_key is None and "api_key_file" in section:
        api_key = _read_key(str(section["api_key_file"]))
    if api_key is None and "api_key" in section:
        api_key = str(section["api_key"])
    base_url = base_url or os.environ.get("LAMBDA_BASE_URL") or section.get("base_url")
    return Settings(api_key=api_key, base_url=base_url)


def _read_key(path: str) -> str:
    try:
        key = Path(path).expanduser().read_text().strip()
    except OSError as exc:
        raise click.UsageError(f"cannot read the API key file {path}: {exc.strerror}") from None
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
    try:
        with path.open("rb") as file:
            data: dict[str, Any] = tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise click.UsageError(f"{path} is not valid TOML: {exc}") from None
    section = data.get(name or DEFAULT_PROFILE)
    if section is None:
        if name is not None:
            raise click.UsageError(f"profile {name!r} not found in {path}")
        return {}
    if not isinstance(section, dict):
        raise click.UsageError(f"profile {name!r} in {path} is not a table")
    return section


def write_profile(name: str, *, api_key: str, base_url: str | None) -> Path:
    """Add or replace profile ``name`` in the config file, created with mode 0600. A control
    character in any value (a pasted newline, say) is refused, and the file left as it was."""
    path = config_path()
    data: dict[str, Any] = {}
    if path.exists():
        with path.open("rb") as file:
            data = tomllib.load(file)
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
