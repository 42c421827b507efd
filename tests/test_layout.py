"""The layout is the architecture: nothing outside dashboard/ loads streamlit or plotly, and the
command line starts without them (checked in a fresh interpreter, as harlequin does)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_PACKAGES = ("postlaunch", "scopetext", "ingest", "metrics", "report", "actions", "samplegen", "cli")


def core_modules() -> list[str]:
    names = []
    for package in CORE_PACKAGES:
        names.append(package)
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("module", core_modules())
def test_core_module_does_not_load_ui_libraries(module: str) -> None:
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "bad = sorted(m for m in ('streamlit', 'plotly') if m in sys.modules); "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, f"{module} loads {result.stdout.strip() or result.stderr[-500:]}"


def test_cli_help_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    for command in ("ingest", "review", "check", "decide", "verify", "sample", "demo", "dashboard"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["review"], "--deployment"),
    ],
)
def test_wrong_arguments_exit_2_with_a_message(argv: list[str], fragment: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", *argv], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    # `postlaunch sample ... | head -1` where the reader is already gone: no "unexpected error", no traceback
    code = (
        "import os, sys; r, w = os.pipe(); os.close(r); os.dup2(w, 1); "
        "from cli.main import main; "
        f"sys.exit(main(['sample', '--out', {str(tmp_path / 's')!r}, '--weeks', '6', '--scale', '0.05']))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    assert "Exception ignored" not in result.stderr
