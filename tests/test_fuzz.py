"""The coverage-guided fuzz targets (fuzz/fuzz_ingest.py, fuzz/fuzz_spans.py) run for a bounded time
through scripts/fuzz.sh, as CI runs them: any crash, assertion failure or hang fails the test.

Skipped when atheris is not installed, unless CAACWATCH_REQUIRE_FUZZ=1 (CI sets it). The budget per
target is CAACWATCH_FUZZ_SECONDS (default 10).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _require_atheris() -> None:
    if importlib.util.find_spec("atheris") is not None:
        return
    if os.environ.get("CAACWATCH_REQUIRE_FUZZ") == "1":
        pytest.fail("atheris is not installed but CAACWATCH_REQUIRE_FUZZ=1: pip install atheris==2.3.0")
    pytest.skip("atheris is not installed (pip install atheris==2.3.0); CI requires it with CAACWATCH_REQUIRE_FUZZ=1")


def test_fuzz_targets_find_nothing_in_a_short_run(tmp_path: Path) -> None:
    _require_atheris()
    seconds = int(os.environ.get("CAACWATCH_FUZZ_SECONDS", "10"))
    artifacts = tmp_path / "artifacts"
    env = {**os.environ, "PYTHON": sys.executable, "FUZZ_ARTIFACTS": str(artifacts)}
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "fuzz.sh"), str(seconds)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=2 * seconds + 240,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    found = sorted(p.name for p in artifacts.iterdir() if p.name.split("-")[1:2] in (["crash"], ["timeout"], ["oom"]))
    assert not found, found
    for target in ("ingest", "spans"):
        log = (artifacts / f"{target}.log").read_text(errors="replace")
        assert "stat::number_of_executed_units" in log, log[-2000:]
