"""The house rules of docs/architecture.md, checked on the source so they stay true.

Each rule is something a reviewer would otherwise have to remember: which way imports flow,
where SQL may be written, that listeners do not open transactions, and that no module grows past
what one person can hold in their head without saying why.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")
MAX_LINES = 600
LONG_MODULE_REASON = "600 lines"  # a long module says in its docstring why it stays past 600 lines


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _top_level_imports(name: str, path: Path) -> set[str]:
    """Modules imported when `name` is imported (not inside functions, not for type checking)."""
    found: set[str] = set()
    for node in _tree(path).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node) if isinstance(node, ast.If | ast.Try) else [node]:
            found |= _imported_by(name, inner)
    return found


def _all_imports(name: str, path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        found |= _imported_by(name, node)
    return found


def _imported_by(name: str, node: ast.AST) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = name.split(".")[: -node.level] if node.level else []
            base = ".".join([*package, base] if base else package)
        return {base} | {f"{base}.{alias.name}" for alias in node.names}
    return set()


def _internal(imported: set[str], known: set[str]) -> set[str]:
    return {module for module in imported if module in known}


def _graph() -> dict[str, set[str]]:
    modules = dict(_modules())
    known = set(modules)
    return {
        name: _internal(_top_level_imports(name, path), known) - {name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_cycles() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("name,path", list(_modules()), ids=lambda value: str(value))
def test_layers_import_only_downwards(name: str, path: Path) -> None:
    imported = _all_imports(name, path)
    if name.startswith("storage"):
        upward = {m for m in imported if m.split(".")[0] in ("bot", "handlers")}
        assert {m for m in upward if not m.startswith("bot.core")} == set()
    if name.startswith("bot.core"):
        assert {m for m in imported if m.split(".")[0] in ("storage", "handlers")} == set()
        assert {
            m for m in imported if m.startswith("bot.") and not m.startswith("bot.core")
        } == set()
    if name.startswith("bot") and name not in WIRING:
        assert {m for m in imported if m.split(".")[0] in ("slack_bolt", "handlers")} == set()


WIRING = {"bot.app", "bot.web", "bot.cli.slack"}


@pytest.mark.parametrize(
    "name,path", [m for m in _modules() if m[0].startswith("handlers")], ids=lambda v: str(v)
)
def test_listeners_open_no_transactions(name: str, path: Path) -> None:
    """A listener translates; the service it calls owns the transaction."""
    source = path.read_text(encoding="utf-8")
    assert "transaction(" not in source
    assert "sessions()" not in source
    assert "storage.models" not in _top_level_imports(name, path)  # type hints may name models


@pytest.mark.parametrize("name,path", list(_modules()), ids=lambda value: str(value))
def test_modules_stay_small_or_say_why(name: str, path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    docstring = ast.get_docstring(_tree(path)) or ""
    assert lines <= MAX_LINES or LONG_MODULE_REASON in docstring, f"{name}: {lines} lines"


SQL_ROOMS = {"bot.delivery.ledger", "bot.intake.writing", "bot.intake.people"}
STATEMENTS = {"select", "update", "insert", "delete"}
SESSION_CALLS = {"execute", "scalars", "scalar", "get", "get_one", "add", "add_all"}


def _runs_sql(path: Path) -> list[str]:
    """What in a module talks to the database directly: statements built or run on a session."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"imports {a.name}" for a in node.names if a.name in STATEMENTS]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "session"
            and node.func.attr in SESSION_CALLS
        ):
            found.append(f"line {node.lineno}: session.{node.func.attr}")
    return found


@pytest.mark.parametrize("name,path", list(_modules()), ids=lambda value: str(value))
def test_sql_lives_in_query_rooms(name: str, path: Path) -> None:
    """Each room's SQL in its `queries` module, so one concept is one query, not three."""
    if name.startswith("storage") or name.endswith(".queries") or name in SQL_ROOMS:
        return
    assert _runs_sql(path) == []


# --- start-up: a command loads what it uses, so `voc --help` answers at once ----------------

_LOADED = """
import atexit, sys
from bot.cli import main
atexit.register(lambda: print(*sorted(sys.modules), file=sys.__stderr__))
sys.exit(main(sys.argv[1:]))
"""


def _packages_loaded(tmp_path: Path, *argv: str) -> set[str]:
    """The modules a `voc ARGV…` process had imported when it ended, and their top-level
    packages (`sqlalchemy.dialects.postgresql` and `sqlalchemy`)."""
    import subprocess
    import sys

    from tests.cli import TIMEOUT_SECONDS, clean_env

    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *argv],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    modules = set(done.stderr.splitlines()[-1].split())
    return modules | {module.split(".")[0] for module in modules}


HEAVY = {"sqlalchemy", "alembic", "mako", "pygments", "pandas", "numpy", "matplotlib", "slack_sdk"}


AT_HEAD = ("db", "upgrade")  # at head: no later command needs Alembic


@pytest.mark.parametrize(
    ("prepare", "argv", "unused"),
    [
        (AT_HEAD, ("--help",), HEAVY),
        # The report reads figures computed at import, in SQLite here: no pandas, no Slack
        # client without a token, no PostgreSQL dialect, no bulk-writing helpers' dialects.
        (
            ("demo",),
            ("account", "Halvorsen Freight Group"),
            {
                "alembic",
                "mako",
                "matplotlib",
                "vaderSentiment",
                "yaml",
                "pandas",
                "slack_sdk",
                "sqlalchemy.dialects.postgresql",
            },
        ),
        (AT_HEAD, ("tick", "--dry-run"), {"alembic", "mako", "matplotlib"}),
    ],
)
def test_a_command_loads_only_what_it_uses(
    tmp_path: Path, prepare: tuple[str, ...], argv: tuple[str, ...], unused: set[str]
) -> None:
    _packages_loaded(tmp_path, *prepare)
    loaded = _packages_loaded(tmp_path, *argv)
    assert "bot" in loaded  # the command ran and reported
    assert loaded & unused == set()
