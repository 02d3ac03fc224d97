"""`tf.dynamic_partition` and `tf.dynamic_stitch`.

Both have output shapes that depend on index values, so the indices are read
on the host once (inside `tf.function` they must be constants) and the ops
run as gathers over host-computed positions (`jit=False`).

dynamic_partition's gradient is TF's (a stitch of the gradients back to the
rows they came from; None for `partitions`), which is the gather's own.
dynamic_stitch's is TF's formula, not the derivative of the overwrite: each
data row gets the output gradient at its index, overwritten rows included.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.messages import dims, dtype_mismatch, named_by, op_error
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import host_array, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_PARTITION_SUMMARY = ("Op<name=DynamicPartition; signature=data:T, partitions:int32 -> "
                      "outputs:num_partitions*T; attr=num_partitions:int,min=1; attr=T:type>")


def _partition(data, order, *, inner, sizes):
    rows = data.reshape((-1,) + inner)[order]
    out, start = [], 0
    for n in sizes:
        out.append(rows[start:start + n])
        start += n
    return tuple(out)


_partition_prim = Primitive(_partition, "DynamicPartition", multiple_results=True, jit=False)


def _position(flat_index, shape) -> str:
    return ",".join(str(int(i)) for i in np.unravel_index(flat_index, shape)) if shape else ""


@defined("dynamic_partition", primitive=_partition_prim)
def dynamic_partition(data, partitions, num_partitions, name=None):
    """Splits `data` into `num_partitions` tensors by the index in `partitions`."""
    named = named_by(data, partitions)
    data = tensor(data)
    num = int(num_partitions)
    if num < 1:
        raise op_error(f"Value for attr 'num_partitions' of {num} must be at least minimum 1\n\t; "
                       f"NodeDef: {{{{node DynamicPartition}}}}; {_PARTITION_SUMMARY}",
                       "DynamicPartition", False)
    part = tensor(partitions, dtypes.int32) if not isinstance(partitions, Tensor) else partitions
    if part.dtype != dtypes.int32:
        raise dtype_mismatch("DynamicPartition", 1, dtypes.int32, part.dtype)
    pshape, dshape = tuple(part.shape.as_list()), tuple(data.shape.as_list())
    if dshape[:len(pshape)] != pshape:
        raise op_error(f"data.shape must start with partitions.shape, got data.shape = {dims(dshape)}, "
                       f"partitions.shape = {dims(pshape)}", "DynamicPartition", named)
    p = host_array(part, "tf.dynamic_partition", "partitions").reshape(-1)
    bad = np.flatnonzero((p < 0) | (p >= num))
    if bad.size:
        i = bad[0]
        raise op_error(f"partitions[{_position(i, pshape)}] = {int(p[i])} is not in [0, {num})",
                       "DynamicPartition", named)
    order = np.argsort(p, kind="stable").astype(np.int32)
    sizes = tuple(int(n) for n in np.bincount(p, minlength=num))
    if isinstance(data, StringTensor):  # strings live on the host: move them there
        rows = data._value.reshape((-1,) + dshape[len(pshape):])[order]
        return [_strings(part) for part in np.split(rows, np.cumsum(sizes)[:-1])]
    return list(_partition_prim(data, tensor(order), inner=dshape[len(pshape):], sizes=sizes))


def _strings(array):
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return StringTensor(array)


def _stitch_fn(n):
    """The stitch of `n` data tensors: `fn(positions, *data)` with TF's gradient."""
    @jax.custom_vjp
    def stitch(source, gathers, *data):
        rows = jnp.concatenate(data, axis=0)
        padded = jnp.concatenate([rows, jnp.zeros((1,) + rows.shape[1:], rows.dtype)], axis=0)
        return padded[source]

    def fwd(source, gathers, *data):
        return stitch(source, gathers, *data), (gathers, [d.shape[0] for d in data])

    def bwd(res, g):
        gathers, counts = res
        picked = g[gathers]
        out, start = [], 0
        for c in counts:
            out.append(picked[start:start + c])
            start += c
        return (None, None, *out)

    stitch.defvjp(fwd, bwd)
    return stitch


_STITCH = {}


def _stitch(source, gathers, *data, shapes):
    fn = _STITCH.get(len(data))
    if fn is None:
        fn = _STITCH[len(data)] = _stitch_fn(len(data))
    rows = [d.reshape(s) for d, s in zip(data, shapes)]
    return fn(source, gathers, *rows)


def _stitch_graded(source, gathers, *data, shapes, out_shapes):
    flat = _stitch(source, gathers, *data, shapes=shapes)
    return flat.reshape(out_shapes)


_stitch_prim = Primitive(_stitch_graded, "DynamicStitch", jit=False)


@defined("dynamic_stitch", primitive=_stitch_prim)
def dynamic_stitch(indices, data, name=None):
    """Interleaves `data[m][i]` into row `indices[m][i]` of one tensor (later ones win)."""
    if len(data) != len(indices):
        raise ValueError(f"List argument 'data' to 'dynamic_stitch' Op with length {len(data)} must "
                         f"match length {len(indices)} of argument 'indices'.")
    named = not any(isinstance(x, (list, tuple)) for x in list(indices) + list(data))
    n = len(indices)
    if n == 0:
        raise op_error("OpKernel 'DynamicStitch' has constraint on attr 'T' not in NodeDef '[N=0]', "
                       "KernelDef: 'goo.gle/debugonly  op: \"DynamicStitch\" device_type: \"CPU\" "
                       "constraint { name: \"T\" allowed_values { list { type: DT_QINT32 } } } "
                       "host_memory_arg: \"indices\"'", "DynamicStitch")
    idx = []
    for k, i in enumerate(indices):
        t = i if isinstance(i, Tensor) else tensor(i, dtypes.int32)
        if t.dtype != dtypes.int32:
            raise dtype_mismatch("DynamicStitch", k, dtypes.int32, t.dtype)
        idx.append(t)
    first = data[0] if isinstance(data[0], Tensor) else tensor(data[0])
    vals = [first]
    for k, d in enumerate(data[1:], 1):
        t = d if isinstance(d, Tensor) else tensor(d, first.dtype)
        if t.dtype != first.dtype:
            raise dtype_mismatch("DynamicStitch", n + k, first.dtype, t.dtype)
        vals.append(t)
    ishapes = [tuple(t.shape.as_list()) for t in idx]
    dshapes = [tuple(t.shape.as_list()) for t in vals]
    for m, (i_s, d_s) in enumerate(zip(ishapes, dshapes)):
        if d_s[:len(i_s)] != i_s:
            raise op_error(f"data[{m}].shape = {dims(d_s)} does not start with indices[{m}].shape = "
                           f"{dims(i_s)}", "DynamicStitch", named)
    inner = dshapes[0][len(ishapes[0]):]
    for m in range(1, n):
        if dshapes[m][len(ishapes[m]):] != inner:
            raise op_error(f"Need data[0].shape[{len(ishapes[0])}:] = data[{m}].shape[{len(ishapes[m])}:], "
                           f"got data[0].shape = {dims(dshapes[0])}, data[{m}].shape = {dims(dshapes[m])}, "
                           f"indices[0].shape = {dims(ishapes[0])}, indices[{m}].shape = {dims(ishapes[m])}",
                           "DynamicStitch", named)
    flat = [host_array(t, "tf.dynamic_stitch", "indices").reshape(-1).astype(np.int64) for t in idx]
    allidx = np.concatenate(flat) if flat else np.zeros(0, np.int64)
    rows_out = int(allidx.max()) + 1 if allidx.size else 0
    for m, f in enumerate(flat):
        bad = np.flatnonzero(f < 0)
        if bad.size:
            raise op_error(f"indices[{int(bad[0])}] is out of range", "DynamicStitch", named)
    total = allidx.size
    source = np.full(rows_out, total, np.int32)  # the zero row past the data's rows
    source[allidx] = np.arange(total, dtype=np.int32)  # later writes win, as in TF's loop
    shapes = tuple((int(f.size),) + inner for f in flat)
    if isinstance(first, StringTensor):
        rows = np.concatenate([v._value.reshape(s) for v, s in zip(vals, shapes)]
                              + [np.full((1,) + inner, b"", object)])
        return _strings(rows[source])
    return _stitch_prim(tensor(source), tensor(allidx.astype(np.int32)), *vals, shapes=shapes,
                        out_shapes=(rows_out,) + inner)
