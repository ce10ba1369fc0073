"""How results are shown: rich tables on a terminal, plain text otherwise, or JSON.

Plain output (the default when stdout is not a terminal) is tab-separated, one row per line
after a header row (backslashes, newlines and tabs in a cell escaped as in C), with
no colour and no animation; ``--output json`` prints stable JSON built
by :func:`to_data`, the one place models become dicts.

Text the server sent reaches a terminal only through :func:`clean`, which removes escape
sequences and control characters: a name or URL must not be able to drive the terminal
(OSC 52 writes the clipboard). JSON needs no such care: it escapes them.
"""

from __future__ import annotations

import enum
import errno
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import click

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Column", "Dictable", "Mode", "Output", "clean", "price", "to_data"]

T = TypeVar("T")

M = TypeVar("M", bound="Dictable")

#: A table column: its header and how to get a cell's value from a row.
Column = tuple[str, Callable[[T], object]]


class Mode(str, enum.Enum):
    """An output format."""

    TABLE = "table"
    PLAIN = "plain"
    JSON = "json"


@runtime_checkable
class Dictable(Protocol):
    """A model: anything with the SDK models' ``to_dict()``."""

    def to_dict(self) -> dict[str, Any]:
        """The model as the API writes it in JSON."""


def to_data(obj: Dictable | Iterable[Dictable]) -> Any:
    """JSON-ready data for a model (or models), exactly as the API spells it."""
    if isinstance(obj, Dictable):
        return obj.to_dict()
    return [item.to_dict() for item in obj]


#: An escape sequence, whole: CSI (ESC [ or 8-bit CSI, parameters, final byte); a string
#: (OSC, DCS, SOS, PM, APC, 7- or 8-bit) up to its BEL or ST, or the end; or a short escape.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
#: What is left: C0 controls, DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` (from the server) safe to show on a terminal: escape sequences and control
    characters (C0, DEL, C1; newlines and tabs too) removed."""
    return _CONTROL.sub("", _ESCAPE.sub("", text))


def _console(*, stderr: bool) -> Console:
    """A rich console (rich is loaded here, on first use) that leaves a closed pipe to the root
    command, which ends quietly with 0 (rich's own way exits with 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return _Console(stderr=stderr, highlight=False)


class Output:
    """Writes a command's results in the chosen mode."""

    def __init__(self, mode: Mode | None) -> None:
        terminal = sys.stdout.isatty()
        self.mode = mode or (Mode.TABLE if terminal else Mode.PLAIN)

    @functools.cached_property
    def console(self) -> Console:
        """stdout, for tables."""
        return _console(stderr=False)

    @functools.cached_property
    def err(self) -> Console:
        """stderr: progress and notes go there, so stdout stays pure data (animated only on a
        tty)."""
        return _console(stderr=True)

    @property
    def live(self) -> bool:
        """Whether progress may be animated (a table on a terminal)."""
        return self.mode is Mode.TABLE and self.err.is_terminal

    def json(self, data: Any) -> None:
        """Print ``data`` as indented JSON."""
        click.echo(json.dumps(data, indent=2, default=str))

    def line(self, text: str) -> None:
        """One value on its own line of stdout (a URL, a command), cleaned."""
        click.echo(clean(text))

    def rows(
        self, items: Sequence[M], columns: Sequence[Column[M]], *, title: str | None = None
    ) -> None:
        """A list of items: a table, tab-separated lines, or a JSON array of ``to_data``."""
        if self.mode is Mode.JSON:
            self.json(to_data(items))
        else:
            self.table(
                [h for h, _ in columns], ([get(i) for _, get in columns] for i in items), title
            )

    def record(self, item: Dictable, columns: Sequence[Column[Any]]) -> None:
        """One item: a two-column table of its fields, or its ``to_data`` JSON."""
        if self.mode is Mode.JSON:
            self.json(to_data(item))
        else:
            self.table(["FIELD", "VALUE"], ([h, get(item)] for h, get in columns), None)

    def nested(
        self,
        item: Dictable,
        children: Sequence[M],
        columns: Sequence[Column[M]],
        *,
        title: str,
    ) -> None:
        """An item shown as a table of its parts (a ruleset's rules), or its ``to_data`` JSON."""
        if self.mode is Mode.JSON:
            self.json(to_data(item))
        else:
            self.rows(children, columns, title=title)

    def table(
        self, headers: Sequence[str], rows: Iterable[Sequence[object]], title: str | None
    ) -> None:
        """Rows under headers, as the mode shows them (JSON callers use ``json``)."""
        if self.mode is Mode.TABLE:
            from rich.table import Table
            from rich.text import Text

            table = Table(title=title and clean(title), title_justify="left")
            for header in headers:
                # Ids and IPs are copied whole, so they never wrap: the other columns give way
                # (and fold a long word rather than cut it).
                table.add_column(header, overflow="fold", no_wrap=_unbroken(header))
            for row in rows:
                table.add_row(*(Text(clean(_cell(value))) for value in row))
            self.console.print(table)
        else:
            click.echo("\t".join(headers))
            for row in rows:
                click.echo("\t".join(clean(_plain(_cell(value))) for value in row))

    def message(self, text: str) -> None:
        """A line for the human reading along, on stderr (never in JSON output's way), cleaned:
        it may quote the server."""
        if self.mode is Mode.TABLE:
            self.err.print(clean(text), markup=False)
        else:
            click.echo(clean(text), err=True)


def _unbroken(header: str) -> bool:
    """Whether a column holds ids or IP addresses (``ID``, ``PRIVATE IP``, ...)."""
    return header.rsplit(" ", 1)[-1] in ("ID", "IP")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    return str(value)


def _plain(text: str) -> str:
    """A cell that cannot break the one-row-per-line, tab-separated layout."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def price(cents_per_hour: int | float) -> str:
    """US cents per hour as ``$1.29/h``."""
    return f"${cents_per_hour / 100:.2f}/h"
