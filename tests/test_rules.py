"""Each rewrite rule by itself: it fires on its pattern, leaves a near miss alone, and on the
input that motivates it brings the error against mpmath from what it was to a few ulps.

Elementwise rules are evaluated as the expressions they rewrite, before (plain NumPy and
SciPy) and after (the library's printer and helpers); rules over the class axis, whose forms
only exist inside kernels, by building the cross-entropy kernels with and without the rule."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.special
import sympy

import likelihoods as lk
from derivation import bessel_helpers, derive, forms, gamma_helpers, numpy_helpers, rewriting
from derivation.canonical import reduce_model
from derivation.functions import (
    bessel_i_gap,
    expand_definitions,
    expit,
    log1p,
    logaddexp,
    responsibility,
    responsibility_complement,
    softplus,
    x_over_1px2,
)
from derivation.kernel_printer import KernelPrinter
from derivation.rules import bessel, cancellation, exponentials, gamma, logistic, logs

x, y, z, mu, s, k = sympy.symbols("x y z mu s k", real=True)
p = sympy.Symbol("p", positive=True)
NAMESPACE = {
    "numpy": np,
    "scipy": scipy,
    **vars(numpy_helpers),
    **vars(gamma_helpers),
    **vars(bessel_helpers),
}

#: rule, the motivating expression, its variables and values, the exact value, a near miss.
ELEMENTWISE = [
    (logs.LOG_GAMMA, sympy.log(sympy.gamma(x)), (x,), (200.0,), None,
     sympy.log(sympy.gamma(x) + 1)),
    (logs.LOG_BESSEL_I0, sympy.log(sympy.besseli(0, k)), (k,), (1000.0,), None,
     sympy.log(sympy.besseli(1, k))),
    (logs.LOG_BESSEL_I, sympy.log(sympy.besseli(1, p)), (p,), (1000.0,), None,
     sympy.log(sympy.besseli(1, p) + 1)),
    (bessel.BESSEL_GAP_COMPLEMENT, p * bessel_i_gap(1, p) - p, (p,), (1e-10,), None,
     p * bessel_i_gap(1, p) - 2 * p),
    (logs.LOG1P, sympy.log(1 + x), (x,), (1e-20,), None, sympy.log(2 + x)),
    (logs.COEFFICIENT_LOG_TO_XLOGY, y * sympy.log(p), (y, p), (0.0, 0.0), 0.0, 2 * sympy.log(p)),
    (logistic.LOGISTIC_TO_EXPIT, sympy.exp(x) / (1 + sympy.exp(x)), (x,), (800.0,), None,
     sympy.exp(x) / (2 + sympy.exp(x))),
    (logistic.LOGISTIC_TO_EXPIT, sympy.exp(x) * (p - y) / (1 + sympy.exp(x)), (p, y, x),
     (2.0, 1.0, 800.0), None, sympy.exp(x) / (2 + sympy.exp(x))),
    (logistic.SPLIT_SOFTPLUS_LINEAR, softplus(z) - y * z, (y, z), (1.0, 40.0), None,
     softplus(z) - y * z**2),
    (logistic.SPLIT_SOFTPLUS_LINEAR,
     (y + 1 / p) * softplus(z + sympy.log(p)) - y * z - y * sympy.log(p), (y, p, z),
     (1e6, 1.5, 345.0), None, (y + 1 / p) * softplus(z**2 + sympy.log(p)) - y * z),
    (logistic.SPLIT_EXPIT_CONSTANT, expit(z) - 1, (z,), (40.0,), None, expit(z) - z),
    (logistic.SPLIT_EXPIT_CONSTANT, 2 * expit(z) - 1, (z,), (1e-10,), None,
     2 * expit(z) - y * z),
    (cancellation.ONE_MINUS_COS, 1 - sympy.cos(x), (x,), (1e-9,), None, 1 - 2 * sympy.cos(x)),
    (exponentials.COMBINE_EXPONENTIALS, p**k * sympy.exp(-k * s), (p, k, s),
     (1e300, 110.0, 690.0), None, p**2 * sympy.exp(-2 * s)),
    (exponentials.LOG_SUM_EXP, sympy.log(sympy.exp(x) + sympy.exp(y)), (x, y), (800.0, 799.0),
     None, sympy.log(sympy.exp(x) + y)),
    (exponentials.LOG_SUM_EXP, log1p(p * sympy.exp(x)), (p, x), (2.0, 800.0), None,
     log1p(y * sympy.exp(x))),
    (exponentials.LOGISTIC_MIXTURE, logaddexp(x - softplus(z), -softplus(-z)), (x, z),
     (-1e-60, 1.0), None, logaddexp(x - softplus(z), -softplus(z))),
    (gamma.GAMMALN_DIFFERENCE, sympy.loggamma(p + sympy.Rational(1, 2)) - sympy.loggamma(p),
     (p,), (1e15,), None, sympy.loggamma(p + sympy.Rational(1, 2)) - sympy.loggamma(2 * p)),
    (gamma.LOG_GAMMA_OF_EXP, sympy.loggamma(p * expit(-x)), (p, x), (1.5, 800.0), None,
     sympy.loggamma(p + x)),
    (gamma.DIGAMMA_DIFFERENCE, sympy.polygamma(0, p + k) - sympy.polygamma(0, p), (p, k),
     (5e21, 1.2), None, sympy.polygamma(0, p + k) - sympy.polygamma(0, 2 * p)),
    (logs.LOG1P_SQUARE, log1p((y - mu) ** 2 * sympy.exp(-2 * s)), (y, mu, s),
     (1.0, 0.0, -400.0), None, log1p((y - mu) * sympy.exp(-2 * s))),
    (logs.SQUARE_FRACTION, x * x_over_1px2(x), (x,), (1e200,), None, y * x_over_1px2(x)),
    (logs.LOG_BETA, sympy.loggamma(x) + sympy.loggamma(y) - sympy.loggamma(x + y), (x, y),
     (1.2, 5e21), None, sympy.loggamma(x) + sympy.loggamma(y) - sympy.loggamma(x + 2 * y)),
    (cancellation.GROUP_SCALED_RESIDUALS, (y - mu) ** 2 * sympy.exp(-2 * s), (y, mu, s),
     (1e-200, 0.0, -400.0), None, (y - mu) * sympy.exp(-s)),
]  # fmt: skip


#: Where no input makes the replaced form fail without making the problem ill-conditioned:
#: p^k e^(-k s) moves by k |s| ulps per ulp of s (75900 here), so that is what 4 ulps of
#: input rounding allow.
CONDITIONED = {"combine_exponentials": 4 * 110 * 690}


def _exact(expr, variables, values):
    with mpmath.workdps(80):
        f = sympy.lambdify(variables, expand_definitions(expr), "mpmath")
        return f(*(mpmath.mpf(v) for v in values))


def _ulps(got: float, exact) -> float:
    if not math.isfinite(got):
        return math.inf
    spacing = np.spacing(abs(float(exact))) if exact != 0 else 5e-324
    return float(abs(mpmath.mpf(got) - exact) / mpmath.mpf(spacing))


@pytest.mark.parametrize("case", ELEMENTWISE, ids=lambda c: c[0].name)
def test_an_elementwise_rule_fires_and_mends_its_motivating_input(case):
    rule, before, variables, values, exact, near_miss = case
    after = rule(before)
    assert after != before
    assert rule(near_miss) == near_miss
    exact = _exact(before, variables, values) if exact is None else mpmath.mpf(exact)
    values = tuple(np.float64(v) for v in values)  # NumPy's overflow to inf, not Python's error
    with np.errstate(all="ignore"):
        plain = expand_definitions(before)  # the named functions as their definitions
        naive = sympy.lambdify(variables, plain, ["scipy", "numpy"])(*values)
        printer = KernelPrinter()
        stable = sympy.lambdify(variables, after, NAMESPACE, printer=printer)(*values)
    assert _ulps(float(naive), exact) > 1e3  # the form the rule replaces is wrong there
    assert _ulps(float(stable), exact) <= CONDITIONED.get(rule.name, 4)


def _cross_entropy(form_name, without=None):
    """The loss_and_grad kernel of Categorical's target form (``"identity"``: probabilities
    taken as they are, class indices), rules as listed but ``without``."""
    model = lk.Categorical() if form_name != "identity" else lk.Categorical(p="identity")
    r = reduce_model(model)
    form = forms.target_forms(r, nll=False)["index" if form_name == "identity" else form_name]
    kept = tuple(rule for rule in rewriting.RULES if rule is not without)
    saved, rewriting.RULES = rewriting.RULES, kept
    forms.printable.cache_clear()  # stabilised forms are cached for the rules in force
    try:
        _, kernels = forms.build(form, r.outputs, [], "", f"<rules test {form_name}>")
    finally:
        rewriting.RULES = saved
        forms.printable.cache_clear()
    return kernels["loss_and_grad"]


def _run(kernel, target, raw):
    with np.errstate(all="ignore"):
        return kernel(target, raw, _shape=(1,), _dtype=np.dtype(float), _scale=None, _total=False)


CLASS_CASES = [
    # a one-hot row whose class leads by 40: the loss log(1 + 2 e^-40) is not lost in 40 - 40
    ("group_logsumexp", "rows", [[1.0, 0.0, 0.0]], [[40.0, 0.0, 0.0]], 0, None),
    # the target class's gradient p_y - 1 where p_y rounds to 1
    ("softmax_minus_mass", "index", [0], [[40.0, 0.0, 0.0]], 1, 0),
    # probabilities taken as they are: -y_k / p_k is 0, not 0/0, for a class of probability 0
    ("delta_over_to_xdivy", "identity", [0], [[1.0, 0.0, 0.0]], 1, 1),
]


def _reference(form_name, target, raw, output, component):
    zs = [mpmath.mpf(v) for v in raw[0]]
    with mpmath.workdps(80):
        if form_name == "identity":  # d/dp_k of -log p_c: -[k = c] / p_k, 0 off class c
            return 0 if component != target[0] else -1 / zs[component]
        t = target[0] if form_name == "rows" else None
        lse = mpmath.log(sum(mpmath.exp(v) for v in zs))
        if output == 0:
            return lse - sum(t[j] * zs[j] for j in range(len(zs)))
        one_hot = [1 if j == target[0] else 0 for j in range(len(zs))]
        return mpmath.exp(zs[component] - lse) - one_hot[component]


@pytest.mark.parametrize("case", CLASS_CASES, ids=lambda c: c[0])
def test_a_rule_over_classes_mends_its_motivating_input(case):
    name, form_name, target, raw, output, component = case
    rule = next(r for r in rewriting.RULES if r.name == name)
    dtype = float if form_name == "rows" else np.intp
    target_array, raw_array = np.array(target, dtype), np.array(raw, float)
    exact = _reference(form_name, target, raw, output, component)
    results = {}
    for label, without in (("with", None), ("without", rule)):
        try:
            values = _run(_cross_entropy(form_name, without), target_array, raw_array)
        except (AttributeError, TypeError, ValueError):  # a form the kernels cannot evaluate
            assert label == "without"
            results[label] = math.nan
            continue
        got = np.asarray(values[output])
        results[label] = float(got.reshape(-1)[0 if component is None else component])
    assert _ulps(results["without"], exact) > 1e3 or not math.isfinite(results["without"])
    assert _ulps(results["with"], exact) <= 4


def test_replace_target_column_writes_one_entry_per_sample():
    i, c = lk.COMPONENT, sympy.Symbol("c", integer=True, nonnegative=True)
    zb = sympy.IndexedBase("z", shape=(lk.CLASSES,), real=True)
    rule = next(r for r in rewriting.RULES if r.name == "replace_target_column")
    before = zb[i] + sympy.KroneckerDelta(i, c) * y
    after = rule(before)
    assert after.func.__name__ == "replace_column" and after.args[1] == c
    assert rule(zb[i] + y) == zb[i] + y  # no delta: a near miss
    for k_value in range(3):  # the same number per class, at the target class and off it
        for target in range(3):
            subs = {i: k_value, c: target}
            assert sympy.simplify(expand_definitions(after).xreplace(subs).doit()
                                  - before.xreplace(subs).doit()) == 0  # fmt: skip


def test_evaluate_over_classes_leaves_no_logsumexp():
    zb = sympy.IndexedBase("z", shape=(lk.CLASSES,), real=True)
    from derivation.functions import log_softmax, logsumexp

    rule = next(r for r in rewriting.RULES if r.name == "evaluate_over_classes")
    after = rule(logsumexp(zb) + log_softmax(zb, lk.COMPONENT))
    assert not after.has(logsumexp) and not after.has(log_softmax)
    assert rule(zb[lk.COMPONENT]) == zb[lk.COMPONENT]


def test_rules_are_named_ordered_and_documented():
    names = [r.name for r in rewriting.RULES]
    assert len(set(names)) == len(names)
    stages = [r.stage for r in rewriting.RULES]
    assert stages == sorted(stages, key=["local", "sum", "final"].index)
    assert all(r.identity and r.matches and r.writes for r in rewriting.RULES)
    tested = {c[0].name for c in ELEMENTWISE} | {c[0] for c in CLASS_CASES}
    tested |= {"replace_target_column", "evaluate_over_classes", "one_minus_responsibility"}
    tested |= {"responsibility_over_weight", "exp_minus_one", "sums_combined"}
    tested |= {"suffix_minus_first", "drop_point_masses", "bessel_ratios"}
    assert tested == set(names)  # every rule has a test of its own here


def test_one_minus_responsibility_keeps_the_digits_of_a_share_near_1():
    rule = next(r for r in rewriting.RULES if r.name == "one_minus_responsibility")
    k, i = lk.CLASS_INDEX, lk.COMPONENT
    a = sympy.IndexedBase("a", shape=(lk.CLASSES,), real=True)
    r = responsibility(a[k], k, i)
    assert rule(1 - r) == responsibility_complement(a[k], k, i)
    assert rule(2 - r) == 2 - r  # only 1 - r is the others' share
    # weights 1 - e^-40 and e^-40, the second component a unit further from y: the logit
    # gradient w_0 (1 - r_0) - r_0 (1 - w_0) is a difference of two shares near e^-40
    fn = derive(lk.GaussianMixture()).compile(nll=True)
    (g_logits, *_) = fn.grad(
        np.zeros(1), np.array([[40.0, 0.0]]), np.array([[0.0, 1.0]]), np.zeros((1, 2))
    )
    mpmath.mp.dps = 50
    w0 = 1 / (1 + mpmath.exp(-40))
    r0 = 1 / (1 + mpmath.exp(-40 - mpmath.mpf(1) / 2))
    expected = float(w0 * (1 - r0) - r0 * (1 - w0))
    assert g_logits[0, 0] == pytest.approx(expected, rel=1e-13, abs=0)


def test_responsibility_over_weight_is_the_density_over_the_mixture():
    rule = next(r for r in rewriting.RULES if r.name == "responsibility_over_weight")
    k, i = lk.CLASS_INDEX, lk.COMPONENT
    w = sympy.IndexedBase("w", shape=(lk.CLASSES,), nonnegative=True)
    a = sympy.IndexedBase("a", shape=(lk.CLASSES,), real=True)
    r = responsibility(sympy.log(w[k]) + a[k], k, i)
    rewritten = rule(-r / w[i])
    assert not rewritten.has(responsibility) and not rewritten.has(w[i])
    assert rule(r / a[i]) == r / a[i]  # log a_k is no term of the body
    # weights (1, 0): the second component's share over its weight is p_1 / p, not 0/0
    fn = derive(lk.GaussianMixture(w="identity")).compile(nll=True)
    y, weights = np.array([0.0]), np.array([[1.0, 0.0]])
    mu, log_sigma = np.array([[0.0, 1.0]]), np.zeros((1, 2))
    (g_w, *_) = fn.grad(y, weights, mu, log_sigma)
    assert g_w[0, 1] == pytest.approx(-math.exp(-0.5), rel=1e-15, abs=0)  # -N(0; 1) / N(0; 0)
    assert g_w[0, 0] == -1.0


def test_a_log_weight_near_0_keeps_its_digits_inside_the_mixture():
    # evaluate_over_classes pairs z_m - logsumexp(z) as log_softmax: (z_m - max) - excess is
    # exactly -excess at the largest logit, so a loss of 0.001 is not rounded at 30's ulp
    fn = derive(lk.GaussianMixture()).compile()
    y, logits = np.array([2.5]), np.array([[30.0, 0.0, -2.0]])
    mu, log_sigma = np.array([[2.5, 2.5, -1.0]]), np.array([[0.001, 1.0, 345.0]])
    mpmath.mp.dps = 50
    z = [mpmath.mpf(v) for v in logits[0]]
    lse = mpmath.log(sum(mpmath.exp(v) for v in z))
    terms = [
        z[k]
        - lse
        - mpmath.mpf(s)
        - (mpmath.mpf(2.5) - mpmath.mpf(m)) ** 2 / 2 * mpmath.exp(-2 * mpmath.mpf(s))
        for k, (m, s) in enumerate(zip(mu[0], log_sigma[0]))
    ]
    expected = -mpmath.log(sum(mpmath.exp(t) for t in terms))
    assert fn(y, logits, mu, log_sigma) == pytest.approx(float(expected), rel=4e-16, abs=0)


def _rule(name):
    return next(r for r in rewriting.RULES if r.name == name)


def test_exp_minus_one_keeps_the_digits_of_a_small_difference():
    x = sympy.Symbol("x", real=True)
    after = _rule("exp_minus_one")(sympy.exp(x) - 1 + x)
    value = sympy.lambdify(x, after, "numpy")(1e-12)
    assert value == pytest.approx(2e-12 + 5e-25, rel=1e-15)  # exp(x) - 1 would give 1.00009e-12
    assert _rule("exp_minus_one")(sympy.exp(x) + 1) == sympy.exp(x) + 1


def test_sums_combined_subtracts_term_by_term():
    a, b = sympy.IndexedBase("a", shape=(lk.CLASSES,)), sympy.IndexedBase("b", shape=(lk.CLASSES,))
    k = lk.CLASS_INDEX
    whole = (k, 0, lk.CLASSES - 1)
    after = _rule("sums_combined")(sympy.Sum(a[k], whole) - sympy.Sum(b[k], whole))
    assert after == sympy.Sum(a[k] - b[k], whole)
    # why: totals 1e16 + 1 and 1e16 + 0.5 lose the difference, term by term it stays
    left, right = np.array([1e16, 1.0]), np.array([1e16, 0.5])
    assert (left - right).sum() == 0.5 and left.sum() - right.sum() != 0.5


def test_suffix_minus_first_is_a_softplus_of_the_rest():
    from derivation.ranking_functions import suffix_logsumexp, suffix_logsumexp_after

    g = sympy.IndexedBase("g", shape=(lk.CLASSES,), real=True)
    k, j = lk.CLASS_INDEX, lk.OTHER_INDEX
    after = _rule("suffix_minus_first")(suffix_logsumexp(g[j], j, k) - g[k])
    assert after == softplus(suffix_logsumexp_after(g[j], j, k) - g[k])
    # at K = 2 and position 0: log(e^40 + e^0) - 40, which a subtraction gives as 0
    values = {0: 40.0, 1: 0.0}
    written = expand_definitions(after).xreplace({lk.CLASSES: 2, k: 0}).doit()
    got = written.replace(
        lambda e: isinstance(e, sympy.Indexed), lambda e: sympy.Float(values[int(e.indices[0])])
    )
    assert float(got) == pytest.approx(4.248354255291589e-18, rel=1e-15)
