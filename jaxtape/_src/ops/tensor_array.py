"""`tf.TensorArray`, eager: a Python list of recorded tensors, as TF's eager TensorArray.

Every element is the tensor that was written (or a slice that a recorded
`unstack` made), and `stack`/`concat`/`gather` build their result with the
recorded `tf.stack`/`tf.concat`, so a tape differentiates through
`write` -> `stack` without a rule of its own. Unwritten (or cleared) slots
read as zeros of the element shape, as TF's eager TensorArray does.

Writes change the array in place and return it, which keeps the
`ta = ta.write(i, x)` idiom working.

Inside `tf.function` a TensorArray indexed by Python ints stays a list (the
loop unrolls while tracing). A traced index (a `tf.while_loop` counter)
turns it into one dense buffer of shape [size, *element_shape], written
with `tensor_scatter_nd_update` and read with `gather`; that needs a fixed
size and a known element shape, and `clear_after_read` is not enforced
there. The class is a JAX pytree (the list, or the buffer while tracing),
so `tf.while_loop` and `tf.function` carry it like any structure.
"""
from __future__ import annotations

import numpy as np
from jax import tree_util
from jax.core import Tracer

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError, OutOfRangeError
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.ops.array.creation import zeros
from jaxtape._src.ops.array.gather import gather as gather_op
from jaxtape._src.ops.array.scatter import tensor_scatter_nd_update
from jaxtape._src.ops.array.shape import reshape
from jaxtape._src.ops.array.join import concat as concat_op, stack as stack_op
from jaxtape._src.ops.array.split import split as split_op, unstack as unstack_op


def _traced(x) -> bool:
    return is_tensor(x) and isinstance(convert_to_tensor(x)._value, Tracer)


def _index(i):
    """A Python int, or the index tensor itself when it is traced (no value yet)."""
    if _traced(i):
        return convert_to_tensor(i)
    return int(i) if is_tensor(i) else i


def _indices(indices) -> list[int]:
    if is_tensor(indices):
        return [int(v) for v in np.asarray(convert_to_tensor(indices)).reshape(-1)]
    return [int(v) for v in indices]


@export("TensorArray")
class TensorArray:
    """A list of same-dtype tensors of fixed or (`dynamic_size=True`) growing length."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        if size is None:
            raise ValueError("Size must be declared for TensorArrays when eager execution is enabled.")
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = infer_shape
        self._element_shape = TensorShape(element_shape)
        self._items: list[Tensor | None] = [None] * int(size)
        self._cleared: set[int] = set()
        self._buffer: Tensor | None = None  # the dense form, once a traced index needs it

    def _dense(self) -> Tensor:
        """The elements as one [size, *element_shape] tensor (unwritten ones zero)."""
        if self._buffer is None:
            if not self._element_shape.is_fully_defined():
                raise ValueError(
                    "jaxtape needs the element shape of a TensorArray indexed by a traced tensor "
                    f"(inside tf.function / tf.while_loop); got {self._element_shape}: pass "
                    "element_shape= or write a value first")
            self._buffer = (stack_op(self._all()) if self._items else
                            zeros([0] + self._element_shape.as_list(), self._dtype))
            self._items, self._cleared = [], set()
        return self._buffer

    def _length(self) -> int:
        return len(self._items) if self._buffer is None else self._buffer.shape[0]

    # -- attributes -----------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def dynamic_size(self):
        return self._dynamic_size

    @property
    def element_shape(self):
        return self._element_shape

    @property
    def handle(self):
        return None

    @property
    def flow(self):
        return convert_to_tensor(0)

    def size(self, name=None):
        return convert_to_tensor(self._length())

    def identity(self):
        return self

    def close(self, name=None):
        return None

    def mark_used(self):
        return None

    # -- writing --------------------------------------------------------
    def _convert(self, value) -> Tensor:
        if isinstance(value, (np.ndarray, np.generic)) and \
                np.can_cast(value.dtype, self._dtype.as_numpy_dtype, "same_kind"):
            value = np.asarray(value).astype(self._dtype.as_numpy_dtype)
        try:
            value = convert_to_tensor(value, dtype=self._dtype)
        except (TypeError, ValueError):
            value = convert_to_tensor(value)
        if value.dtype != self._dtype:
            raise InvalidArgumentError(
                None, None, f"TensorArray dtype is {self._dtype.name} but Op is trying to write "
                f"dtype {value.dtype.name} ")
        return value

    def _merge_shape(self, shape: TensorShape) -> None:
        if not self._element_shape.is_compatible_with(shape):
            raise ValueError(f"Incompatible shape for value ({shape}), expected ({self._element_shape})")
        self._element_shape = self._element_shape.merge_with(shape)

    def _put(self, index: int, value: Tensor) -> None:
        if index < 0:
            raise OutOfRangeError(None, None, f"Writing to negative indices (index {index}) is not allowed.")
        if index >= len(self._items):
            if not self._dynamic_size:
                raise OutOfRangeError(None, None, f"Tried to write to index {index} but array is not "
                                                  f"resizeable and size is: {len(self._items)} ")
            self._items.extend([None] * (index + 1 - len(self._items)))
        self._items[index] = value
        self._cleared.discard(index)

    def write(self, index, value, name=None):
        """Stores `value` at `index` (overwriting, as TF's eager TensorArray); returns the array."""
        value = self._convert(value)
        if self._infer_shape:
            self._merge_shape(value.shape)
        index = _index(index)
        if self._buffer is None and isinstance(index, int):
            self._put(index, value)
            return self
        if self._dynamic_size and (not isinstance(index, int) or index >= self._length()):
            raise NotImplementedError(
                "jaxtape cannot grow a TensorArray (dynamic_size=True) at a traced index: XLA "
                "needs a fixed size; give the TensorArray its final size")
        buffer = self._dense()
        self._buffer = tensor_scatter_nd_update(buffer, reshape(index, [1, 1]),
                                                reshape(value, [1] + value.shape.as_list()))
        return self

    def unstack(self, value, name=None):
        """Writes `value[i]` at index i (element shape is not inferred, as in TF)."""
        value = self._convert(value)
        n = value.shape[0]
        if n > len(self._items) and not self._dynamic_size:
            raise ValueError(f"Cannot unstack {n} tensors into a TensorArray of static size "
                             f"{len(self._items)} ")
        for i, item in enumerate(unstack_op(value) if n else []):
            self._put(i, item)
        return self

    def scatter(self, indices, value, name=None):
        """Writes `value[k]` at `indices[k]`."""
        value = self._convert(value)
        idx = _indices(indices)
        if self._infer_shape:
            self._merge_shape(value.shape[1:])
        for i, item in zip(idx, unstack_op(value) if idx else []):
            self._put(i, item)
        return self

    def split(self, value, lengths, name=None):
        """Writes consecutive pieces of `value` (of `lengths` rows) at 0, 1, ..."""
        value = self._convert(value)
        sizes = _indices(lengths)
        if len(sizes) > len(self._items) and not self._dynamic_size:
            raise ValueError(f"Cannot split {len(sizes)} tensors into a TensorArray of static size "
                             f"{len(self._items)} ")
        for i, piece in enumerate(split_op(value, sizes) if sizes else []):
            self._put(i, piece)
        return self

    # -- reading --------------------------------------------------------
    def _value_at(self, index: int) -> Tensor:
        item = self._items[index]
        if item is None:
            if not self._element_shape.is_fully_defined():
                raise ValueError(f"Cannot convert a partially known TensorShape "
                                 f"{self._element_shape} to a Tensor.")
            item = self._items[index] = zeros(self._element_shape.as_list(), self._dtype)
        return item

    def read(self, index, name=None):
        index = _index(index)
        if self._buffer is not None or not isinstance(index, int):
            return gather_op(self._dense(), index)
        if index < 0:
            raise OutOfRangeError(None, None, f"Reading from negative indices (index {index}) is not allowed.")
        if index >= len(self._items):
            raise OutOfRangeError(None, None, f"Tried to read from index {index} but array size is: "
                                              f"{len(self._items)} ")
        if index in self._cleared:
            raise InvalidArgumentError(
                None, None, f"Could not read index {index} twice because it was cleared after a "
                "previous read (perhaps try setting clear_after_read = false?)")
        value = self._value_at(index)
        if self._clear_after_read:
            self._items[index] = None
            self._cleared.add(index)
        return value

    def _all(self) -> list[Tensor]:
        return [self._value_at(i) for i in range(len(self._items))]

    def stack(self, name=None):
        """All elements stacked on a new first axis."""
        if self._buffer is not None:
            return self._buffer
        if not self._items:
            shape = self._element_shape.as_list() if self._element_shape.rank is not None else []
            return zeros([0] + [d or 0 for d in shape], self._dtype)
        return stack_op(self._all())

    def gather(self, indices, name=None):
        """The elements at `indices`, stacked."""
        if not is_tensor(indices) and np.ndim(indices) == 0:
            raise TypeError("'int' object is not iterable")
        if self._buffer is not None or _traced(indices):
            return gather_op(self._dense(), indices)
        picked = []
        for i in _indices(indices):
            if not 0 <= i < len(self._items):
                raise IndexError("list index out of range")
            picked.append(self._value_at(i))
        if not picked:
            return zeros([0] + (self._element_shape.as_list() if self._element_shape.is_fully_defined()
                                else []), self._dtype)
        return stack_op(picked)

    def concat(self, name=None):
        """All elements joined along their first axis."""
        if self._buffer is not None:
            return reshape(self._buffer, [-1] + self._buffer.shape.as_list()[2:])
        if not self._items:
            raise InvalidArgumentError(None, None, "TensorArray.concat of an empty TensorArray: "
                                       "there is no element to take the shape from")
        return concat_op(self._all(), 0)

    # Equal only to a TensorArray of the same structure over the very same leaves:
    # `tf.while_loop` checks a body's result against loop_vars by comparing
    # tree_map'ed copies (leaves replaced by 0) with ==. Hash stays identity.
    def __eq__(self, other):
        if not isinstance(other, TensorArray):
            return NotImplemented
        (mine, aux), (theirs, other_aux) = _flatten(self), _flatten(other)
        return aux == other_aux and len(mine) == len(theirs) and all(
            a is b or (not is_tensor(a) and not is_tensor(b) and a == b) for a, b in zip(mine, theirs))

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<jaxtape.TensorArray dtype={self._dtype.name} size={self._length()}>"


def _flatten(ta: TensorArray):
    """Children: the element list, or (while tracing, or once dense) the one buffer."""
    if local.tracing or ta._buffer is not None:
        children, dense = (ta._dense(),), True
    else:
        children, dense = tuple(ta._items), False
    aux = (ta._dtype, ta._dynamic_size, ta._clear_after_read, ta._infer_shape,
           ta._element_shape, dense, frozenset(ta._cleared))
    return children, aux


def _unflatten(aux, children):
    dtype, dynamic, clear, infer, shape, dense, cleared = aux
    ta = TensorArray.__new__(TensorArray)
    ta._dtype, ta._dynamic_size, ta._clear_after_read, ta._infer_shape = dtype, dynamic, clear, infer
    ta._element_shape = shape
    ta._cleared = set(cleared)
    if dense:
        ta._items, ta._buffer = [], children[0]
    else:
        ta._items, ta._buffer = list(children), None
    return ta


tree_util.register_pytree_node(TensorArray, _flatten, _unflatten)
