"""The emulator is an independent oracle: it must not reuse the client's code."""

from __future__ import annotations

import ast
from pathlib import Path

import lambda_cloud.emulator

PACKAGE = Path(lambda_cloud.emulator.__file__).parent


def _imports(path: Path) -> list[tuple[str, ast.AST]]:
    found: list[tuple[str, ast.AST]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            found.append((module, node))
    return found


def test_only_the_rate_limit_classes_come_from_the_client() -> None:
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for module, node in _imports(path):
            if module.startswith(".."):
                offenders.append(f"{path.name}: {module}")
            elif module.startswith("lambda_cloud") and not module.startswith(
                "lambda_cloud.emulator"
            ):
                allowed = path.name == "server.py" and module == "lambda_cloud._ratelimit"
                if not allowed:
                    offenders.append(f"{path.name}:{getattr(node, 'lineno', '?')}: {module}")
    assert offenders == []
