"""The CLI stands on the SDK's public API alone, and ``--help`` loads little of it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import lambda_cloud.cli

CLI = Path(lambda_cloud.cli.__file__).parent

#: The SDK's modules the CLI may import from: the package and its public subpackages (and the
#: emulator's entry point, which ``emulator serve`` runs).
PUBLIC = {
    "lambda_cloud",
    "lambda_cloud.bulk",
    "lambda_cloud.lifecycle",
    "lambda_cloud.fleets",
    "lambda_cloud.shared",
    "lambda_cloud.emulator",
    "lambda_cloud.emulator.__main__",
}

#: What ``import lambda_cloud.cli`` and ``lambda-cloud --help`` must not load: the emulator, the
#: demo, the client and its transport (aiohttp, tenacity), the sync facade, the resources, the
#: models (attrs), the converter (cattrs), the bulk engine and the commands' own modules
#: (``instances launch``'s, which loads the bulk engine's defaults), rich, and the standard
#: modules only some commands need (a dollar amount, a typo's suggestions, a profile file).
HEAVY = (
    "lambda_cloud.emulator",
    "lambda_cloud.demo",
    "lambda_cloud._client",
    "lambda_cloud._sync",
    "lambda_cloud.resources",
    "lambda_cloud._converter",
    "lambda_cloud.types.",
    "lambda_cloud.bulk",
    "lambda_cloud.lifecycle",
    "lambda_cloud.cli.runs",
    "aiohttp",
    "attr",
    "attrs",
    "cattrs",
    "tenacity",
    "rich",
    "decimal",
    "difflib",
    "tomllib",
)


def _private(name: str) -> bool:
    return any(part.startswith("_") and not part.endswith("__") for part in name.split("."))


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """Every import in the file, at any level: the absolute module and the names taken from it
    (none for ``import x``)."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "lambda_cloud.cli".rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            found.append((module, [alias.name for alias in node.names]))
    return found


def test_the_cli_imports_only_public_modules_of_the_sdk() -> None:
    bad = [
        f"{path.name}: {module} {names}"
        for path in sorted(CLI.glob("*.py"))
        for module, names in _imports(path)
        if any(map(_private, [module, *names]))
        or (
            (module.startswith("lambda_cloud.") and not module.startswith("lambda_cloud.cli"))
            and module not in PUBLIC
        )
    ]
    assert not bad


def _loaded(code: str) -> list[str]:
    """Which of ``HEAVY`` a fresh interpreter has loaded after running ``code``."""
    script = (
        f"import json, sys\n{code}\nheavy = {HEAVY!r}\n"
        "print(json.dumps([h for h in heavy if any(m == h or m.startswith(h.rstrip('.') + '.') "
        "for m in sys.modules)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert _loaded("import lambda_cloud.cli") == []


def test_help_loads_no_heavy_module() -> None:
    code = (
        "import contextlib, io\n"
        "from lambda_cloud.cli import main\n"
        "sys.argv = ['lambda-cloud', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main()"
    )
    assert _loaded(code) == []


def test_a_command_loads_its_own_module_alone() -> None:
    code = (
        "import contextlib, io\n"
        "from lambda_cloud.cli import main\n"
        "sys.argv = ['lambda-cloud', 'instances', 'wait', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main()\n"
        "print([m for m in sys.modules if m.startswith('lambda_cloud.cli.')])"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = set(ast.literal_eval(done.stdout.splitlines()[-1]))
    # The command's module and what it imports; no other command's, not `launch`'s.
    assert "lambda_cloud.cli.instances" in loaded
    assert not loaded & {"lambda_cloud.cli.tickets", "lambda_cloud.cli.runs"}, loaded
