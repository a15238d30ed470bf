r"""Gradient-boosting objectives and metrics from a compiled loss, and the intercept-only fit.

A booster adds trees to raw scores F (one column per raw output, or K columns over classes)
and asks, each round, for the gradient g and the diagonal Hessian h of the loss per sample
and column; a leaf's value is then -sum(g) / (sum(h) + lambda). ``xgboost_objective`` and
``lightgbm_objective`` give it those from the derived kernels in one pass
(:meth:`~derivation.CompiledLoss.grad_and_hess`), weighted by the data's sample weights:

* ``hessian="exact"``: the second derivative of the loss. XGBoost's built-in multi-class
  objective gives 2 p (1 - p) instead, an upper bound; this is the exact p (1 - p).
* ``hessian="fisher"``: the expected Hessian under the model (the Fisher information,
  :attr:`derivation.Derivation.fisher`), positive where the exact one is not (Student-t,
  a circular target's) and where it vanishes (the absolute error, whose exact Hessian is 0).

Nothing is clipped unless asked: ``hessian_floor`` (an explicit lower bound on h) is the
only safeguard, applied where given. Step limits are the booster's own (XGBoost's
``max_delta_step``). The objectives and metrics are picklable (for ``xgboost.dask`` and
process pools): they hold the compiled loss, which pickles as its declaration.

>>> import numpy as np, xgboost
>>> import likelihoods as lk
>>> from derivation import derive
>>> fn = derive(lk.Exponential()).compile()
>>> rng = np.random.default_rng(0)
>>> x = rng.uniform(-2, 2, (200, 1)); y = rng.exponential(np.exp(0.5 * x[:, 0]))
>>> data = xgboost.DMatrix(x, y, base_margin=np.full(200, fn.initial_raw(y)[0]))
>>> booster = xgboost.train({"verbosity": 0}, data, 5, obj=fn.xgboost_objective())
>>> booster.predict(data, output_margin=True).shape
(200,)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HESSIANS = ("exact", "fisher")


@dataclass(frozen=True)
class Objective:
    """``objective(predictions, data) -> (grad, hess)`` for ``xgboost.train(obj=)`` or
    LightGBM's ``params["objective"]``; arrays shaped like the raw predictions.

    >>> import numpy as np, xgboost
    >>> import likelihoods as lk
    >>> from derivation import derive
    >>> objective = derive(lk.Exponential()).compile().xgboost_objective()
    >>> data = xgboost.DMatrix(np.zeros((2, 1)), np.array([1.0, 3.0]))
    >>> objective(np.zeros(2), data)  # y exp(F) - 1 and y exp(F) at F = 0
    (array([0., 2.]), array([1., 3.]))
    """

    loss: object
    hessian: str = "exact"
    hessian_floor: float | None = None
    options: dict = field(default_factory=dict)

    def __call__(self, predictions, data) -> tuple[np.ndarray, np.ndarray]:
        y, weight = _label_and_weight(self.loss, data)
        outputs = _outputs(self.loss, predictions, len(y))
        second = self.loss.grad_and_fisher if self.hessian == "fisher" else self.loss.grad_and_hess
        grads, hess = second(
            y, *outputs, reduction="none", weight=weight, loss=False, **self.options
        )
        grad, hess = _columns(grads), _columns(hess)
        if self.hessian_floor is not None:
            hess = np.maximum(hess, self.hessian_floor)
        return grad, hess


@dataclass(frozen=True)
class Metric:
    """``metric(predictions, data)``: the weighted mean negative log-likelihood, as
    ``(name, value)`` for XGBoost's ``custom_metric`` or ``(name, value, False)`` for
    LightGBM's ``feval`` (lower is better).

    >>> import numpy as np, xgboost
    >>> import likelihoods as lk
    >>> from derivation import derive
    >>> metric = derive(lk.Exponential()).compile().xgboost_metric()
    >>> metric(np.zeros(2), xgboost.DMatrix(np.zeros((2, 1)), np.array([1.0, 3.0])))
    ('nll', 2.0)
    """

    nll: object
    library: str
    options: dict = field(default_factory=dict)

    def __call__(self, predictions, data):
        y, weight = _label_and_weight(self.nll, data)
        outputs = _outputs(self.nll, predictions, len(y))
        value = float(self.nll(y, *outputs, weight=weight, **self.options))
        return ("nll", value) if self.library == "xgboost" else ("nll", value, False)


class BoostingCalls:
    """The boosting methods of :class:`derivation.CompiledLoss` (see the module)."""

    def xgboost_objective(
        self, hessian: str = "exact", hessian_floor: float | None = None, **options
    ) -> Objective:
        """A custom objective for ``xgboost.train(..., obj=)``: single output, one column per
        raw output (for ``multi_strategy``, with ``num_target`` set to their number), or K
        columns over classes (``num_class``). ``options`` are the loss' own keywords (fixed
        parameters' values, ``class_weight``, ``label_smoothing``). A Hessian floor exists
        only as ``hessian_floor``."""
        return self._objective(hessian, hessian_floor, options)

    def lightgbm_objective(
        self, hessian: str = "exact", hessian_floor: float | None = None, **options
    ) -> Objective:
        """The same objective for LightGBM: ``lightgbm.train({"objective": it, ...})``
        (``num_class`` columns over classes; LightGBM boosts one column otherwise)."""
        return self._objective(hessian, hessian_floor, options)

    def xgboost_metric(self, **options) -> Metric:
        """``custom_metric`` for ``xgboost.train``: the mean NLL of the raw margins, named
        ``"nll"`` (set ``disable_default_eval_metric``)."""
        return Metric(self._full_nll(), "xgboost", dict(options))

    def lightgbm_metric(self, **options) -> Metric:
        """``feval`` for ``lightgbm.train``: the mean NLL, named ``"nll"``."""
        return Metric(self._full_nll(), "lightgbm", dict(options))

    def initial_raw(self, y, weight=None, **options) -> np.ndarray:
        """The intercept-only minimiser: the constant raw outputs c minimising
        sum_n w_n loss(y_n, c), one per raw output (K over classes), concatenated; a
        starting margin for boosting (``base_margin`` / ``init_score``). Found by
        :mod:`derivation.intercept` (Newton steps on the exact Hessian in a trust region)."""
        from .intercept import intercept_only

        return intercept_only(self, y, weight, options)

    def _objective(self, hessian, hessian_floor, options) -> Objective:
        if hessian not in HESSIANS:
            raise ValueError(f"hessian: expected one of {HESSIANS}, got {hessian!r}")
        if hessian_floor is not None and not (
            isinstance(hessian_floor, (int, float))
            and not isinstance(hessian_floor, bool)
            and np.isfinite(hessian_floor)
        ):
            raise ValueError(f"hessian_floor: expected a finite number, got {hessian_floor!r}")
        if len(self._inputs) > 1 and any(self._over_classes):
            raise ValueError(
                "a boosting objective takes raw outputs that are all scalars or one vector "
                f"over classes; this loss has {', '.join(self.inputs)}"
            )
        return Objective(self, hessian, hessian_floor, dict(options))

    def _full_nll(self):
        from .derive import _compiled_for

        model, nll, backend = self._rebuild[1]
        return self if nll else _compiled_for(model, True, backend)


def _label_and_weight(loss, data) -> tuple[np.ndarray, np.ndarray | None]:
    """The label (class indices as integers over classes) and the sample weights (None
    where the data has none) of an XGBoost DMatrix or a LightGBM Dataset."""
    y = np.asarray(data.get_label(), dtype=np.float64)
    if any(loss._over_classes):
        indices = y.astype(np.int64)
        bad = np.flatnonzero(indices != y)
        if bad.size:
            raise ValueError(
                f"label: expected class indices (whole numbers), got {float(y[bad[0]])!r} at "
                f"index {int(bad[0])}"
            )
        y = indices
    weight = data.get_weight()
    weight = None if weight is None or np.size(weight) == 0 else np.asarray(weight, np.float64)
    return y, weight


def _outputs(loss, predictions, rows: int) -> list[np.ndarray]:
    """The raw outputs from a booster's predictions: the 1-D scores of one output, the
    columns of several, or the (rows, K) block over classes."""
    scores = np.asarray(predictions, dtype=np.float64)
    count = len(loss._inputs)
    if any(loss._over_classes):
        return [scores.reshape(rows, -1)]
    if count == 1:
        return [scores.reshape(rows)]
    scores = scores.reshape(rows, -1)
    if scores.shape[1] != count:
        raise ValueError(
            f"predictions: expected {count} columns ({', '.join(loss.inputs)}; set the "
            f"booster's num_target to {count}), got {scores.shape[1]}"
        )
    return [scores[:, p] for p in range(count)]


def _columns(arrays) -> np.ndarray:
    """Per-output arrays as the booster's layout: 1-D, or one column each."""
    if len(arrays) == 1:
        return np.asarray(arrays[0])
    return np.stack(arrays, axis=1)


__all__ = ["BoostingCalls", "HESSIANS", "Metric", "Objective"]
