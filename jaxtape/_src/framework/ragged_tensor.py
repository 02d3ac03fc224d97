"""`tf.RaggedTensor`: rows of varying length, as TF's composite: flat `values` (a
Tensor, or a RaggedTensor for ragged_rank > 1) cut into rows by `row_splits`
(int64, or int32 when given so).

`values` is an ordinary tensor, so tapes differentiate through it. Splits are
index bookkeeping, read on the host. What needs ops (`to_tensor`, `from_tensor`,
`[]`, the operators) lives in `ops/ragged`, which fills `OPS` and installs the
operators on import: this layer may not import ops.
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape

# name -> implementation, set by ops/ragged: "getitem", "to_tensor", "from_tensor", "reshape".
OPS: dict = {}

_PRIVATE = object()  # the token that lets the factories call the constructor
_INDEX_DTYPES = (dtypes.int32, dtypes.int64)


def host(t) -> np.ndarray:
    """An index tensor's values on the host."""
    return np.asarray(t.numpy())


def index_tensor(value, what: str, rank: int = 1, dtype=None) -> Tensor:
    """A row-partition argument as TF converts it: Python lists become int64 (or
    `dtype`), tensors and NumPy arrays keep an int32 or int64 dtype."""
    if isinstance(value, (Tensor, np.ndarray)) or hasattr(value, "_read_for_op"):  # not np.generic
        t = convert_to_tensor(value)
    else:
        t = convert_to_tensor(value, dtype_hint=dtypes.int64 if dtype is None else dtype)
    if t.dtype not in _INDEX_DTYPES:
        raise ValueError(f"{what} must have dtype int32 or int64")
    if t.shape.rank != rank:
        raise ValueError(f"Shape {t.shape} must have rank {rank}")
    return t


def as_values(values):
    """`values` as a RaggedTensor or a tensor of rank >= 1."""
    if isinstance(values, RaggedTensor):
        return values
    t = convert_to_tensor(values)
    if t.shape.rank == 0:  # TF fails reading the (missing) first dimension
        raise op_error("slice index 0 of dimension 0 out of bounds.", "StridedSlice")
    return t


def nrows_of(values) -> int:
    return values.nrows_int() if isinstance(values, RaggedTensor) else int(values.shape[0])


def _first(x) -> str:
    return str(np.asarray(x).reshape(1))


def _equal(prefix: str, x, y, symbol: str = "==") -> InvalidArgumentError:
    """TF's failed `assert_equal` (or `assert_less_equal`) of two scalars."""
    return InvalidArgumentError(None, None, f"{prefix}\nCondition x {symbol} y did not hold.\n"
                                f"First 1 elements of x:\n{_first(x)}\nFirst 1 elements of y:\n{_first(y)}")


def _non_negative(prefix: str, x: np.ndarray, dtype) -> InvalidArgumentError:
    """TF's failed `assert_non_negative`: up to three elements, then "..."."""
    head = [str(v) for v in x[:3]] + (["..."] if x.size > 3 else [])
    return InvalidArgumentError(None, None, f"{prefix}.  \nCondition x >= 0 did not hold element-wise:\n"
                                f"x (shape={x.shape} dtype={dtypes.as_dtype(dtype).name}) = \n{head}")


def _check_length(splits: np.ndarray, values):
    """The last split must be the number of values (TF's `_from_row_partition`)."""
    n = nrows_of(values)
    if splits[-1] != n:
        raise _equal("Arguments to _from_row_partition do not form a valid RaggedTensor",
                     splits[-1], n)


def _splits_tensor(splits: np.ndarray, dtype) -> Tensor:
    return convert_to_tensor(np.asarray(splits, dtypes.as_dtype(dtype).as_numpy_dtype))


def _same_splits_dtype(values, dtype):
    if isinstance(values, RaggedTensor) and values.row_splits.dtype != dtype:
        raise ValueError("Argument `row_partition` of RaggedTensor with name: partition must have "
                         f"same dtype as Argument `values`. ({dtype} vs. "
                         f"{values.row_splits.dtype}).")


def _formatted(x) -> str:
    """An element of `numpy()` as TF prints it: arrays comma-separated (an
    empty one as its nested list, which keeps its shape visible)."""
    if isinstance(x, np.ndarray):
        return np.array2string(x, separator=", ") if x.size else repr(x.tolist())
    return str(x)


@export("RaggedTensor")
class RaggedTensor:
    """A tensor with ragged dimensions: `values[row_splits[i]:row_splits[i + 1]]` is row i."""

    def __init__(self, values, row_splits, internal=False):
        if internal is not _PRIVATE:
            raise ValueError("RaggedTensor constructor is private; please use one of the factory "
                             "methods instead (e.g., RaggedTensor.from_row_lengths())")
        self._values = values
        self._row_splits = row_splits
        self._uniform = None  # the row length when the partition is uniform (TF's static dimension)

    @classmethod
    def _make(cls, values, splits: Tensor, uniform=None) -> "RaggedTensor":
        _same_splits_dtype(values, splits.dtype)
        out = cls(values, splits, internal=_PRIVATE)
        out._uniform = uniform
        return out

    def _rewrap(self, values, splits=None) -> "RaggedTensor":
        """This partition (uniform or not) over other values or splits of another dtype."""
        out = RaggedTensor(values, self._row_splits if splits is None else splits, internal=_PRIVATE)
        out._uniform = self._uniform
        return out

    # -- factories -------------------------------------------------------------------

    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Row i is `values[row_splits[i]:row_splits[i + 1]]`."""
        values = as_values(values)
        splits = index_tensor(row_splits, "row_splits")
        s = host(splits)
        if not s.size:
            raise ValueError("row_splits tensor may not be empty.")
        if validate:
            prefix = "Arguments to from_row_splits do not form a valid RaggedTensor:"
            if s[0] != 0:
                raise _equal(prefix + "zero", s[0], 0)
            steps = np.diff(s)
            if np.any(steps < 0):
                raise _non_negative(prefix + "monotonic", steps, splits.dtype)
            _check_length(s, values)
        return cls._make(values, splits)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Row i holds the next `row_lengths[i]` values."""
        values = as_values(values)
        lengths = index_tensor(row_lengths, "row_lengths")
        n = host(lengths)
        if validate:
            if np.any(n < 0):
                raise _non_negative("Arguments to from_row_lengths do not form a valid RowPartition",
                                    n, lengths.dtype)
        s = np.concatenate([[0], np.cumsum(n)])
        if validate:
            _check_length(s, values)
        return cls._make(values, _splits_tensor(s, lengths.dtype))

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Value j sits in row `value_rowids[j]` (sorted); `nrows` adds empty rows at the end."""
        values = as_values(values)
        rowids = index_tensor(value_rowids, "value_rowids")
        ids = host(rowids)
        count = nrows_of(values)
        if len(ids) != count:
            raise ValueError(f"Shapes ({count},) and ({len(ids)},) are incompatible")
        if nrows is None:
            rows = int(ids[-1]) + 1 if ids.size else 0
        else:
            t = convert_to_tensor(nrows, dtype=rowids.dtype, name="nrows")
            if t.shape.rank != 0:
                raise ValueError(f"Shape {t.shape} must have rank 0")
            rows = int(t.numpy())
            if rows < 0:
                raise ValueError(f"Expected nrows >= 0; got {rows}")
            if ids.size and rows < ids[-1] + 1:
                raise ValueError(f"Expected nrows >= value_rowids[-1] + 1; got nrows={rows}, "
                                 f"value_rowids[-1]={ids[-1]}")
        if validate:
            prefix = "Arguments to from_value_rowids do not form a valid RowPartition"
            if ids.size and ids[0] < 0:
                raise _non_negative(prefix, ids[:1], rowids.dtype)
            steps = np.diff(ids)
            if np.any(steps < 0):
                raise _non_negative(prefix, steps, rowids.dtype)
        s = np.searchsorted(ids, np.arange(rows + 1), side="left") if ids.size else np.zeros(rows + 1)
        return cls._make(values, _splits_tensor(s, rowids.dtype))

    @classmethod
    def from_row_starts(cls, values, row_starts, name=None, validate=True):
        """Row i starts at `row_starts[i]` and ends where the next row starts."""
        values = as_values(values)
        starts = index_tensor(row_starts, "row_starts")
        s = host(starts)
        count = nrows_of(values)
        if validate and s.size:
            prefix = "Arguments to from_row_starts do not form a valid RaggedTensor"
            if s[0] != 0:
                raise _equal(prefix, s[0], 0)
            if s[-1] > count:
                raise _equal(prefix, s[-1], count, "<=")
            steps = np.diff(s)
            if np.any(steps < 0):
                raise _non_negative(prefix, steps, starts.dtype)
        return cls._make(values, _splits_tensor(np.concatenate([s, [count]]), starts.dtype))

    @classmethod
    def from_row_limits(cls, values, row_limits, name=None, validate=True):
        """Row i ends at `row_limits[i]` and starts where the previous row ends."""
        values = as_values(values)
        limits = index_tensor(row_limits, "row_limits")
        s = host(limits)
        if validate:
            prefix = "Arguments to from_row_limits do not form a valid RaggedTensor"
            if s.size and s[0] < 0:
                raise _non_negative(prefix, s[:1], limits.dtype)
            steps = np.diff(s)
            if np.any(steps < 0):
                raise _non_negative(prefix, steps, limits.dtype)
        s = np.concatenate([[0], s])
        if validate:
            _check_length(s, values)
        return cls._make(values, _splits_tensor(s, limits.dtype))

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True, name=None):
        """Rows of `uniform_row_length` values each; the dimension is known statically."""
        values = as_values(values)
        length_t = index_tensor(uniform_row_length, "uniform_row_length", rank=0)
        length, count = int(length_t.numpy()), nrows_of(values)
        rows = (count // length if length else 0) if nrows is None else int(convert_to_tensor(nrows).numpy())
        if rows * length != count:
            raise ValueError(f"uniform_row_length={length} times nrows={rows} must equal nvals={count}")
        return cls._make(values, _splits_tensor(np.arange(rows + 1) * length, length_t.dtype), length)

    @staticmethod
    def _nested_dtype(partitions):
        # Lists follow an int32 tensor among them, so that the levels agree.
        given = {dtypes.as_dtype(p.dtype) for p in partitions if isinstance(p, (Tensor, np.ndarray))}
        return dtypes.int32 if given == {dtypes.int32} else None

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        """`from_row_splits` applied innermost first; no splits give `flat_values` back."""
        if isinstance(nested_row_splits, (Tensor, np.ndarray)):
            nested_row_splits = list(nested_row_splits)
        dtype = cls._nested_dtype(nested_row_splits)
        result = flat_values  # no splits: TF hands `flat_values` back as given
        for splits in reversed(list(nested_row_splits)):
            if dtype is not None and not isinstance(splits, (Tensor, np.ndarray)):
                splits = convert_to_tensor(splits, dtype)
            result = cls.from_row_splits(result, splits, validate=validate)
        return result

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None, validate=True):
        """`from_row_lengths` applied innermost first."""
        dtype = cls._nested_dtype(nested_row_lengths)
        result = flat_values
        for lengths in reversed(list(nested_row_lengths)):
            if dtype is not None and not isinstance(lengths, (Tensor, np.ndarray)):
                lengths = convert_to_tensor(lengths, dtype)
            result = cls.from_row_lengths(result, lengths, validate=validate)
        return result

    @classmethod
    def from_nested_value_rowids(cls, flat_values, nested_value_rowids, nested_nrows=None,
                                 name=None, validate=True):
        """`from_value_rowids` applied innermost first."""
        nested_nrows = [None] * len(nested_value_rowids) if nested_nrows is None else nested_nrows
        if len(nested_nrows) != len(nested_value_rowids):
            raise ValueError("Argument `nested_nrows` must have the same length as argument "
                             f"`nested_value_rowids`. len(nested_nrows) = {len(nested_nrows)} "
                             f"vs. len(nested_values_rowids) = {len(nested_value_rowids)}.")
        result = flat_values
        for ids, rows in reversed(list(zip(nested_value_rowids, nested_nrows))):
            result = cls.from_value_rowids(result, ids, rows, validate=validate)
        return result

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None,
                    row_splits_dtype=dtypes.int64):
        """The rows of a dense tensor, cut at `lengths` or before trailing `padding`."""
        return OPS["from_tensor"](tensor, lengths, padding, ragged_rank, row_splits_dtype)

    # -- structure -------------------------------------------------------------------

    @property
    def values(self):
        return self._values

    @property
    def flat_values(self):
        values = self._values
        while isinstance(values, RaggedTensor):
            values = values._values
        return values

    @property
    def row_splits(self) -> Tensor:
        return self._row_splits

    @property
    def nested_row_splits(self) -> tuple:
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt._row_splits)
            rt = rt._values
        return tuple(out)

    @property
    def ragged_rank(self) -> int:
        return len(self.nested_row_splits)

    @property
    def dtype(self) -> dtypes.DType:
        return self._values.dtype

    @property
    def shape(self) -> TensorShape:
        """The static shape: `[nrows, None, ...]`, uniform inner dimensions known."""
        inner = self._values.shape.as_list()[1:]
        return TensorShape([self.nrows_int(), self._uniform] + inner)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def uniform_row_length(self):
        """The length of every row (a scalar tensor) if the partition is uniform, else None."""
        return None if self._uniform is None else self._index(self._uniform)

    def uniform_row_length_int(self):
        """The uniform row length as a Python int, or None."""
        return self._uniform

    def _splits(self) -> np.ndarray:
        return host(self._row_splits)

    def nrows_int(self) -> int:
        return int(self._row_splits.shape[0]) - 1

    def _index(self, values: np.ndarray, out_type=None) -> Tensor:
        dtype = self._row_splits.dtype if out_type is None else dtypes.as_dtype(out_type)
        return convert_to_tensor(np.asarray(values, dtype.as_numpy_dtype))

    def nrows(self, out_type=None, name=None) -> Tensor:
        return self._index(self.nrows_int(), out_type)

    def row_starts(self, name=None) -> Tensor:
        return self._index(self._splits()[:-1])

    def row_limits(self, name=None) -> Tensor:
        return self._index(self._splits()[1:])

    def value_rowids(self, name=None) -> Tensor:
        s = self._splits()
        return self._index(np.repeat(np.arange(len(s) - 1), np.diff(s)))

    def nested_value_rowids(self, name=None) -> tuple:
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt.value_rowids())
            rt = rt._values
        return tuple(out)

    def _axis(self, axis) -> int:
        rank = self.shape.rank
        if not -rank <= axis < rank:
            raise ValueError(f"axis={axis} out of bounds: expected {-rank}<=axis<{rank}")
        return axis % rank

    def row_lengths(self, axis=1, name=None):
        """Row lengths along `axis`: a tensor for axis 1, ragged for deeper axes."""
        axis = self._axis(axis)
        if axis == 0:
            return self.nrows()
        if axis == 1:
            return self._index(np.diff(self._splits()))
        values = self._values
        if isinstance(values, RaggedTensor):
            inner = values.row_lengths(axis - 1)
        else:
            inner = self._index(np.full(values.shape[0], values.shape[axis - 1]))
        return self.with_values(inner)

    def nested_row_lengths(self, name=None) -> tuple:
        out, rt = [], self
        while isinstance(rt, RaggedTensor):
            out.append(rt.row_lengths())
            rt = rt._values
        return tuple(out)

    def bounding_shape(self, axis=None, name=None, out_type=None) -> Tensor:
        """The smallest dense shape holding every row."""
        lengths = np.diff(self._splits())
        values = self._values
        inner = host(values.bounding_shape()) if isinstance(values, RaggedTensor) \
            else np.array(values.shape.as_list(), np.int64)
        shape = np.concatenate([[self.nrows_int(), lengths.max() if lengths.size else 0], inner[1:]])
        return self._index(shape if axis is None else shape[axis], out_type)

    def merge_dims(self, outer_axis, inner_axis) -> "RaggedTensor | Tensor":
        """Dimensions `outer_axis` through `inner_axis` merged into one (a dense tensor
        when every ragged dimension is merged)."""
        rank = self.shape.rank
        axes = []
        for what, axis in (("outer_axis", outer_axis), ("inner_axis", inner_axis)):
            if not isinstance(axis, (int, np.integer)):
                raise TypeError(f"{what} must be an int; got {type(axis).__name__}")
            if not -rank <= axis < rank:
                raise ValueError(f"{what}={axis} out of bounds: expected {-rank}<={what}<{rank}")
            axes.append(int(axis) % rank)
        outer, inner = axes
        if outer > inner:
            raise ValueError(f"Expected outer_axis ({outer_axis}) to be less than or equal to "
                             f"inner_axis ({inner_axis}).")
        if outer == inner:
            return self
        if outer > 1:
            return self.with_values(_merge_values(self._values, outer - 1, inner - 1))
        merged = _merge_values(self._values, 0, inner - 1)
        if outer == 0:
            return merged
        # dimension 1 absorbs the next ones: each row ends where its last child's elements end
        ends = _merged_ends(self._values, inner - 1, self._splits())
        return RaggedTensor.from_row_splits(merged, _splits_tensor(ends, self._row_splits.dtype),
                                            validate=False)

    # -- new values ------------------------------------------------------------------

    def with_values(self, new_values) -> "RaggedTensor":
        """The same outer row partition over `new_values`."""
        new_values = as_values(new_values)
        count = nrows_of(new_values)
        if count != nrows_of(self._values) or (
                not isinstance(new_values, RaggedTensor) and new_values.shape.rank < 1):
            raise ValueError(f"Shapes ({nrows_of(self._values)},) and ({count},) are incompatible")
        if isinstance(new_values, RaggedTensor) and new_values.row_splits.dtype != self._row_splits.dtype:
            raise ValueError("self and new_values have mismatched row_splits dtypes; use "
                             "RaggedTensor.with_row_splits_dtype() to convert them to compatible dtypes.")
        return self._rewrap(new_values)

    def with_flat_values(self, new_values) -> "RaggedTensor":
        """The same nested row partition over new flat values."""
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    def with_row_splits_dtype(self, dtype) -> "RaggedTensor":
        dtype = dtypes.as_dtype(dtype)
        if dtype not in _INDEX_DTYPES:
            raise ValueError(f"Argument `row_splits` dtype must be int32 or int64. Received {dtype}.")
        values = self._values
        if isinstance(values, RaggedTensor):
            values = values.with_row_splits_dtype(dtype)
        return self._rewrap(values, _splits_tensor(self._splits(), dtype))

    # -- conversions -----------------------------------------------------------------

    def to_tensor(self, default_value=None, name=None, shape=None) -> Tensor:
        """A dense tensor, padded with `default_value` (zero), cut or padded to `shape`."""
        return OPS["to_tensor"](self, default_value, shape)

    def to_list(self) -> list:
        values = self._values
        items = values.to_list() if isinstance(values, RaggedTensor) else values.numpy().tolist()
        s = self._splits().tolist()
        return [items[a:b] for a, b in zip(s[:-1], s[1:])]

    def numpy(self) -> np.ndarray:
        """Rows as NumPy arrays: one array when the rows have one length, else an object
        array of rows (as TF's eager RaggedTensor)."""
        values = self._values.numpy()
        s = self._splits()
        rows = [values[a:b] for a, b in zip(s[:-1], s[1:])]
        if not rows:
            return np.zeros((0, 0) + values.shape[1:], dtype=values.dtype)
        ragged = any(len(row) != len(rows[0]) for row in rows)
        return np.array(rows, dtype=object if ragged else None)

    def __getitem__(self, key):
        return OPS["getitem"](self, key)

    def __repr__(self):
        with np.printoptions(formatter={"all": _formatted}):
            return f"<tf.RaggedTensor {_formatted(self.numpy())}>"

    __str__ = __repr__

    def __bool__(self):
        raise TypeError("RaggedTensor may not be used as a boolean.")

    def __hash__(self):
        raise TypeError("RaggedTensor is unhashable.")


def _merge_values(values, outer: int, inner: int):
    """`values` (a tensor or RaggedTensor) with dimensions outer..inner merged."""
    if outer == inner:
        return values
    if isinstance(values, RaggedTensor):
        return values.merge_dims(outer, inner)
    shape = values.shape.as_list()
    merged = int(np.prod(shape[outer:inner + 1], dtype=np.int64))
    return OPS["reshape"](values, shape[:outer] + [merged] + shape[inner + 1:])


def _merged_ends(values, depth: int, bounds: np.ndarray) -> np.ndarray:
    """Row boundaries `bounds` into `values` as positions once its dims 0..depth merge."""
    if depth == 0:
        return bounds
    if isinstance(values, RaggedTensor):
        return _merged_ends(values.values, depth - 1, values._splits()[bounds])
    return bounds * int(np.prod(values.shape.as_list()[1:depth + 1], dtype=np.int64))


def is_ragged(x) -> bool:
    return isinstance(x, RaggedTensor)
