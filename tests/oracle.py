"""The high-precision oracle of the tests is the library's own accuracy audit
(:mod:`derivation.audit`): the declared log-density composed with the link written out in
sympy, differentiated by sympy and evaluated by mpmath, against the compiled float64
callables over each input's whole float64 range. Used by ``tests/test_oracle.py`` (which
asserts) and ``benchmarks/accuracy.py`` (which prints the table of worst errors per family)."""

from __future__ import annotations

from derivation.audit import Record, acceptable, error_in_ulps, sweep

__all__ = ["Record", "acceptable", "error_in_ulps", "sweep"]
