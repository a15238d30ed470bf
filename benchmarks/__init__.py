"""Benchmarks of derive-the-loss against the alternatives a user would pick instead.

    python -m benchmarks            # the full suite (about ten minutes on two cores)
    python -m benchmarks --quick    # small sizes, a few repeats: checks that it all runs
    python -m benchmarks --readme   # also rewrite the README's performance section

Every number is a median over interleaved repeats and is reported as a ratio to hand-fused
NumPy measured in the same run. Results go to ``benchmarks/results.json``.
"""
