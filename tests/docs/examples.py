"""Find the code examples in README.md and docs/: every fenced block, with its markers.

A marker is an HTML comment on the last non-blank line before a fence, invisible on the page:

- ``<!-- example: fragment -->``: a deliberate fragment (``...`` placeholders, a signature, a
  piece of a larger program); it is not run.
- ``<!-- example: pytest -->``: a test module; it is run by pytest, with no configuration
  (so under pytest-asyncio's default strict mode), and must pass without a skip.
- ``<!-- example: stderr -->``: the example writes to stderr on purpose (log lines).
- ``<!-- example: files=a.txt,b.bin -->``: files the example reads, created (small, made-up)
  in its working directory first, as a reader would have their own.
- ``<!-- example: replay -->``: a terminal transcript (``$ lambda-cloud ...`` lines, each
  followed by its output) that ``test_cli_examples.py`` replays against a seeded emulator.

Several markers can share one comment, separated by ``;``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
MARKER = re.compile(r"^<!--\s*example:\s*(?P<body>.*?)\s*-->$")
MARKER_WORDS = ("fragment", "pytest", "stderr", "files", "replay")


@dataclass(frozen=True)
class Example:
    """One fenced code block."""

    path: str  # relative to the repository root
    line: int  # 1-based line of the opening fence
    lang: str
    source: str
    markers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.lang == "python" and "fragment" not in self.markers

    @property
    def files(self) -> list[str]:
        return [name for name in self.markers.get("files", "").split(",") if name]


def markdown_files() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def parse_marker(comment: str) -> dict[str, str]:
    """``fragment; files=a,b`` -> ``{"fragment": "", "files": "a,b"}``."""
    match = MARKER.match(comment.strip())
    if match is None:
        return {}
    markers: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in match["body"].split(";"))):
        name, _, value = part.partition("=")
        markers[name.strip()] = value.strip()
    return markers


def examples_in(path: Path) -> list[Example]:
    """The fenced blocks of one Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    previous = ""  # last non-blank line outside a fence
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            if lines[i].strip():
                previous = lines[i]
            i += 1
            continue
        fence, start = opening["fence"], i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        info = opening["info"].strip().split()
        found.append(
            Example(
                path=path.relative_to(ROOT).as_posix(),
                line=start + 1,
                lang=info[0] if info else "",
                source="\n".join(body) + "\n",
                markers=parse_marker(previous),
            )
        )
        previous = ""
        i += 1
    return found


def all_examples() -> list[Example]:
    return [example for path in markdown_files() for example in examples_in(path)]


def stray_markers(path: Path) -> list[int]:
    """Lines of marker comments that are not directly followed by a fence (they mark nothing)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    stray = []
    for number, text in enumerate(lines):
        if not MARKER.match(text.strip()):
            continue
        following = next((t for t in lines[number + 1 :] if t.strip()), "")
        if not FENCE.match(following):
            stray.append(number + 1)
    return stray
