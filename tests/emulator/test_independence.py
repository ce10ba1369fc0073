"""The emulator shares no code with the client: a fresh interpreter importing it loads no client
module, and its ``rate_limits`` are plain numbers the client accepts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import lambda_cloud.emulator
from lambda_cloud import AsyncLambdaCloud, RateLimit, RateLimits, ValidationError
from lambda_cloud.emulator import Emulator

PACKAGE = Path(lambda_cloud.emulator.__file__).parent

CLIENT_SIDE = (
    "lambda_cloud._",
    "lambda_cloud.resources",
    "lambda_cloud.types",
    "lambda_cloud.bulk",
)


def _imports(path: Path) -> list[tuple[str, ast.AST]]:
    found: list[tuple[str, ast.AST]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            found.append((module, node))
    return found


def test_no_emulator_module_imports_the_client() -> None:
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for module, node in _imports(path):
            outside = module.startswith("lambda_cloud") and not module.startswith(
                "lambda_cloud.emulator"
            )
            if module.startswith("..") or outside:
                offenders.append(f"{path.name}:{getattr(node, 'lineno', '?')}: {module}")
    assert offenders == []


def test_importing_the_emulator_loads_nothing_from_the_client() -> None:
    # lambda_cloud/__init__ imports the client; the emulator is imported by path under a
    # stub parent package, as a separate distribution of it would be.
    script = """
import importlib.util, pathlib, sys, types
root = pathlib.Path(sys.argv[1])
package = types.ModuleType("lambda_cloud")
package.__path__ = [str(root)]
sys.modules["lambda_cloud"] = package
import lambda_cloud.emulator.server
lambda_cloud.emulator.server.Emulator().rate_limits  # once imported lazily from the client
print("\\n".join(sorted(sys.modules)))
"""
    root = sys.modules["lambda_cloud"].__path__[0]
    loaded = subprocess.run(
        [sys.executable, "-c", script, root], check=True, capture_output=True, text=True
    ).stdout.split()
    assert "lambda_cloud.emulator.server" in loaded
    assert [m for m in loaded if m.startswith(CLIENT_SIDE)] == []


async def test_emulator_rate_limits_are_plain_numbers_the_client_takes() -> None:
    emu = Emulator(time_scale=0.5)
    assert emu.rate_limits == {
        "general": {"rate": 2.0, "burst": 5},
        "launch": {"rate": pytest.approx(1 / 6), "burst": 5},
    }
    client = AsyncLambdaCloud(
        api_key="k", base_url="https://x.invalid/api/v1", rate_limits=emu.rate_limits
    )
    assert client.rate_limits == RateLimits().scaled(0.5)
    copy = client.with_options(rate_limits={"general": {"rate": 3.0}})
    assert copy.rate_limits == RateLimits(general=RateLimit(rate=3.0, burst=1))
    await client.aclose()


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"bogus": {"rate": 1.0}}, "rate_limits"),
        ("fast", "rate_limits"),
        ({"general": {"rate": 0}}, "rate_limits.general.rate"),
        ({"general": {"rate": "fast"}}, "rate_limits.general.rate"),
        ({"general": {"rate": float("nan")}}, "rate_limits.general.rate"),
        ({"general": {}}, "rate_limits.general"),
        ({"general": 5}, "rate_limits.general"),
        ({"launch": {"rate": 1.0, "burst": 2.5}}, "rate_limits.launch.burst"),
        ({"launch": {"rate": 1.0, "bursts": 2}}, "rate_limits.launch"),
    ],
)
def test_bad_rate_limits_are_refused(value: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        RateLimits.coerce(value)  # type: ignore[arg-type]
    assert info.value.field == field
