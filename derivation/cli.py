"""``derive-loss``: print derivations from the command line.

derive-loss                                   an overview, then how to go further
derive-loss MODEL [--PARAM LINK_OR_VALUE ...] [--format text|latex|markdown]
derive-loss MODEL [--PARAM ...] --audit      the accuracy audit (exit status 1 if it fails)
derive-loss --list                            the models, their parameters and the links
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import likelihoods as lk

from .derive import derive
from .steps import equation_text

FORMATS = ("text", "latex", "markdown")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derive-loss",
        usage=(
            "derive-loss [-h] [--list]\n"
            "       derive-loss MODEL [--PARAM LINK_OR_VALUE ...] [--format {text,latex,markdown}]"
            "\n       derive-loss MODEL [--PARAM LINK_OR_VALUE ...] --emit python [--nll]"
            "\n       derive-loss MODEL [--PARAM LINK_OR_VALUE ...] --audit"
        ),
        description=(
            "Derive a loss as the negative log-likelihood of a noise model, step by step. "
            "Without arguments, print an overview."
        ),
        epilog=(
            "Parameter options: after MODEL, '--NAME VALUE' sets parameter NAME to a link "
            f"({', '.join(lk.LINKS)}), to 'fixed' (a symbol), or to a number; e.g. "
            f"'derive-loss {lk.TOUR[0]} --{_predictable(lk.TOUR[0])} log'. Models: "
            + ", ".join(lk.REGISTRY)
            + "."
        ),
    )
    parser.add_argument("model", nargs="?", help="a model name (see --list)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument("--list", action="store_true", help="list the models and links")
    parser.add_argument(
        "--emit",
        choices=("python",),
        help="print a standalone module (numpy and scipy only) computing MODEL's loss and "
        "gradient, instead of the derivation",
    )
    parser.add_argument(
        "--audit",
        action="store_true",
        help="compare MODEL's compiled NLL and gradients with mpmath over every input's range "
        "and print the table (exit status 1 if a value fails)",
    )
    parser.add_argument(
        "--nll",
        action="store_true",
        help="with --emit: the full negative log-likelihood instead of the loss",
    )
    return parser


def _predictable(name: str) -> str:
    """A parameter of family ``name`` that is fixed by default (to show predicting it)."""
    parameters = lk.REGISTRY[name].parameters
    return next((p.name for p in parameters if p.default == lk.FIXED), parameters[0].name)


def _model_from(name: str, options: Sequence[str]) -> lk.NoiseModel:
    if name not in lk.REGISTRY:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(lk.REGISTRY)}")
    cls = lk.REGISTRY[name]
    names = [p.name for p in cls.parameters]
    choices: dict[str, object] = {}
    items = list(options)
    while items:
        flag = items.pop(0)
        key = flag[2:] if flag.startswith("--") else None
        if key is None or key not in names:
            raise ValueError(
                f"unknown option {flag!r} for {name}; its parameters are "
                + ", ".join(f"--{n}" for n in names)
            )
        if not items:
            raise ValueError(f"option {flag} needs a value: a link name, 'fixed' or a number")
        value = items.pop(0)
        try:
            choices[key] = float(value)
        except ValueError:
            choices[key] = value
    return cls(**choices)


def _short(domain: lk.constraints.Domain) -> str:
    if domain.sums_to_one:
        return "the simplex"
    if domain.event:
        return f"{domain.entries.describe()}^K"
    return domain.describe()


def list_models() -> str:
    lines = ["Models (parameters: domain, default):"]
    for name, cls in lk.REGISTRY.items():
        params = "; ".join(f"{p.name}: {_short(p.domain)}, {p.default}" for p in cls.parameters)
        lines.append(f"  {name:<24} y in {_short(cls.target.support):<18} {params}")
    lines.append("")
    lines.append("Links (parameter = inverse link of the raw output eta):")
    for link in lk.LINKS.values():
        lines.append(f"  {link.name:<10} {link.formula}")
    return "\n".join(lines) + "\n"


#: Which of the seven steps the overview shows, and under what short label.
OVERVIEW_LABELS = ("noise model", "link", "-log p", None, "loss", "gradient", None)


def overview() -> str:
    out = [
        "derive-the-loss: a loss is the negative log-likelihood of the noise you assume.",
        "",
    ]
    for name in lk.TOUR:
        d = derive(lk.REGISTRY[name]())
        named = d.textbook.name if d.textbook else "a loss of its own"
        out.append(f"{name} -> {named}")
        for label, step in zip(OVERVIEW_LABELS, d.steps):
            if label is None:
                continue
            equations = [equation_text(lhs, rhs) for lhs, rhs in step.equations]
            if label == "link":
                equations = [step.text.removeprefix("The network outputs ")] + equations
            for i, line in enumerate(equations or [""]):
                out.append(f"  {label if i == 0 else '':<12} {line}")
        out.append("")
    out.append("Every model and the loss it implies:")
    for name, cls in lk.REGISTRY.items():
        d = derive(cls())
        named = f"  ({d.textbook.name})" if d.textbook else ""
        out.append(f"  {name:<24} L = {equation_text(None, d.loss)}{named}")
    first, second = lk.TOUR[0], lk.TOUR[1]
    predictable = _predictable(first)
    out += [
        "",
        "Go further:",
        f"  derive-loss {first:<28} the full derivation, step by step",
        f"  derive-loss {first + ' --' + predictable + ' log':<28} predict {predictable} too",
        f"  derive-loss {second + ' --format latex':<28} LaTeX (or --format markdown)",
        f"  derive-loss {'--list':<28} models, parameters and links",
        f"  python: from derivation import derive; derive(likelihoods.{second}()).compile()",
    ]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    try:
        if args.list:
            if args.model or rest:
                raise ValueError("--list takes no model or parameter options")
            sys.stdout.write(list_models())
            return 0
        if args.model is None:
            if rest:
                raise ValueError(f"unrecognised arguments: {' '.join(rest)}")
            sys.stdout.write(overview())
            return 0
        d = derive(_model_from(args.model, rest))
        if args.audit:
            report = d.audit(progress=sys.stderr.isatty())
            sys.stdout.write(f"{report}\n")
            return 0 if report.verdict == "pass" else 1
        if args.emit:
            sys.stdout.write(d.to_python(nll=args.nll))
            return 0
        if args.nll:
            raise ValueError("--nll goes with --emit python")
        render = {"text": str, "latex": type(d).to_latex, "markdown": type(d).to_markdown}
        sys.stdout.write(render[args.format](d))
        return 0
    except ValueError as error:
        parser.print_usage(sys.stderr)
        print(f"derive-loss: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
