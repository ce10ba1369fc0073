"""How results are shown: rich tables on a terminal, plain text otherwise, or JSON.

Plain output (the default when stdout is not a terminal) is tab-separated, one row per line
after a header row (backslashes, newlines and tabs in a cell escaped as in C), with
no colour and no animation; ``--output json`` prints stable JSON built
by :func:`to_data`, the one place models become dicts.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["Column", "Dictable", "Mode", "Output", "price", "to_data"]

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


class Output:
    """Writes a command's results in the chosen mode."""

    def __init__(self, mode: Mode | None) -> None:
        terminal = sys.stdout.isatty()
        self.mode = mode or (Mode.TABLE if terminal else Mode.PLAIN)
        self.console = Console(highlight=False)
        # Progress and notes go to stderr, so stdout stays pure data; animated only on a tty.
        self.err = Console(stderr=True, highlight=False)

    @property
    def live(self) -> bool:
        """Whether progress may be animated (a table on a terminal)."""
        return self.mode is Mode.TABLE and self.err.is_terminal

    def json(self, data: Any) -> None:
        """Print ``data`` as indented JSON."""
        click.echo(json.dumps(data, indent=2, default=str))

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
            table = Table(title=title, title_justify="left")
            for header in headers:
                table.add_column(header, overflow="fold")  # wrap ids rather than cut them
            for row in rows:
                table.add_row(*(Text(_cell(value)) for value in row))
            self.console.print(table)
        else:
            click.echo("\t".join(headers))
            for row in rows:
                click.echo("\t".join(_plain(_cell(value)) for value in row))

    def message(self, text: str) -> None:
        """A line for the human reading along, on stderr (never in JSON output's way)."""
        if self.mode is Mode.TABLE:
            self.err.print(text, markup=False)
        else:
            click.echo(text, err=True)


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
