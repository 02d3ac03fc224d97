"""`tf.data.experimental.CsvDataset` and `make_csv_dataset`: CSV files as datasets.

`CsvDataset` yields one tuple of scalars per line (a dtype as a record
default makes a column required, a value gives its default).
`make_csv_dataset` is TF's recipe on top: column names from the header,
types inferred from the first rows, files interleaved, shuffled, repeated,
batched into dicts of columns with the label split off.
"""
from __future__ import annotations

import collections
import csv
import glob
import io

import numpy as np

from jaxtape._src.data import options as _options
from jaxtape._src.data import sources
from jaxtape._src.data.dataset import Dataset
from jaxtape._src.data.spec import TensorSpec
from jaxtape._src.data.structure import Structure
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError, NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import kernel_dtype_name
from jaxtape._src.framework.strings import bytes_array
from jaxtape._src.ops import io_records


def _error(message: str):
    return InvalidArgumentError(None, None, f"{message} [Op:IteratorGetNext] name: ")


class _Column:
    """A column's dtype and default (None: required)."""

    def __init__(self, default):
        if isinstance(default, dtypes.DType):  # a dtype: the column is required
            self.dtype, self.default = default, None
            return
        t = convert_to_tensor(default)
        self.dtype = t.dtype
        values = t._value if self.dtype == dtypes.string else np.asarray(t.numpy())
        self.default = values.reshape(-1)[0] if np.size(values) else None
        if self.dtype not in (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64,
                              dtypes.string):
            raise TypeError(f"Unsupported record default type {self.dtype.name}")

    def parse(self, text, index: int):
        if text is None:
            if self.default is None:
                raise _error(f"Field {index} is required but missing in record!")
            return self.default
        if self.dtype == dtypes.string:
            return text.encode()
        try:
            return int(text) if self.dtype.is_integer else float(text)
        except ValueError:
            raise _error(f"Field {index} in record is not a valid "
                         f"{kernel_dtype_name(self.dtype)}: {text}") from None


def _lines(path: str, compression: str):
    """A file's lines as text, decompressed first if it is GZIP or ZLIB."""
    if compression:
        with open(path, "rb") as f:
            data = io_records.Stream(f, compression).read(1 << 62)  # all of it
        yield from io.StringIO(data.decode("utf-8"), newline="")
        return
    with open(path, newline="", encoding="utf-8") as f:
        yield from f


@export("data.experimental.CsvDataset")
class CsvDatasetV2(Dataset):
    """One tuple of scalar tensors per CSV line of each file."""

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None, exclude_cols=None):
        if select_cols is not None and exclude_cols is not None:
            raise ValueError("Either select_cols or exclude_cols should be empty")
        self._files = sources._filenames(filenames)
        self._columns = [_Column(d) for d in record_defaults]
        self._compression = io_records.compression_type_name(compression_type)
        self._header, self._delim, self._quote = bool(header), field_delim, use_quote_delim
        self._na, self._select, self._exclude = na_value, select_cols, exclude_cols
        if select_cols is not None and len(select_cols) != len(self._columns):
            raise InvalidArgumentError(None, None, "select_cols should match output size "
                                       "[Op:CSVDatasetV2] name: ")
        super().__init__(Structure.from_specs(tuple(TensorSpec((), c.dtype) for c in self._columns)))

    def _picked(self, width: int) -> list[int]:
        if self._select is not None:
            return sorted(int(i) for i in self._select)
        if self._exclude is not None:
            excluded = {int(i) for i in self._exclude}
            return [i for i in range(width) if i not in excluded]
        return list(range(width))

    def _iter(self):
        options = {"delimiter": self._delim}
        options.update({"quotechar": '"'} if self._quote else {"quoting": csv.QUOTE_NONE})
        for path in self._files:
            reader = csv.reader(_lines(path, self._compression), **options)
            if self._header:
                next(reader, None)
            for fields in reader:
                if not fields:
                    continue
                picked = self._picked(len(fields))
                if len(picked) != len(self._columns) or picked[-1:] and picked[-1] >= len(fields):
                    raise _error(f"Expect {len(self._columns)} fields but have {len(fields)} "
                                 "in record")
                row = []
                for out, (i, column) in enumerate(zip(picked, self._columns)):
                    text = fields[i]
                    value = column.parse(None if text == self._na else text, out)
                    row.append(bytes_array(value) if column.dtype == dtypes.string
                               else np.asarray(value, column.dtype.as_numpy_dtype))
                yield tuple(row)

    def _cardinality(self):
        return _options.UNKNOWN


def _fits(dtype, text: str) -> bool:
    try:
        if dtype == dtypes.int32:
            return np.int32(text) == np.int64(text)  # no silent overflow
        if dtype == dtypes.int64:
            np.int64(text)
            return True
        if dtype.is_floating:
            return dtype.as_numpy_dtype(text) < np.inf
    except (ValueError, OverflowError):
        return False
    return True


_INFERRED = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64, dtypes.string)


def _inferred(rows, picked, na_value):
    """Per column, the least permissive of int32, int64, float32, float64, string that
    every non-empty value fits (string where no value is seen), with 0 or "" as default."""
    found = [None] * len(picked)
    for row in rows:
        for j, i in enumerate(picked):
            text = row[i]
            if text in ("", na_value):
                continue
            start = _INFERRED.index(found[j]) if found[j] is not None else 0
            found[j] = next(t for t in _INFERRED[start:] if _fits(t, text))
    return ["" if t in (None, dtypes.string) else np.zeros((), t.as_numpy_dtype) for t in found]


def _header(path, compression, options):
    row = next(csv.reader(_lines(path, compression), **options), None)
    if row is None:
        raise ValueError(f"Failed when reading the header line of {path}. Is it an empty file?")
    return row


def _columns(select_columns, names):
    """`select_columns` (names or indices) as sorted indices, with TF's errors."""
    index = {n: i for i, n in enumerate(names)}
    out = []
    for v in select_columns:
        if isinstance(v, int):
            if v < 0 or v >= len(names):
                raise ValueError(f"Column index {v} specified in `select_columns` should be > 0 "
                                 f" and <= {len(names)}, which is the number of columns.")
            out.append(v)
        elif v not in index:
            raise ValueError(f"Column {v} specified in `select_columns` must be of one of the "
                             f"columns: {index.keys()}.")
        else:
            out.append(index[v])
    if len(set(out)) != len(select_columns):
        raise ValueError("The `select_columns` argument contains duplicate columns: "
                         f"{set(a for a, b in zip(sorted(out), sorted(out)[1:]) if a == b)}.")
    return sorted(set(out))


def _rows(files, width, compression, options, header):
    """Every CSV row of the files in turn, for type inference (TF's row checks)."""
    for path in files:
        reader = csv.reader(_lines(path, compression), **options)
        number = 1
        if header:
            next(reader, None)
            number += 1
        for row in reader:
            if len(row) != width:
                raise ValueError(f"Problem inferring types: CSV row {number} has {len(row)} "
                                 f"number of fields. Expected: {width}.")
            number += 1
            yield row


@export("data.experimental.make_csv_dataset")
def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False,
                     encoding="utf-8"):
    """Batches of `(features dict, label)` (or the dict alone) read from CSV files."""
    if ignore_errors:
        raise NotImplementedInJaxtape("jaxtape does not implement "
                                      "tf.data.experimental.make_csv_dataset(ignore_errors=True)")
    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
    if not patterns:
        raise ValueError("Argument `file_pattern` should not be empty.")
    files = sorted(m for p in sources._filenames(patterns) for m in glob.glob(p))
    if not files:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    compression = io_records.compression_type_name(compression_type)
    options = {"delimiter": field_delim}
    options.update({"quotechar": '"'} if use_quote_delim else {"quoting": csv.QUOTE_NONE})
    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` arguments. Neither is "
                             "provided.")
        column_names = _header(files[0], compression, options)
        for path in files[1:]:
            if _header(path, compression, options) != column_names:
                raise ValueError("All input CSV files should have the same column names in the "
                                 f"header row. File {path} has different column names.")
    column_names = list(column_names)
    if len(set(column_names)) != len(column_names):
        twice = sorted(column_names)
        raise ValueError("Either `column_names` argument or CSV header row contains duplicate "
                         f"column names: {set(a for a, b in zip(twice, twice[1:]) if a == b)}.")
    picked = None if select_columns is None else _columns(select_columns, column_names)
    if column_defaults is None:
        rows = _rows(files, len(column_names), compression, options, header)
        if num_rows_for_inference is not None:
            rows = (r for _, r in zip(range(num_rows_for_inference), rows))
        column_defaults = _inferred(rows, picked or range(len(column_names)), na_value)
    if picked is not None and len(column_defaults) != len(picked):
        raise ValueError("If specified, `column_defaults` and `select_columns` must have the "
                         f"same length: `column_defaults` has length {len(column_defaults)}, "
                         f"`select_columns` has length {len(picked)}.")
    names = column_names if picked is None else [column_names[i] for i in picked]
    if label_name is not None and label_name not in names:
        raise ValueError(f"`label_name` provided must be one of the columns: {names}. "
                         f"Received: {label_name}.")

    def read(path):
        return CsvDatasetV2(path, column_defaults, compression, header=header,
                            field_delim=field_delim, use_quote_delim=use_quote_delim,
                            na_value=na_value, select_cols=picked)

    dataset = sources._TensorSliceDataset(bytes_array(files))
    if shuffle:
        dataset = dataset.shuffle(len(files), seed=shuffle_seed)
    # files read one after another (num_parallel_reads=1) or that many interleaved
    dataset = dataset.interleave(read, cycle_length=int(num_parallel_reads or 1), block_length=1)
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    dataset = dataset.batch(batch_size, drop_remainder=num_epochs is None)

    def to_dict(*columns):
        features = collections.OrderedDict(zip(names, columns))
        if label_name is None:
            return features
        label = features.pop(label_name)
        return features, label

    return dataset.map(to_dict).prefetch(prefetch_buffer_size or _options.AUTOTUNE)
