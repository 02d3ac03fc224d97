"""TF names for the framework's classes and values (tensors, dtypes, errors)."""
from __future__ import annotations

from jaxtape._src.framework.exports import export, export_value
from jaxtape._src.framework import dtypes
from jaxtape._src.framework import errors
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.framework.tensor_shape import Dimension, TensorShape
from jaxtape._src.framework.variables import Variable, VariableAggregation, VariableSynchronization
from jaxtape._src.tape.gradient_tape import GradientTape, UnconnectedGradients

export_value(Tensor, "Tensor", "types.experimental.Tensor")
export_value(is_tensor, "is_tensor")
export_value(TensorShape, "TensorShape")
export_value(Dimension, "compat.v1.Dimension")
export_value(Variable, "Variable")
export_value(VariableAggregation, "VariableAggregation")
export_value(VariableSynchronization, "VariableSynchronization")
export_value(GradientTape, "GradientTape", "autodiff.GradientTape",
             "python.eager.backprop.GradientTape")
export_value(UnconnectedGradients, "UnconnectedGradients")

export_value(dtypes.DType, "dtypes.DType", "DType")
export_value(dtypes.as_dtype, "dtypes.as_dtype", "as_dtype")
for _d in dtypes.ALL:
    export_value(_d, _d.name, f"dtypes.{_d.name}")
export_value(dtypes.float64, "double", "dtypes.double")
export_value(dtypes.float16, "half", "dtypes.half")

for _name in dir(errors):
    _obj = getattr(errors, _name)
    if isinstance(_obj, type) and issubclass(_obj, errors.OpError):
        export_value(_obj, f"errors.{_name}")


@export("executing_eagerly")
def executing_eagerly():
    """True outside `tf.function` tracing, as in TF 2."""
    from jaxtape._src.framework.state import local
    return local.tracing == 0


@export("compat.v1.enable_eager_execution", "compat.v1.enable_v2_behavior")
def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    """Eager execution is always on in jaxtape; kept so TF 1-style scripts run."""


@export("get_static_value")
def get_static_value(tensor, partial=False):
    return None if tensor is None else tensor.numpy()
