"""`tf.io.read_file` / `write_file` (whole files as scalar strings) and `decode_csv`."""
from __future__ import annotations

import csv
import os

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError, NotFoundError, NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import kernel_dtype_name
from jaxtape._src.framework.strings import StringTensor, string_tensor
from jaxtape._src.ops.strings.host import as_string_tensor


def _path(filename) -> str:
    return os.fsdecode(as_string_tensor(filename)._value.reshape(-1)[0])


@export("io.read_file", "read_file")
def read_file(filename, name=None):
    path = _path(filename)
    try:
        with open(path, "rb") as f:
            return string_tensor(f.read())
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory [Op:ReadFile]") from None


@export("io.write_file", "write_file")
def write_file(filename, contents, name=None):
    path = _path(filename)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)  # TF creates missing directories
    with open(path, "wb") as f:
        f.write(as_string_tensor(contents)._value.reshape(-1)[0])


def _csv_error(message):
    return InvalidArgumentError(None, None, f"{message} [Op:DecodeCSV]")


def _csv_field(text, default, dtype, col, row):
    if default is None:
        raise _csv_error(f"Field {col} is required but missing in record {row}!")
    if text is None:
        return default
    if dtype == dtypes.string:
        return text.encode("utf-8")
    try:
        return int(text) if dtype.is_integer else float(text)
    except ValueError:
        raise _csv_error(f"Field {col} in record {row} is not a valid "
                         f"{kernel_dtype_name(dtype)}: {text}") from None


@export("io.decode_csv", "decode_csv")
def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, na_value="",
               select_cols=None, name=None):
    """One tensor per column, shaped like `records`; an empty default makes a column required."""
    if select_cols is not None:
        raise NotImplementedInJaxtape("jaxtape does not implement tf.io.decode_csv(select_cols=...)")
    rows = as_string_tensor(records)._value
    columns = []
    for d in record_defaults:
        t = convert_to_tensor(d)
        columns.append((t.dtype, t.numpy().reshape(-1)[0] if np.size(t.numpy()) else None))
    out = [np.empty(rows.shape, dtype=object) for _ in columns]
    quoting = {"quotechar": '"'} if use_quote_delim else {"quoting": csv.QUOTE_NONE}
    for row, i in enumerate(np.ndindex(rows.shape)):
        fields = next(csv.reader([rows[i].decode("utf-8")], delimiter=field_delim, **quoting), [""])
        if len(fields) != len(columns):
            raise _csv_error(f"Expect {len(columns)} fields but have {len(fields)} in record {row}")
        for col, (text, (dtype, default)) in enumerate(zip(fields, columns)):
            out[col][i] = _csv_field(None if text == na_value else text, default, dtype, col, row)
    return [StringTensor(_readonly(o)) if dtype == dtypes.string
            else convert_to_tensor(o.astype(dtype.as_numpy_dtype))
            for o, (dtype, _) in zip(out, columns)]


def _readonly(array):
    array.flags.writeable = False
    return array
