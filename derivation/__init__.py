"""The engine: from a declared noise model to a loss, its gradient, a readable derivation and
fast, numerically stable NumPy callables. It knows no family by name; here it meets one
declared on the spot:

>>> from likelihoods import NoiseModel, Parameter, Target, constraints
>>> from derivation import derive
>>> class Noise(NoiseModel):
...     target = Target("y", constraints.real)
...     parameters = (Parameter("mu", constraints.real, default="identity"),)
...     def log_density(self, y, mu):
...         return -((y - mu) ** 2) / 2
>>> d = derive(Noise())
>>> d.loss
(-mu + y)**2
>>> fn = d.compile()
>>> float(fn([3.0, 4.0], [2.0, 5.0]))
1.0
"""

from .compiled import REDUCTIONS, CompiledLoss
from .derive import Derivation, derive
from .steps import Step
from .triangular_functions import tril_quadratic

__all__ = ["derive", "Derivation", "CompiledLoss", "Step", "REDUCTIONS", "tril_quadratic"]
