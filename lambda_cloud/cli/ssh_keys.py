"""``lambda-cloud ssh-keys ...``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

import lambda_cloud

from .app import State, pass_state
from .output import Column, Mode, to_data

if TYPE_CHECKING:
    from lambda_cloud import SSHKey

__all__ = ["ssh_keys"]

COLUMNS: list[Column[SSHKey]] = [
    ("ID", lambda k: k.id),
    ("NAME", lambda k: k.name),
    ("PUBLIC KEY", lambda k: k.public_key[:40] + ("..." if len(k.public_key) > 40 else "")),
]
#: The first line of a private key file (PEM, OpenSSH, PuTTY).
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|^PuTTY-User-Key-File-", re.M)
FIELDS: list[Column[SSHKey]] = [
    ("ID", lambda k: k.id),
    ("NAME", lambda k: k.name),
    ("PUBLIC KEY", lambda k: k.public_key),
]


@click.group("ssh-keys")
def ssh_keys() -> None:
    """List, add, generate and delete SSH keys.

    \b
    Example:
      lambda-cloud ssh-keys add me ~/.ssh/id_ed25519.pub
    """


@ssh_keys.command("list")
@pass_state
def list_(state: State) -> None:
    """List the SSH keys in your account.

    \b
    Example:
      lambda-cloud ssh-keys list
    """
    state.output.rows(state.client().ssh_keys.list(), COLUMNS)


@ssh_keys.command()
@click.argument("name")
@click.argument("public_key_file", type=click.File("r", encoding="utf-8"))
@pass_state
def add(state: State, name: str, public_key_file: TextIO) -> None:
    """Add a public key from a file ("-" reads stdin). A private key is refused, unsent.

    \b
    Example:
      lambda-cloud ssh-keys add me ~/.ssh/id_ed25519.pub
    """
    hint = "PUBLIC_KEY_FILE"
    try:
        public_key = public_key_file.read().strip()
    except UnicodeDecodeError:
        raise click.BadParameter(f"{public_key_file.name} is not text", param_hint=hint) from None
    if _PRIVATE_KEY.search(public_key):
        raise click.BadParameter(
            f"{public_key_file.name} holds a private key, which must stay on this machine: "
            "give its public half (the .pub file)",
            param_hint=hint,
        )
    state.output.record(state.client().ssh_keys.create(name, public_key), FIELDS)


@ssh_keys.command()
@click.argument("name")
@click.option(
    "--private-key-file",
    "-f",
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the private key (default: ./NAME.pem); never overwritten.",
)
@pass_state
def generate(state: State, name: str, private_key_file: str | None) -> None:
    """Have the API generate a key pair; the private key goes to a file (mode 0600).

    The private key is shown only once by the API and never printed here.

    \b
    Example:
      lambda-cloud ssh-keys generate laptop -f ~/.ssh/lambda.pem
    """
    path = Path(private_key_file or f"{name}.pem").expanduser()
    try:  # the file first: the API shows the private key only once
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise click.UsageError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as file:
        try:
            generated = state.client().ssh_keys.create(name)
        except BaseException:
            path.unlink()
            raise
        file.write(generated.private_key)
    state.output.message(f"Private key written to {path} (mode 0600).")
    public = lambda_cloud.SSHKey(
        id=generated.id, name=generated.name, public_key=generated.public_key
    )
    if state.output.mode is Mode.JSON:
        state.output.json({**to_data(public), "private_key_file": str(path)})
    else:
        state.output.record(public, FIELDS)


@ssh_keys.command()
@click.argument("key_id")
@pass_state
def delete(state: State, key_id: str) -> None:
    """Delete an SSH key by id.

    \b
    Example:
      lambda-cloud ssh-keys delete 0920582c7ff041399e34823a0be62549
    """
    state.client().ssh_keys.delete(key_id)
    state.output.message(f"Deleted SSH key {key_id}.")
