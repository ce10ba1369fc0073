"""``lambda-cloud ssh NAME_OR_ID [-- command...]``: wait for the machine, then run ``ssh``."""

from __future__ import annotations

import ipaddress
import os
import shlex
import socket
import time
from typing import TYPE_CHECKING

import click

import lambda_cloud

from .app import State, pass_state
from .instances import resolve

if TYPE_CHECKING:
    from lambda_cloud import Instance, LambdaCloud

__all__ = ["port_open", "ssh"]

PROBE_INTERVAL = 2.0  # seconds between two attempts to reach port 22


def port_open(host: str, port: int, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to ``host:port`` succeeds within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def find(client: LambdaCloud, name_or_id: str) -> Instance:
    """The one running instance with this id, or else this name."""
    return resolve(
        [i for i in client.instances.list() if i.status not in lambda_cloud.TERMINAL_STATUSES],
        name_or_id,
    )


def host(instance: Instance) -> str:
    """The instance's public IP, checked to be one: ``ssh`` reads anything else as options or
    a host alias, and a ``ProxyCommand`` in the user's ssh config hands ``%h`` to a shell."""
    if instance.ip is None:
        raise click.ClickException(f"instance {instance.id} has no public IP yet")
    try:
        return str(ipaddress.ip_address(instance.ip))
    except ValueError:
        raise click.ClickException(
            f"instance {instance.id} has no usable IP: the API gave {instance.ip!r}"
        ) from None


def _wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() >= deadline:
            raise click.ClickException(f"port {port} of {host} did not answer in {timeout:g} s")
        time.sleep(PROBE_INTERVAL)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("name_or_id")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option("--user", "-l", default="ubuntu", show_default=True, help="Remote user.")
@click.option("--identity", "-i", type=click.Path(dir_okay=False), help="Private key file.")
@click.option("--port", "-p", type=int, default=22, show_default=True, help="SSH port.")
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds to wait.")
@click.option("--no-wait", is_flag=True, help="Connect at once: do not wait for the machine.")
@click.option("--print", "print_", is_flag=True, help="Print the ssh command instead.")
@pass_state
def ssh(
    state: State,
    name_or_id: str,
    command: tuple[str, ...],
    user: str,
    identity: str | None,
    port: int,
    timeout: float,
    no_wait: bool,
    print_: bool,
) -> None:
    """Open an SSH session to an instance (by id or name) once it is up.

    Waits until the instance is active and its SSH port answers, then runs the system `ssh`
    as USER@IP; arguments after `--` are passed to it as the remote command.

    \b
    Example:
      lambda-cloud ssh trainer-0 -- nvidia-smi
      lambda-cloud ssh trainer-0 --print
    """
    client = state.client()
    instance = find(client, name_or_id)
    if not no_wait:
        instance = client.instances.wait_for([instance.id], timeout=timeout)[0]
    ip = host(instance)
    if not no_wait:
        _wait_for_port(ip, port, timeout)
    argv = [
        "ssh",
        *(["-i", identity] if identity else []),
        *(["-p", str(port)] if port != 22 else []),
    ]
    argv += [f"{user}@{ip}", *command]
    if print_:
        state.output.line(shlex.join(argv))
        return
    state.close()  # exec replaces this process: nothing after it runs
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        raise click.ClickException(f"cannot run ssh: {exc.strerror}") from None
