"""The public accuracy audit: it passes a sound model, names what fails in an unsound form,
and prints its table; ``derive-loss MODEL --audit`` prints it and says by its exit status."""

from __future__ import annotations

import subprocess
import sys

import sympy

import likelihoods as lk
from derivation import derive
from likelihoods import constraints as c


class Coin(lk.NoiseModel):  # a Bernoulli declared with log(1 - p) written as log(1 - e^z/(...))
    target = lk.Target("y", c.binary)
    parameters = (lk.Parameter("p", c.unit_interval, default="logit", raw="z"),)
    prediction = "mode"

    def log_density(self, y, p):
        return y * sympy.log(p) + (1 - y) * sympy.log(1 - p)

    def point_prediction(self, p):
        return p


def test_a_sound_model_passes_and_the_table_counts_every_value():
    report = derive(Coin()).audit(progress=False)
    assert report.verdict == "pass" and not report.failures
    rows = {row["quantity"]: row for row in report.rows()}
    assert set(rows) == {"loss", "d/draw[0]"}
    assert sum(row["values"] for row in rows.values()) == len(report.records) > 50
    assert all(row["worst_ulps"] <= 4 or row["failed"] == 0 for row in rows.values())
    text = str(report)
    assert "Accuracy audit of Coin(p='logit')" in text and "verdict: pass" in text


def test_an_inaccurate_region_is_reported_with_its_inputs():
    # Zero inflation at a tiny rate with the zero probability taken as it is: log(pi + (1 - pi)
    # e^-rate) is a difference of two terms near log pi in the log-sum-exp form (through the
    # logit it is log_mix, which keeps it); the audit finds it against mpmath.
    report = derive(lk.ZeroInflatedPoisson(rate="log", zero="identity")).audit(progress=False)
    assert report.verdict == "fail"
    worst = report.worst(1)[0]
    target, raw = worst.point
    assert target == 0.0 and raw[0] < 0  # the zero branch, a small rate
    assert "verdict: fail" in str(report) and "worst failed inputs" in str(report)


def test_the_command_line_audit_prints_the_table_and_its_exit_status_says_pass():
    run = subprocess.run(
        [sys.executable, "-m", "derivation.cli", "Laplace", "--b", "log", "--audit"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "median ulps" in run.stdout and "verdict: pass" in run.stdout
