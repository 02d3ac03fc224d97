"""TF names for the framework's classes and values (tensors, dtypes, errors)."""
from __future__ import annotations

from jaxtape._src.framework.exports import export, export_value
from jaxtape._src.framework import dtypes
from jaxtape._src.framework import errors
from jaxtape._src.framework import module  # noqa: F401 - registers tf.Module
from jaxtape._src.framework import name_scope  # noqa: F401 - registers tf.name_scope
from jaxtape._src.framework import tf_logging  # noqa: F401 - registers tf.get_logger
from jaxtape._src.framework.state import local
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
export_value(dtypes.float16, "float16", "dtypes.float16")
export_value(dtypes.bfloat16, "bfloat16", "dtypes.bfloat16")
export_value(dtypes.float32, "float32", "dtypes.float32")
export_value(dtypes.float64, "float64", "dtypes.float64")
export_value(dtypes.complex64, "complex64", "dtypes.complex64")
export_value(dtypes.complex128, "complex128", "dtypes.complex128")
export_value(dtypes.int8, "int8", "dtypes.int8")
export_value(dtypes.int16, "int16", "dtypes.int16")
export_value(dtypes.int32, "int32", "dtypes.int32")
export_value(dtypes.int64, "int64", "dtypes.int64")
export_value(dtypes.uint8, "uint8", "dtypes.uint8")
export_value(dtypes.uint16, "uint16", "dtypes.uint16")
export_value(dtypes.uint32, "uint32", "dtypes.uint32")
export_value(dtypes.uint64, "uint64", "dtypes.uint64")
export_value(dtypes.bool, "bool", "dtypes.bool")
export_value(dtypes.float64, "double", "dtypes.double")
export_value(dtypes.float16, "half", "dtypes.half")

export_value(errors.AbortedError, "errors.AbortedError")
export_value(errors.AlreadyExistsError, "errors.AlreadyExistsError")
export_value(errors.CancelledError, "errors.CancelledError")
export_value(errors.DataLossError, "errors.DataLossError")
export_value(errors.DeadlineExceededError, "errors.DeadlineExceededError")
export_value(errors.FailedPreconditionError, "errors.FailedPreconditionError")
export_value(errors.InternalError, "errors.InternalError")
export_value(errors.InvalidArgumentError, "errors.InvalidArgumentError")
export_value(errors.NotFoundError, "errors.NotFoundError")
export_value(errors.OpError, "errors.OpError")
export_value(errors.OutOfRangeError, "errors.OutOfRangeError")
export_value(errors.PermissionDeniedError, "errors.PermissionDeniedError")
export_value(errors.ResourceExhaustedError, "errors.ResourceExhaustedError")
export_value(errors.UnauthenticatedError, "errors.UnauthenticatedError")
export_value(errors.UnavailableError, "errors.UnavailableError")
export_value(errors.UnimplementedError, "errors.UnimplementedError")
export_value(errors.UnknownError, "errors.UnknownError")


@export("executing_eagerly")
def executing_eagerly():
    """True outside `tf.function` tracing, as in TF 2."""
    return local.tracing == 0


@export("inside_function")
def inside_function():
    """True while `tf.function` traces a body (TF: building a function graph);
    False eagerly and under `tf.init_scope`, which leaves the trace."""
    return local.tracing != 0


@export("compat.v1.enable_eager_execution", "compat.v1.enable_v2_behavior")
def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    """Eager execution is always on in jaxtape; kept so TF 1-style scripts run."""


@export("get_static_value")
def get_static_value(tensor, partial=False):
    return None if tensor is None else tensor.numpy()
