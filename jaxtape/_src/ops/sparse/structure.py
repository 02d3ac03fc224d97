"""`tf.sparse.map_values`, `expand_dims`, `transpose`, `retain` and `mask`."""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.indexed_slices import IndexedSlices
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.ops.array.gather import gather
from jaxtape._src.ops.sparse.conversion import host_indices, host_shape, reorder


@export("sparse.map_values")
def map_values(op, *args, **kwargs):
    """`op` applied to the values of the SparseTensor arguments (which share indices)."""
    sparse = [a for a in list(args) + list(kwargs.values()) if isinstance(a, SparseTensor)]
    if not sparse:
        raise ValueError("No SparseTensor in argument list of map_values")
    first = host_indices(sparse[0])
    for other in sparse[1:]:
        if not np.array_equal(host_indices(other), first):
            raise ValueError("SparseTensors have incompatible indices")

    def unwrap(a):
        return a.values if isinstance(a, SparseTensor) else a
    values = op(*map(unwrap, args), **{k: unwrap(v) for k, v in kwargs.items()})
    return sparse[0].with_values(values)


@export("sparse.expand_dims")
def expand_dims(sp_input, axis=None, name=None):
    sp = SparseTensor.from_value(sp_input)
    shape, indices = host_shape(sp), host_indices(sp)
    axis = -1 if axis is None else int(axis)
    at = axis % (len(shape) + 1)
    return SparseTensor(np.insert(indices, at, 0, axis=1), sp.values,
                        np.insert(np.array(shape, np.int64), at, 1))


@export("sparse.transpose")
def transpose(sp_input, perm=None, name=None):
    """Axes permuted (reversed if `perm` is None); the result is reordered, as TF's."""
    sp = SparseTensor.from_value(sp_input)
    shape, indices = host_shape(sp), host_indices(sp)
    perm = list(range(len(shape)))[::-1] if perm is None else [int(p) for p in perm]
    return reorder(SparseTensor(indices[:, perm], sp.values,
                                np.array(shape, np.int64)[perm]))


@export("sparse.retain")
def retain(sp_input, to_retain):
    """Only the entries where the boolean vector `to_retain` is true."""
    sp = SparseTensor.from_value(sp_input)
    keep = np.flatnonzero(np.asarray(convert_to_tensor(to_retain).numpy()))
    return SparseTensor(host_indices(sp)[keep],
                        gather(sp.values, convert_to_tensor(keep.astype(np.int64))),
                        sp.dense_shape)


@export("sparse.mask")
def mask(a, mask_indices, name=None):
    """The rows of IndexedSlices `a` whose indices are not in `mask_indices`."""
    indices = a.indices
    kept = ~np.isin(np.asarray(indices.numpy()),
                    np.asarray(convert_to_tensor(mask_indices).numpy()))
    where = np.nonzero(kept)[0].astype(np.asarray(indices.numpy()).dtype)
    return IndexedSlices(gather(a.values, where),
                         gather(indices, where), a.dense_shape)
