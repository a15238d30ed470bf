"""The README's quick start and CI stay in step."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_two_commands():
    install_and_run, install_and_test = quick_start_commands()
    assert install_and_run.endswith("derive-loss")
    assert '".[test]"' in install_and_test and "pytest" in install_and_test


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quick_start_commands()[1] in ci


def test_every_package_of_the_library_is_installed():
    pyproject = (ROOT / "pyproject.toml").read_text()
    listed = set(re.findall(r'"([\w.]+)"', re.search(r"packages = \[(.*?)\]", pyproject).group(1)))
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("likelihoods", "derivation")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert listed == found
