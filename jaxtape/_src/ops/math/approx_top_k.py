"""`tf.math.approx_max_k`, `tf.math.approx_min_k` and `tf.approx_top_k`.

On the CPU TF's ApproxTopK is exact: its CPU kernel (max over the last axis)
is a top-k, and XLA's CPU lowering sorts. jaxtape computes that exact top-k
for every variant (min too, any `reduction_dimension`), ties going to the
lower index and NaN ranking above everything for the max; `recall_target`,
`reduction_input_size_override` and `aggregate_to_topk` change nothing, as
on the CPU kernel. The gradient scatters the values' cotangent back to the
chosen positions, as TF's registered gradient does.
"""
from __future__ import annotations

import collections

import jax
import jax.numpy as jnp

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import dims, kernel_dtype_name, op_error
from jaxtape._src.ops.support.args import host_int, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

ApproxTopK = collections.namedtuple("ApproxTopK", ["values", "indices"])

_SUMMARY = ("Op<name=ApproxTopK; signature=input:T -> values:T, indices:int32; attr=k:int,min=0; "
            "attr=reduction_dimension:int,default=-1; attr=recall_target:float,default=0.95; "
            "attr=is_max_k:bool,default=true; attr=reduction_input_size_override:int,default=-1; "
            "attr=aggregate_to_topk:bool,default=true; attr=T:type,allowed=[DT_HALF, DT_BFLOAT16, DT_FLOAT]>")


def _attr_error(text):
    return op_error(f"{text}\n\t; NodeDef: {{{{node ApproxTopK}}}}; {_SUMMARY}", "ApproxTopK")


def _approx_top_k(x, *, k, axis, largest):
    moved = jnp.moveaxis(x, axis, -1)
    key = jnp.where(moved == 0, jnp.zeros((), x.dtype), moved)  # -0.0 ties with 0.0
    if not largest:
        key = -key
    _, index = jax.lax.top_k(key, k)
    values = jnp.take_along_axis(moved, index, axis=-1)
    return jnp.moveaxis(values, -1, axis), jnp.moveaxis(index.astype(jnp.int32), -1, axis)


_prim = Primitive(_approx_top_k, "ApproxTopK", multiple_results=True)


def _top_k(input, k, reduction_dimension, recall_target, is_max_k, reduction_input_size_override,
           aggregate_to_topk):
    x = tensor(input)
    if x.dtype not in (dtypes.float16, dtypes.bfloat16, dtypes.float32):
        raise _attr_error(f"Value for attr 'T' of {kernel_dtype_name(x.dtype)} "
                          "is not in the list of allowed values: half, bfloat16, float")
    k = host_int(k)
    if k < 0:
        raise _attr_error(f"Value for attr 'k' of {k} must be at least minimum 0")
    dim = int(reduction_dimension)
    shape = x._value.shape
    if x.ndim < 1:
        raise op_error(f"input must be >= 1-D, got shape {dims(shape)}", "ApproxTopK")
    if not -x.ndim <= dim < x.ndim:
        raise op_error(f"Invalid reduction dimension: {dim}. Must be within the range of "
                       f"[{-x.ndim}, {x.ndim - 1}]", "ApproxTopK")
    if not (is_max_k and dim == -1) and not 0 <= float(recall_target) <= 1:  # the XLA kernel's check
        raise op_error(f"Invalid recall target: {float(recall_target):g}. Valid value range in : [0, 1.0].",
                       "ApproxTopK")
    axis = dim % x.ndim
    if shape[axis] < k:
        raise op_error(f"input must have at least k columns. Had {shape[axis]}, needed {k}", "ApproxTopK")
    values, indices = _prim(x, k=k, axis=axis, largest=bool(is_max_k))
    return ApproxTopK(values, indices)


@defined("approx_top_k", primitive=_prim)
def approx_top_k(input, k, reduction_dimension=-1, recall_target=0.95, is_max_k=True,  # noqa: A002
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """(values, indices) of the `k` largest (`is_max_k`) or smallest entries along
    `reduction_dimension`, sorted; exact, as TF's CPU kernel."""
    return _top_k(input, k, reduction_dimension, recall_target, is_max_k, reduction_input_size_override,
                  aggregate_to_topk)


@defined("math.approx_max_k", "nn.approx_max_k", primitive=_prim)
def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95, reduction_input_size_override=-1,
                 aggregate_to_topk=True, name=None):
    """(values, indices) of the `k` largest entries along `reduction_dimension` (exact on the CPU)."""
    return _top_k(operand, k, reduction_dimension, recall_target, True, reduction_input_size_override,
                  aggregate_to_topk)


@defined("math.approx_min_k", "nn.approx_min_k", primitive=_prim)
def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95, reduction_input_size_override=-1,
                 aggregate_to_topk=True, name=None):
    """(values, indices) of the `k` smallest entries along `reduction_dimension` (exact on the CPU)."""
    return _top_k(operand, k, reduction_dimension, recall_target, False, reduction_input_size_override,
                  aggregate_to_topk)
