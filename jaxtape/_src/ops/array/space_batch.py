"""Moving blocks of space into depth or batch and back: `tf.nn.space_to_depth`,
`tf.nn.depth_to_space`, `tf.space_to_batch(_nd)`, `tf.batch_to_space` (and
their `tf.compat.v1` spellings).

Each is one reshape-transpose-reshape (with a pad or a crop for the batch
ops), so JAX's VJP of it is TF's gradient (the inverse op of the cotangent).
The checks are TF's CPU kernels', in their order: SpaceToDepth and
DepthToSpace register NHWC only on the CPU, and SpaceToBatchND and
BatchToSpaceND no bool, complex or string kernel there (TF's NotFoundError
lists the kernels it has). `block_shape`, `paddings` and `crops` are read
on the host, as the kernels read them.
"""
from __future__ import annotations

import numpy as np
import jax.numpy as jnp

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import NotFoundError
from jaxtape._src.framework.messages import attr_not_allowed, dims, kernel_dtype_name, named_by, op_error
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.framework.tensor import is_tensor
from jaxtape._src.ops.strings.host import by_index
from jaxtape._src.ops.support.args import host_array, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

# What the XLA device registers: TF prints it first in every NotFoundError below.
_XLA_TYPES = ("DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_COMPLEX64, DT_INT64, "
              "DT_BOOL, DT_QINT8, DT_QUINT8, DT_QINT32, DT_BFLOAT16, DT_UINT16, DT_COMPLEX128, "
              "DT_HALF, DT_UINT32, DT_UINT64, DT_FLOAT8_E5M2, DT_FLOAT8_E4M3FN, DT_FLOAT8_E4M3FNUZ, "
              "DT_FLOAT8_E4M3B11FNUZ, DT_FLOAT8_E5M2FNUZ, DT_INT4, DT_UINT4")


def dt_name(dtype) -> str:
    """`float32` -> `DT_FLOAT`, as TF's NodeDefs name dtypes."""
    return "DT_" + kernel_dtype_name(dtype).upper()


def kernel_not_found(op: str, node_attrs: str, kernels: str, named: bool) -> NotFoundError:
    """TF's eager error for an op with no kernel for these attributes on the CPU.

    node_attrs: the NodeDef's attributes (`T=DT_BOOL, ...`); kernels: the
    "All kernels registered" lines, as TF prints them.
    """
    return NotFoundError(None, None, f"Could not find device for node: {{{{node {op}}}}} = {op}"
                         f"[{node_attrs}]\nAll kernels registered for op {op}:\n{kernels} [Op:{op}]"
                         + (" name: " if named else ""))


# -- space_to_depth / depth_to_space ----------------------------------------------------------

_D2S_CPU = ("string", "bool", "complex128", "complex64", "double", "float", "bfloat16", "half",
            "int32", "int8", "uint8", "int16", "uint16", "uint32", "int64", "uint64")


def _depth_kernels(op):
    cpu = ("qint8", "variant", "resource") if op == "SpaceToDepth" else ("variant", "resource")
    return (f"  device='XLA_CPU_JIT'; T in [{_XLA_TYPES}]\n" + "".join(
        f"  device='CPU'; T in [DT_{t.upper()}]; data_format in [\"NHWC\"]\n" for t in cpu + _D2S_CPU))


def _depth_summary(op):
    return (f"Op<name={op}; signature=input:T -> output:T; attr=T:type; attr=block_size:int,min=2; "
            'attr=data_format:string,default="NHWC",allowed=["NHWC", "NCHW", "NCHW_VECT_C"]>')


@primitive(name="SpaceToDepth")
def _space_to_depth(x, *, block):
    n, h, w, c = x.shape
    x = x.reshape(n, h // block, block, w // block, block, c)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(n, h // block, w // block, block * block * c)


@primitive(name="DepthToSpace")
def _depth_to_space(x, *, block):
    n, h, w, c = x.shape
    x = x.reshape(n, h, w, block, block, c // (block * block))
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(n, h * block, w * block, c // (block * block))


def int_attr(value, arg: str) -> int:
    """An int attribute as TF's op wrappers read it (a float is truncated, a
    scalar tensor read; anything else is their TypeError)."""
    if is_tensor(value):
        value = host_array(value, arg).item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"Expected int for argument '{arg}' not {value!r}.")
    return int(value)


def _block_op(op, fn, input, block_size, data_format, what):  # noqa: A002
    x = tensor(input)
    named = named_by(input)
    block = int_attr(block_size, "block_size")
    fmt = "NHWC" if data_format is None else data_format
    if fmt not in ("NHWC", "NCHW", "NCHW_VECT_C"):
        raise attr_not_allowed(op, "data_format", f'"{fmt}"', '"NHWC", "NCHW", "NCHW_VECT_C"',
                               _depth_summary(op), named)
    if block < 2:
        raise op_error(f"Value for attr 'block_size' of {block} must be at least minimum 2\n\t; "
                       f"NodeDef: {{{{node {op}}}}}; {_depth_summary(op)}", op, named)
    if fmt != "NHWC":
        raise kernel_not_found(op, f'T={dt_name(x.dtype)}, block_size={block}, data_format="{fmt}"',
                               _depth_kernels(op), named)
    shape = x._value.shape
    if op == "SpaceToDepth":
        if len(shape) != 4:
            raise op_error(f"Input rank should be 4 instead of {len(shape)}", op, named)
        if shape[1] % block or shape[2] % block:
            raise op_error(f"Image width {shape[2]} and height {shape[1]} should be divisible by "
                           f"block_size: {block}", op, named)
    else:
        if len(shape) != 4:
            raise op_error(f"Input rank should be: 4 instead of: {len(shape)}", op, named)
        if shape[3] % (block * block):
            raise op_error(f"Input depth dimension {shape[3]} should be divisible by: "
                           f"{block * block}", op, named)
    if isinstance(x, StringTensor):  # TF has string kernels: move the strings by index
        return by_index(lambda input: fn(input, block=block), ("input",), what)(x)
    return fn(x, block=block)


@defined("nn.space_to_depth", primitive=_space_to_depth)
def space_to_depth(input, block_size, data_format="NHWC", name=None):  # noqa: A002
    """Each `block_size` x `block_size` block of an NHWC image becomes one pixel's depth."""
    return _block_op("SpaceToDepth", _space_to_depth, input, block_size, data_format, "tf.nn.space_to_depth")


@defined("nn.depth_to_space", primitive=_depth_to_space)
def depth_to_space(input, block_size, data_format="NHWC", name=None):  # noqa: A002
    """The inverse of `space_to_depth`: depth becomes `block_size` x `block_size` blocks."""
    return _block_op("DepthToSpace", _depth_to_space, input, block_size, data_format, "tf.nn.depth_to_space")


@defined("compat.v1.space_to_depth", "compat.v1.nn.space_to_depth")
def space_to_depth_v1(input, block_size, name=None, data_format="NHWC"):  # noqa: A002
    return space_to_depth(input, block_size, data_format)


@defined("compat.v1.depth_to_space", "compat.v1.nn.depth_to_space")
def depth_to_space_v1(input, block_size, name=None, data_format="NHWC"):  # noqa: A002
    return depth_to_space(input, block_size, data_format)


# -- space_to_batch / batch_to_space ----------------------------------------------------------

_S2B, _B2S = "SpaceToBatchND", "BatchToSpaceND"
_BATCH_CPU = ("DOUBLE", "FLOAT", "BFLOAT16", "HALF", "INT32", "INT8", "UINT8", "INT16", "UINT16",
              "UINT32", "INT64", "UINT64")
_BATCH_TYPES = frozenset(("float64", "float32", "bfloat16", "float16", "int32", "int8", "uint8", "int16",
                          "uint16", "uint32", "int64", "uint64"))
_MAX_BLOCK_DIMS = 4  # TF's kernels move at most 4 block dims that are not trivial


def _batch_summary(op, third):
    return (f"Op<name={op}; signature=input:T, block_shape:Tblock_shape, {third}:T{third} -> output:T; "
            "attr=T:type; attr=Tblock_shape:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]; "
            f"attr=T{third}:type,default=DT_INT32,allowed=[DT_INT32, DT_INT64]>")


def _int_operand(value, op, attr, third, named):
    """block_shape / paddings / crops: an int32 or int64 tensor, read on the host."""
    if not is_tensor(value):
        value = tensor(value, dtypes.int32) if np.size(value) == 0 else tensor(value)
    t = tensor(value)
    if t.dtype not in (dtypes.int32, dtypes.int64):
        raise attr_not_allowed(op, attr, kernel_dtype_name(t.dtype), "int32, int64",
                               _batch_summary(op, third), named)
    return t.dtype, host_array(t, op).astype(np.int64)


def _wrapping_product(values):
    """The product in int64 arithmetic (TF's kernels overflow, then report 0 or a sign)."""
    p = 1
    for v in values:
        p = (p * int(v) + 2 ** 63) % 2 ** 64 - 2 ** 63
    return p


def _batch_args(op, input, block_shape, pairs, third):  # noqa: A002
    """Checks shared by both ops; returns (x, block values, pairs as M x 2)."""
    named = named_by(input, block_shape, pairs)
    x = tensor(input)
    block_dtype, block = _int_operand(block_shape, op, "Tblock_shape", third, named)
    pair_dtype, pair = _int_operand(pairs, op, f"T{third}", third, named)
    if x.dtype.name not in _BATCH_TYPES:
        kernels = (f"  device='XLA_CPU_JIT'; T{third} in [DT_INT32, DT_INT64]; Tblock_shape in "
                   f"[DT_INT32, DT_INT64]; T in [{_XLA_TYPES}]\n"
                   + "".join(f"  device='CPU'; T in [DT_{t}]\n" for t in _BATCH_CPU))
        raise kernel_not_found(op, f"T={dt_name(x.dtype)}, Tblock_shape={dt_name(block_dtype)}, "
                               f"T{third}={dt_name(pair_dtype)}", kernels, named)
    if block.ndim != 1:
        raise op_error(f"block_shape rank should be 1 instead of {block.ndim}", op, named)
    m = block.shape[0]
    shape = x._value.shape
    if len(shape) < 1 + m:
        raise op_error(f"input rank should be >= {1 + m} instead of {len(shape)}", op, named)
    if pair.ndim != 2 or pair.shape[0] != m or pair.shape[1] != 2:
        raise op_error(f"{third} should have shape [{m}, 2] instead of {dims(pair.shape)}", op, named)
    return x, block, pair, named


def _moved_dims(block, pair):
    """How many block dims TF's kernel really moves: leading and trailing ones
    with block 1 and no padding (or crop) fold into the batch or the depth."""
    trivial = [b == 1 and p[0] == 0 and p[1] == 0 for b, p in zip(block, pair)]
    lead = next((i for i, t in enumerate(trivial) if not t), len(trivial))
    tail = next((i for i, t in enumerate(reversed(trivial)) if not t), len(trivial))
    return max(len(trivial) - lead - tail, 0)


@primitive(name=_S2B)
def _space_to_batch(x, *, block, paddings):
    m = len(block)
    x = jnp.pad(x, ((0, 0),) + paddings + ((0, 0),) * (x.ndim - 1 - m))
    n, spatial, rest = x.shape[0], x.shape[1:m + 1], x.shape[m + 1:]
    split = [n]
    for size, b in zip(spatial, block):
        split += [size // b, b]
    x = x.reshape(split + list(rest))
    # [n, s0/b0, b0, s1/b1, b1, ...] -> [b0, b1, ..., n, s0/b0, s1/b1, ...]
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    perm += list(range(1 + 2 * m, x.ndim))
    x = x.transpose(perm)
    return x.reshape([n * int(np.prod(block, dtype=np.int64))] + [s // b for s, b in zip(spatial, block)]
                     + list(rest))


@primitive(name=_B2S)
def _batch_to_space(x, *, block, crops):
    m = len(block)
    n = x.shape[0] // int(np.prod(block, dtype=np.int64))
    spatial, rest = x.shape[1:m + 1], x.shape[m + 1:]
    x = x.reshape(list(block) + [n] + list(spatial) + list(rest))
    # [b0, ..., n, s0, s1, ...] -> [n, s0, b0, s1, b1, ...]
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += list(range(2 * m + 1, x.ndim))
    x = x.transpose(perm).reshape([n] + [s * b for s, b in zip(spatial, block)] + list(rest))
    index = (slice(None),) + tuple(slice(lo, s * b - hi) for (lo, hi), s, b in zip(crops, spatial, block))
    return x[index]


@defined("space_to_batch_nd", "compat.v1.space_to_batch_nd", primitive=_space_to_batch)
def space_to_batch_nd(input, block_shape, paddings, name=None):  # noqa: A002
    """Zero-pads the `M` dims after the batch, then moves each `block_shape`
    block of them into the batch (block offsets outermost)."""
    x, block, pad, named = _batch_args(_S2B, input, block_shape, paddings, "paddings")
    for i, b in enumerate(block):
        if b < 1:
            raise op_error(f"All values in block_shape must be positive, got value, {b} at index "
                           f"{i}.", _S2B, named)
    product = _wrapping_product(block)
    if product <= 0:
        raise op_error(f"Product of block sizes must be positive, got {product}", _S2B, named)
    moved = _moved_dims(block, pad)
    if moved > _MAX_BLOCK_DIMS:
        raise op_error(f"Maximum number of non-combined block dimensions is {moved} but must not "
                       f"exceed {_MAX_BLOCK_DIMS}", _S2B, named)
    shape = x._value.shape
    for i, ((lo, hi), b) in enumerate(zip(pad, block)):
        if lo < 0 or hi < 0:
            raise op_error("Paddings must be non-negative", _S2B, named)
        padded = shape[i + 1] + lo + hi
        if padded % b:
            raise op_error(f"padded_shape[{i}]={padded} is not divisible by block_shape[{i}]={b}",
                           _S2B, named)
    return _space_to_batch(x, block=tuple(int(b) for b in block),
                           paddings=tuple((int(lo), int(hi)) for lo, hi in pad))


@defined("space_to_batch", "nn.space_to_batch")
def space_to_batch(input, block_shape, paddings, name=None):  # noqa: A002
    return space_to_batch_nd(input, block_shape, paddings)


@defined("compat.v1.batch_to_space_nd", primitive=_batch_to_space)
def batch_to_space_nd(input, block_shape, crops, name=None):  # noqa: A002
    """The inverse of `space_to_batch_nd`: batch blocks go back into space, then `crops` are cut."""
    x, block, crop, named = _batch_args(_B2S, input, block_shape, crops, "crops")
    product = _wrapping_product(block)
    if product <= 0:
        raise op_error(f"Product of block sizes must be positive, got {product}", _B2S, named)
    moved = _moved_dims(block, crop)
    if moved > _MAX_BLOCK_DIMS:
        raise op_error(f"Maximum number of non-combined block dimensions is {moved} but must not "
                       f"exceed {_MAX_BLOCK_DIMS}", _B2S, named)
    shape = x._value.shape
    if shape[0] % product:
        raise op_error(f"Input batch dimension ({shape[0]}) is not divisible by product of block "
                       f"sizes ({product})", _B2S, named)
    for i, ((lo, hi), b) in enumerate(zip(crop, block)):
        if lo < 0 or hi < 0:
            raise op_error("Crops must be non-negative", _B2S, named)
        cropped = shape[i + 1] * b - lo - hi
        if cropped < 0:
            raise op_error(f"cropped_shape[{i}]={cropped} must be non-negative", _B2S, named)
    return _batch_to_space(x, block=tuple(int(b) for b in block),
                           crops=tuple((int(lo), int(hi)) for lo, hi in crop))


@defined("batch_to_space")
def batch_to_space(input, block_shape, crops, name=None):  # noqa: A002
    """`batch_to_space_nd`; an int `block_shape` means the same block in two dims (TF 1's form)."""
    if isinstance(block_shape, int):
        block_shape = np.array([block_shape, block_shape], np.int64)
    return batch_to_space_nd(input, block_shape, crops)


def _v1_block(block_size, block_shape):
    if block_shape is not None:
        if block_size is not None:
            raise ValueError("Cannot specify both 'block_size' and 'block_shape'.")
        block_size = block_shape
    return np.array([block_size, block_size], np.int64)


def _rank_4(result):
    if result.ndim != 4:  # TF sets the static shape to rank 4
        raise ValueError(f"Shape {result.shape} must have rank 4")
    return result


@defined("compat.v1.space_to_batch", "compat.v1.nn.space_to_batch")
def space_to_batch_v1(input, paddings, block_size=None, name=None, block_shape=None):  # noqa: A002
    """TF 1's form: one square `block_size` over the two dims after the batch."""
    return _rank_4(space_to_batch_nd(input, _v1_block(block_size, block_shape), paddings))


@defined("compat.v1.batch_to_space")
def batch_to_space_v1(input, crops, block_size, name=None, block_shape=None):  # noqa: A002
    return _rank_4(batch_to_space_nd(input, _v1_block(block_size, block_shape), crops))
