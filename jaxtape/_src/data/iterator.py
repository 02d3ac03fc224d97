"""Iterators over a dataset: Tensors (`iter(ds)`) or NumPy (`as_numpy_iterator`)."""
from __future__ import annotations

from jaxtape._src.compile import feeds
from jaxtape._src.data import staged
from jaxtape._src.framework.errors import InvalidArgumentError, OutOfRangeError
from jaxtape._src.framework.exports import export
from jaxtape._src.data.structure import to_numpy, to_tensor, to_tensors

_END = "End of sequence [Op:IteratorGetNext] name: "


@export("data.Iterator")
class OwnedIterator:
    """What `iter(dataset)` returns: each element as Tensors, on the default device."""

    def __init__(self, dataset):
        self._dataset = dataset
        self._structure = dataset._structure
        self._it = dataset._iter()

    @property
    def element_spec(self):
        return self._structure.element_spec

    def __iter__(self):
        return self

    def __next__(self):
        if feeds.tracing():  # inside tf.function: each call takes the next element (staged.py)
            return staged.next_element(self, self._structure, lambda: next(self._it))
        leaves = next(self._it)
        return self._structure.pack(to_tensors(leaves))

    def _staged_runs(self):
        """`for x in iterator` inside tf.function: the rest of it, at each call."""
        return staged.runs(self, self._dataset, lambda: self._it)

    next = __next__

    def get_next(self, name=None):
        """The next element; OutOfRangeError at the end, as TF's op raises."""
        try:
            return next(self)
        except StopIteration:
            raise OutOfRangeError(None, None, _END) from None

    def get_next_as_optional(self):
        try:
            return Optional(next(self), self.element_spec)
        except StopIteration:
            return Optional(None, self.element_spec)


@export("data.experimental.Optional")
class Optional:
    """A value that may be absent (`get_next_as_optional`)."""

    def __init__(self, value, element_spec):
        self._value = value
        self._spec = element_spec

    @staticmethod
    def empty(element_spec):
        return Optional(None, element_spec)

    @staticmethod
    def from_value(value):
        return Optional(value, None)

    @property
    def element_spec(self):
        return self._spec

    def has_value(self, name=None):
        import numpy as np
        return to_tensor(np.asarray(self._value is not None))

    def get_value(self, name=None):
        if self._value is None:
            raise InvalidArgumentError(None, None, "The optional does not have a value. "
                                       "[Op:OptionalGetValue] name: ")
        return self._value


@export("data.NumpyIterator")
class NumpyIterator:
    """`as_numpy_iterator()`: elements as NumPy arrays (0-d ones as NumPy scalars)."""

    def __init__(self, dataset):
        self._structure = dataset._structure
        self._it = dataset._iter()

    def __iter__(self):
        return self

    def __next__(self):
        leaves = next(self._it)
        return self._structure.pack([to_numpy(leaf) for leaf in leaves])

    next = __next__

    def __repr__(self):
        return f"NumpyIterator(iterator={object.__repr__(self._it)})"
