"""`tf.train.ExponentialMovingAverage`: a shadow variable per averaged variable.

`apply` creates the shadows on first sight (initialised to the variable's
value, not trainable, named `<variable>/ExponentialMovingAverage`) and moves
each toward its variable: shadow -= (1 - decay) * (shadow - value), where
decay is min(decay, (1 + n) / (10 + n)) when `num_updates` n is given.
`zero_debias` changes nothing: TF debiases only averages initialised with
tensors, which eager code cannot average.
"""
from __future__ import annotations

from jaxtape._src.compile.init_scope import lifted
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.variables import Variable
from jaxtape._src.ops.math.arithmetic import minimum
from jaxtape._src.ops.math.cast import cast


@export("train.ExponentialMovingAverage")
class ExponentialMovingAverage:
    """Moving averages of variables, updated by `apply`."""

    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):
        self._decay, self._num_updates = decay, num_updates
        self._zero_debias, self._name = bool(zero_debias), name
        self._averages = {}  # id(variable) -> (variable, shadow)

    @property
    def name(self):
        return self._name

    def _base(self, var) -> str:
        return var.name.split(":")[0]

    def average_name(self, var) -> str:
        return f"{self._base(var)}/{self._name}"

    def average(self, var):
        entry = self._averages.get(id(var))
        return None if entry is None else entry[1]

    def _shadow(self, var):
        entry = self._averages.get(id(var))
        if entry is None:
            with lifted():  # TF's init_scope: the value before a traced call, not inside it
                shadow = Variable(var.read_value(), trainable=False, name=self.average_name(var))
            entry = self._averages[id(var)] = (var, shadow)
        return entry

    def apply(self, var_list=None):
        """Creates missing shadows, then moves every shadow of `var_list` one step. None
        means TF 1's trainable-variables collection, which TF 2 keeps empty: nothing."""
        var_list = [] if var_list is None else list(var_list)
        for var in var_list:
            if not isinstance(var, Variable):
                raise TypeError("tf.train.ExponentialMovingAverage does not support "
                                "non-Variable tensors when eager execution is enabled.")
            if var.dtype not in (dtypes.float16, dtypes.bfloat16, dtypes.float32,
                                 dtypes.float64):
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
        entries = [self._shadow(var) for var in var_list]
        try:
            decay = convert_to_tensor(self._decay, dtypes.float32)
        except ValueError as e:  # TF names the argument it was converting
            raise ValueError(f"decay: {e}") from None
        if self._num_updates is not None:
            n = cast(convert_to_tensor(self._num_updates), dtypes.float32)
            decay = minimum(decay, (1.0 + n) / (10.0 + n))
        for var, shadow in entries:
            shadow.assign_sub((shadow - var.read_value()) * (1.0 - cast(decay, var.dtype)))
        return None

    def variables_to_restore(self, moving_avg_variables=None):
        """{average name: variable}, to restore averages into the variables (TF 1 style)."""
        chosen = [v for v, _ in self._averages.values()] if moving_avg_variables is None \
            else list(moving_avg_variables)
        return {self.average_name(v): v for v in chosen}
