"""Second-order timings: ``grad_and_hess`` (loss, gradient and diagonal Hessian per sample,
in one call; with ``loss=False`` the gradient and the Hessian only, as a booster asks)
against scikit-learn's closed-form ``gradient_hessian`` (gradient and Hessian only, one
thread) and against PyTorch autograd computing the same gradient and diagonal Hessian (one
backward pass with ``create_graph``, a second for the diagonal: the loss is a sum over
samples, so the gradient of the summed gradient is the Hessian's diagonal); and boosting
rounds per second, XGBoost and LightGBM, with the derived objective and the built-in one.
Ratios are to scikit-learn (timings) and to the built-in objective (rounds) in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import likelihoods as lk
from derivation import derive

from .cases import _sklearn_loss, _torch
from .timing import interleaved


@dataclass(frozen=True)
class SecondCase:
    name: str
    model: lk.NoiseModel
    sklearn: str  # the sklearn._loss class with the same loss up to a constant
    sample: Callable[[np.random.Generator, int], np.ndarray]  # targets
    torch_loss: Callable  # (torch, y, z) -> summed loss


SECOND_CASES = (
    SecondCase(
        "Bernoulli: logit",
        lk.Bernoulli(),
        "HalfBinomialLoss",
        lambda rng, n: (rng.random(n) < 0.5).astype(float),
        lambda torch, y, z: torch.nn.functional.binary_cross_entropy_with_logits(
            z, y, reduction="sum"
        ),
    ),
    SecondCase(
        "Poisson: log link",
        lk.Poisson(),
        "HalfPoissonLoss",
        lambda rng, n: rng.poisson(1.0, n).astype(float),
        lambda torch, y, z: torch.nn.functional.poisson_nll_loss(z, y, reduction="sum"),
    ),
    SecondCase(
        "Gamma: mean, log link",
        lk.GammaMean(),
        "HalfGammaLoss",
        lambda rng, n: rng.gamma(2.0, 1.0, n),
        lambda torch, y, z: (z + y * torch.exp(-z)).sum(),  # log mu + y / mu
    ),
)


def second_order_implementations(case: SecondCase, n: int, rng) -> dict[str, Callable]:
    """Each way to get a gradient and a diagonal Hessian per sample for ``case``; each returns
    ``(gradient, hessian)``."""
    y, z = case.sample(rng, n), rng.normal(0.0, 1.0, n)
    fn = derive(case.model).compile()

    def ours(validate=True, loss=True):
        *_, (g,), (h,) = fn.grad_and_hess(y, z, reduction="none", validate=validate, loss=loss)
        return g, h

    out = {
        "derive-the-loss": ours,
        "derive-the-loss, validate=False": lambda: ours(False),
        # what scikit-learn's call computes: no loss
        "derive-the-loss, loss=False": lambda: ours(loss=False),
        "derive-the-loss, loss=False, validate=False": lambda: ours(False, False),
    }
    sklearn = _sklearn_loss(case.sklearn)
    if sklearn is not None:
        out["scikit-learn"] = lambda: sklearn.gradient_hessian(y, z, n_threads=1)
    torch = _torch()
    if torch is not None:
        target = torch.from_numpy(y)

        def autograd():
            raw = torch.from_numpy(z).requires_grad_()
            loss = case.torch_loss(torch, target, raw)
            (g,) = torch.autograd.grad(loss, raw, create_graph=True)
            (h,) = torch.autograd.grad(g.sum(), raw)
            return g.detach().numpy(), h.numpy()

        out["PyTorch autograd"] = autograd
    return out


def time_second_order(quick: bool, rng) -> list[dict]:
    """Median seconds of each implementation per case and size, with ratios to
    scikit-learn."""
    entries = []
    for case in SECOND_CASES:
        for n in (10**4,) if quick else (10**6, 10**7):
            implementations = second_order_implementations(case, n, rng)
            rounds = 3 if quick else (51 if n <= 10**6 else 9)
            times = interleaved(implementations, rounds)
            base = times.get("scikit-learn", times["derive-the-loss"])
            ratios = {name: t / base for name, t in times.items()}
            entries.append({"case": case.name, "shape": [n], "seconds": times, "ratio": ratios})
    return entries


def boosting_rounds(quick: bool, rng) -> list[dict]:
    """Rounds per second of XGBoost and LightGBM training with the derived objective and
    with the built-in one (same trees, one thread), for Poisson and binary targets."""
    try:
        import lightgbm
        import xgboost
    except ImportError:
        return []
    n, rounds = (2000, 5) if quick else (200_000, 50)
    x = rng.normal(size=(n, 10))
    targets = {
        "Poisson": (lk.Poisson(), rng.poisson(np.exp(0.3 * x[:, 0])).astype(float)),
        "Bernoulli": (lk.Bernoulli(), (rng.random(n) < 1 / (1 + np.exp(-x[:, 0]))) * 1.0),
    }
    builtin = {
        "xgboost": {"Poisson": "count:poisson", "Bernoulli": "binary:logistic"},
        "lightgbm": {"Poisson": "poisson", "Bernoulli": "binary"},
    }
    entries = []
    for name, (model, y) in targets.items():
        fn = derive(model).compile()
        for library in ("xgboost", "lightgbm"):
            times = {}
            for label, objective in (
                ("derived", getattr(fn, f"{library}_objective")()),
                ("built-in", builtin[library][name]),
            ):
                start = time.perf_counter()
                if library == "xgboost":
                    params = {"tree_method": "hist", "nthread": 1, "max_depth": 6}
                    data = xgboost.DMatrix(x, y, nthread=1)
                    if isinstance(objective, str):
                        xgboost.train({**params, "objective": objective}, data, rounds)
                    else:
                        xgboost.train(params, data, rounds, obj=objective)
                else:
                    params = {"num_threads": 1, "verbosity": -1, "objective": objective}
                    lightgbm.train(params, lightgbm.Dataset(x, y), rounds)
                times[label] = rounds / (time.perf_counter() - start)
            entries.append(
                {
                    "case": f"{library}, {name}",
                    "rows": n,
                    "rounds_per_second": times,
                    "ratio": times["derived"] / times["built-in"],
                }
            )
    return entries


def format_second_order(entries: list[dict], boosting: list[dict]) -> str:
    lines = []
    for e in entries:
        lines.append(f"\n{e['case']}, grad_and_hess, {e['shape'][0]:.0e} samples")
        for name, seconds in sorted(e["seconds"].items(), key=lambda kv: kv[1]):
            lines.append(f"  {name:44s} {seconds * 1e3:10.3f} ms   {e['ratio'][name]:6.2f}x")
    if boosting:
        lines.append("\nBoosting rounds per second, derived objective / built-in")
    for b in boosting:
        r = b["rounds_per_second"]
        lines.append(
            f"  {b['case']:24s} {r['derived']:8.2f} / {r['built-in']:8.2f}   {b['ratio']:.2f}x"
        )
    return "\n".join(lines)


__all__ = ["SECOND_CASES", "boosting_rounds", "format_second_order", "time_second_order"]
