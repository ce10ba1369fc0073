"""Turn ``benchmarks/results/*.json`` into the table (and chart) in docs/performance.md.

The table goes between the marker comments, so a rerun replaces it and the page's prose stays.
The chart needs matplotlib (``pip install -e '.[bench]'``); without it the table is written
alone and the page says so.

    python -m benchmarks.report
"""

from __future__ import annotations

import pathlib
import sys
from typing import Any

import orjson

from ._results import RESULTS

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "performance.md"
CHART = ROOT / "docs" / "assets" / "benchmarks.png"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def load() -> list[dict[str, Any]]:
    """Every benchmark's results, by file name."""
    return [orjson.loads(path.read_bytes()) for path in sorted(RESULTS.glob("*.json"))]


def table(results: list[dict[str, Any]]) -> str:
    """One row per figure, with the load the machine had when its benchmark ended."""
    rows = [
        "| benchmark | scenario | ratio | target | met | measured | load (1/5/15 min) |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        load = "/".join(f"{x:.2f}" for x in result["machine"]["load_average"])
        for f in result["figures"]:
            met = {True: "yes", False: "**MISSED**", None: "-"}[f["met"]]
            target = f["target"] or "-"
            value = "**not measured**" if f["value"] is None else f"{f['value']:.3f}"
            rows.append(
                f"| `{result['bench']}` | {f['scenario']} | {value} | {target} "
                f"| {met} | {f['measure']}: {f['detail']} | {load} |"
            )
    return "\n".join(rows)


def machine_line(results: list[dict[str, Any]]) -> str:
    machine = results[0]["machine"]
    dates = sorted(r["machine"]["date"] for r in results)
    return (
        f"Measured {dates[0]} to {dates[-1]} (UTC) on {machine['platform']}, "
        f"{machine['cpus']} CPUs, Python {machine['python']}."
    )


def chart(results: list[dict[str, Any]]) -> bool:
    """Each ratio as a bar beside its target; False when matplotlib is not installed."""
    try:
        import matplotlib  # an optional extra: only this report needs it

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figures = [f for r in results for f in r["figures"]]
    colors = {True: "#4c9f70", False: "#d1495b", None: "#8c8c8c"}
    targeted = [(y, float(f["target"].split()[1])) for y, f in enumerate(figures) if f["target"]]
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(figures) + 1.4))
    ys = range(len(figures))
    values = [f["value"] or 0.0 for f in figures]  # a figure not measured (None) has no bar
    ax.barh(ys, values, color=[colors[f["met"]] for f in figures])
    ax.scatter(
        [bound for _, bound in targeted],
        [y for y, _ in targeted],
        marker="|",
        s=300,
        color="black",
        label="target",
    )
    ax.set_yticks(list(ys), [f"{f['measure']}\n{f['scenario']}" for f in figures], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("ratio (green: target met, red: missed, grey: no target)")
    fig.legend(loc="upper right")
    fig.tight_layout()
    CHART.parent.mkdir(exist_ok=True)
    fig.savefig(CHART, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return True


def render(results: list[dict[str, Any]], charted: bool) -> str:
    picture = (
        f"![Benchmark ratios against their targets]({CHART.relative_to(PAGE.parent).as_posix()})"
        if charted
        else "No chart: matplotlib is not installed (`pip install -e '.[bench]'`)."
    )
    return "\n\n".join([BEGIN, machine_line(results), table(results), picture, END])


def main() -> int:
    results = load()
    if not results:
        print("no results in benchmarks/results/: run make bench", file=sys.stderr)
        return 1
    page = PAGE.read_text()
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < 0:
        print(f"{PAGE} has no {BEGIN} ... {END} markers", file=sys.stderr)
        return 1
    block = render(results, chart(results))
    PAGE.write_text(page[:start] + block + page[end + len(END) :])
    print(f"wrote the table into {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
