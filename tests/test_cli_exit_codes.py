"""Exit statuses keep the contract: 0 done, 1 a check found problems, 2 rejected input, 78
configuration. Each case runs the real `voc` against a small portfolio."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import status
from bot.reports.rules import UnknownCycle, describe_unknown_cycle
from bot.runtime import Runtime
from tests.cli import TIMEOUT_SECONDS, clean_env, voc
from tests.portfolio import account_row, load, response_row

CLI_DIR = Path(__file__).parents[1] / "bot" / "cli"


@pytest.fixture
def halvorsen(runtime: Runtime) -> str:
    """Halvorsen Freight Group with answers in three cycles, one of them after a gap."""
    load(
        runtime,
        [account_row("Halvorsen Freight Group"), account_row("Globex", channel="C0GLOBEX1")],
        [
            response_row("Halvorsen Freight Group", "2025-Q2", "Ann Lee", 8, 9, 9),
            response_row("Halvorsen Freight Group", "2025-Q3", "Ann Lee", 7, 8, 8),
            response_row("Halvorsen Freight Group", "2026-Q3", "Ann Lee", 9, 10, 9),
        ],
    )
    runtime.engine.dispose()
    return str(runtime.engine.url)


def test_an_unknown_account_is_rejected_input(halvorsen: str, tmp_path: Path) -> None:
    ran = voc("account", "zzz", cwd=tmp_path, DATABASE_URL=halvorsen)
    assert (ran.code, ran.err_lines, ran.out) == (2, ['No account is called "zzz".'], "")


def test_output_read_by_a_reader_that_stops_is_no_traceback(halvorsen: str, tmp_path: Path) -> None:
    """`voc account … | head -1`: the reader has gone before the report is written."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "account", "halvorsen"],
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=halvorsen),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    child.stdout.close()  # long before the interpreter has started, let alone written
    _, err = child.communicate(timeout=TIMEOUT_SECONDS)
    assert (child.returncode, err.decode()) == (141, "")


def test_an_unknown_cycle_lists_the_cycles_the_account_has(halvorsen: str, tmp_path: Path) -> None:
    ran = voc("account", "halvorsen", "--cycle", "1999", cwd=tmp_path, DATABASE_URL=halvorsen)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err_lines == [
        'Halvorsen Freight Group has no cycle "1999"; it has 2025-Q2, 2025-Q3, 2026-Q3.'
    ]


def test_an_account_without_results_says_so_for_any_cycle(halvorsen: str, tmp_path: Path) -> None:
    ran = voc("account", "globex", "--cycle", "2026-Q3", cwd=tmp_path, DATABASE_URL=halvorsen)
    assert (ran.code, ran.err_lines) == (
        2,
        ['Globex has no cycle "2026-Q3"; it has no feedback results yet.'],
    )


def test_open_for_an_unknown_account_is_rejected_input(halvorsen: str, tmp_path: Path) -> None:
    ran = voc("open", "UNKNOWN", cwd=tmp_path, DATABASE_URL=halvorsen)
    assert (ran.code, ran.err_lines, ran.out) == (2, ['No account is called "UNKNOWN".'], "")


@pytest.mark.parametrize(
    ("now", "line"),
    [
        (
            "tomorrow",
            'voc tick: --now: "tomorrow" is not an ISO-8601 moment; '
            "write it as 2026-12-01T09:00:00Z",
        ),
        (
            "2026-12-01T09:00",
            'voc tick: --now: "2026-12-01T09:00" has no timezone; '
            "add Z or an offset, as in 2026-12-01T09:00:00+01:00",
        ),
    ],
)
def test_a_tick_at_no_moment_is_rejected_before_the_database(
    tmp_path: Path, now: str, line: str
) -> None:
    ran = voc("tick", "--now", now, cwd=tmp_path)
    assert (ran.code, ran.err_lines, ran.out) == (2, [line], "")
    assert not (tmp_path / "voc.db").exists()


def test_a_long_cycle_list_is_shortened_in_the_middle() -> None:
    labels = [f"2026-{month:02d}" for month in range(1, 11)]
    assert describe_unknown_cycle("ACME", UnknownCycle("2027-01", labels)) == (
        'ACME has no cycle "2027-01"; it has 2026-01, 2026-02, 2026-03, …, 2026-08, 2026-09, '
        "2026-10."
    )


def test_the_cli_exits_only_with_the_contract_statuses() -> None:
    """Every status comes from `bot.cli.status`, and that module holds only the contract's."""
    assert {status.OK, status.PROBLEMS, status.REJECTED, status.CONFIG} == {0, 1, 2, 78}
    assert status.INTERRUPTED == 130  # Ctrl+C, as shells report it
    literals = [
        f"{path.name}:{node.lineno}"
        for path in CLI_DIR.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Return)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, int)
        and not isinstance(node.value.value, bool)
    ]
    assert literals == []
