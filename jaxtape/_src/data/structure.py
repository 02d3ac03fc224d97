"""An element's nesting: turning user values into flat host arrays and back.

tf.data's conventions, which differ from `tf.nest`: tuples, namedtuples and
dicts are structure, a Python list is one tensor (`from_tensor_slices([1, 2])`
slices a vector), and a list returned by a `map` function becomes a tuple.
"""
from __future__ import annotations

import jax
import numpy as np
from jax import tree_util

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.nest import pack_like
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.strings import StringTensor, bytes_array
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.data.spec import spec_of


def _is_leaf(x) -> bool:
    return x is None or not isinstance(x, (tuple, dict))


def int64_arg(value, name: str) -> int:
    """A scalar count or size as TF's datasets convert it: to int64, so `1.5`
    (TypeError) or an int32 tensor (ValueError naming `name`) is TF's error."""
    return int(convert_to_tensor(value, dtype=dtypes.int64, name=name).numpy())


def to_host(value, copy: bool = False, device_ok: bool = False):
    """One leaf as a NumPy array, with TF's conversion rules for Python values.

    `copy`: a caller's NumPy array is copied (a source must not change when the
    caller later writes to its array, as a TF constant would not)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "USO":  # text: an object array of bytes (read-only, so no copy)
            return bytes_array(value)
        if copy:
            value = value.copy()
            value.flags.writeable = False
        return value
    if isinstance(value, StringTensor):
        return value._value
    if isinstance(value, Tensor):
        if isinstance(value._value, jax.core.Tracer) and not device_ok:
            raise NotImplementedInJaxtape(
                "jaxtape does not implement a tf.data.Dataset made inside tf.function from "
                "the function's tensors: make the dataset outside and pass it in")
        return value._value if device_ok else np.asarray(value._value)
    read = getattr(value, "_read_for_op", None)
    if read is not None:  # a Variable
        return np.asarray(read()._value)
    if isinstance(value, list) and value and all(isinstance(v, (np.ndarray, np.generic)) for v in value):
        return np.asarray(value)  # NumPy arrays keep their dtype (a float64 stays float64)
    return np.asarray(convert_to_tensor(value)._value)


def normalize(value, lists_are_tuples: bool = False, copy: bool = False, device_ok: bool = False):
    """Converts every leaf of a user structure to host arrays (Datasets stay).

    `device_ok`: a Tensor's JAX array is kept as it is (a map function's
    output, handed on without a round trip through NumPy)."""
    from jaxtape._src.data.dataset import Dataset  # late: a cycle, dataset.py builds on this module
    if isinstance(value, dict):
        out = type(value)() if type(value) is not dict else {}
        for k in value:
            out[k] = normalize(value[k], lists_are_tuples, copy, device_ok)
        return out
    if isinstance(value, tuple):
        items = [normalize(v, lists_are_tuples, copy, device_ok) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if lists_are_tuples and isinstance(value, list):
        return tuple(normalize(v, lists_are_tuples, copy, device_ok) for v in value)
    if isinstance(value, Dataset):
        return value
    if value is None:
        raise TypeError("tf.data elements cannot contain None")
    if isinstance(value, SparseTensor):
        raise NotImplementedInJaxtape("jaxtape does not implement tf.SparseTensor elements in "
                                      "tf.data (make them dense in the map: tf.sparse.to_dense)")
    if isinstance(value, RaggedTensor):
        raise NotImplementedInJaxtape("jaxtape does not implement tf.RaggedTensor elements in "
                                      "tf.data (make them dense in the map: .to_tensor())")
    return to_host(value, copy, device_ok)


class Structure:
    """The nesting of an element plus the spec of each of its flat leaves."""

    __slots__ = ("treedef", "template", "specs", "pure")

    def __init__(self, treedef, template, specs):
        self.treedef = treedef
        self.template = template
        self.specs = list(specs)
        self.pure = False  # set by `functions.infer`: a map function that may be vectorized

    @classmethod
    def of(cls, value):
        """The structure of a normalized element (`normalize`'s output)."""
        leaves, treedef = tree_util.tree_flatten(value, is_leaf=_is_leaf)
        return cls(treedef, value, [spec_of(leaf) for leaf in leaves])

    @classmethod
    def from_specs(cls, spec_structure):
        leaves, treedef = tree_util.tree_flatten(spec_structure, is_leaf=_is_leaf)
        return cls(treedef, spec_structure, leaves)

    def with_specs(self, specs) -> "Structure":
        return Structure(self.treedef, self.template, specs)

    def flatten(self, value) -> list:
        return tree_util.tree_leaves(value, is_leaf=_is_leaf)

    def pack(self, leaves):
        return pack_like(self.template, tree_util.tree_unflatten(self.treedef, list(leaves)))

    @property
    def element_spec(self):
        return self.pack(self.specs)

    def same_nesting(self, other: "Structure") -> bool:
        return self.treedef == other.treedef

    def __len__(self):
        return len(self.specs)


def map_leaves(fn, value):
    """`value` with each leaf replaced by `fn(leaf)`, keeping dict order and namedtuples."""
    if isinstance(value, dict):
        out = type(value)() if type(value) is not dict else {}
        for k in value:
            out[k] = map_leaves(fn, value[k])
        return out
    if isinstance(value, tuple):
        items = [map_leaves(fn, v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return fn(value)


def flat_of(value) -> tuple:
    return tuple(tree_util.tree_leaves(value, is_leaf=_is_leaf))


def to_tensor(leaf):
    """A leaf as the Tensor user code sees (a Dataset leaf stays a Dataset).

    `device_put` rather than `jnp.asarray`: a tenth of the cost for a batch."""
    if isinstance(leaf, np.ndarray):
        return StringTensor(leaf) if leaf.dtype == object else Tensor(jax.device_put(leaf))
    if isinstance(leaf, jax.Array):
        return Tensor(leaf)
    return leaf


def to_tensors(leaves) -> list:
    """`to_tensor` of each leaf, with one transfer for all the NumPy ones: each
    `device_put` call has a fixed cost of the order of a 400 KB copy."""
    host = [leaf for leaf in leaves if isinstance(leaf, np.ndarray) and leaf.dtype != object]
    if len(host) < 2:
        return [to_tensor(leaf) for leaf in leaves]
    put = iter(jax.device_put(host))
    return [Tensor(next(put)) if isinstance(leaf, np.ndarray) and leaf.dtype != object
            else to_tensor(leaf) for leaf in leaves]


def to_numpy(leaf):
    """A leaf as `as_numpy_iterator` yields it: scalars as NumPy scalars."""
    if isinstance(leaf, jax.Array):
        leaf = np.asarray(leaf)
    if isinstance(leaf, np.ndarray):
        return leaf[()] if leaf.ndim == 0 else leaf
    return leaf


def host_array(leaf) -> np.ndarray:
    """A tensor leaf as NumPy (a map function's output may be a JAX array)."""
    return leaf if isinstance(leaf, np.ndarray) else np.asarray(leaf)


