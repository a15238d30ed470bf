"""The benchmark suite keeps working: its quick run completes and writes its results (no time
is asserted)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).parents[1]


def test_quick_benchmark_run(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    cases = {entry["case"] for entry in results["cases"]}
    assert len(cases) == 8
    for entry in results["cases"]:
        assert entry["ratio_to_hand_fused"]["hand-fused NumPy"] == 1.0
        assert "derive-the-loss" in entry["seconds"]
    assert set(results["derivation"]["families"]) <= set(results["memory"])


def test_only_some_cases(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "poisson", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Poisson: log link" in run.stdout
    assert "Gaussian" not in run.stdout and "Deriving" not in run.stdout
    assert not out.exists()
