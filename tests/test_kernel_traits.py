"""Generated kernels describe themselves with one declared structure (runtime_call.TRAITS)."""

from __future__ import annotations

import pytest

from derivation import derive
from derivation.runtime_call import TRAITS, _traits

from support import all_variants, model_id


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_every_kernel_says_only_declared_traits(model):
    fn = derive(model).compile()
    for form in fn.forms:
        for name, kernel in fn._form(form)[1].items():
            said = kernel.traits
            assert set(said) <= set(TRAITS), (form, name, said)
            assert isinstance(said.get("passes", 0), int) and said.get("passes", 0) >= 0
            positions = set(said.get("strict_in", ())) | set(said.get("checked_in", ()))
            assert positions <= set(range(len(fn.inputs) + 1))  # target and raw outputs


def test_an_undeclared_trait_is_refused():
    def kernel():
        pass

    kernel.traits = {"passes": 2, "speed": "fast"}
    with pytest.raises(TypeError, match=r"unknown traits \['speed'\]"):
        _traits(kernel)
