"""`tf.strings.*`: elementwise text ops, run with NumPy on the host bytes.

Patterns are RE2 in TF; Python's `re` on bytes agrees on the common syntax
(classes, groups, `\\1` in rewrites), not on every corner.
"""
from __future__ import annotations

import re

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import constant_array, convert_to_tensor
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import dtype_mismatch, named_by, op_error
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.printing.summarize import summarize as summarize_values
from jaxtape._src.ops.strings.host import as_string_tensor


def _text(x, op, index=0) -> np.ndarray:
    """The bytes of string argument `index` of TF kernel `op`; a numeric tensor
    there is the kernel's dtype error, as in TF."""
    if not isinstance(x, StringTensor) and (isinstance(x, Tensor) or hasattr(x, "_read_for_op")):
        raise dtype_mismatch(op, index, dtypes.string, convert_to_tensor(x).dtype)
    return as_string_tensor(x)._value


def _strings(array) -> StringTensor:
    out = np.empty(np.shape(array), dtype=object)
    out[...] = array
    out.flags.writeable = False
    return StringTensor(out)


def _numbers(array, dtype) -> Tensor:
    return Tensor(constant_array(np.asarray(array, dtype=dtype)))


def _each(fn, x, op, otypes=object):
    a = _text(x, op)
    return np.vectorize(fn, otypes=[otypes])(a) if a.size else np.empty(a.shape, otypes)


def _bytes(value) -> bytes:
    if isinstance(value, Tensor):
        value = value.numpy()
    return value.encode() if isinstance(value, str) else bytes(value)


@export("strings.length")
def length(input, unit="BYTE", name=None):  # noqa: A002 - TF's argument name
    if unit == "UTF8_CHAR":
        return _numbers(_each(lambda s: len(s.decode("utf-8")), input, "StringLength", np.int32), np.int32)
    if unit != "BYTE":
        raise ValueError(f"unit must be one of ['BYTE', 'UTF8_CHAR'], got: {unit}")
    return _numbers(_each(len, input, "StringLength", np.int32), np.int32)


@export("strings.upper")
def upper(input, encoding="", name=None):  # noqa: A002
    return _strings(_each(bytes.upper, input, "StringUpper"))  # ASCII only, as TF's default encoding


@export("strings.lower")
def lower(input, encoding="", name=None):  # noqa: A002
    return _strings(_each(bytes.lower, input, "StringLower"))


@export("strings.strip")
def strip(input, name=None):  # noqa: A002
    return _strings(_each(bytes.strip, input, "StringStrip"))


@export("strings.join")
def join(inputs, separator="", name=None):
    arrays = [_text(x, "StringJoin", i) for i, x in enumerate(inputs)]
    sep = _bytes(separator)
    shape = np.broadcast_shapes(*[a.shape for a in arrays]) if arrays else ()
    parts = [np.broadcast_to(a, shape) for a in arrays]
    out = np.empty(shape, dtype=object)
    for i in np.ndindex(shape):
        out[i] = sep.join(p[i] for p in parts)
    return _strings(out)


@export("strings.reduce_join")
def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    a = _text(inputs, "ReduceJoin")
    sep = _bytes(separator)
    if axis is None:
        out = np.asarray(sep.join(a.reshape(-1).tolist()), dtype=object)
        return _strings(out.reshape((1,) * a.ndim) if keepdims else out)
    axis = int(axis) % max(a.ndim, 1)
    moved = np.moveaxis(a, axis, -1)
    out = np.empty(moved.shape[:-1], dtype=object)
    for i in np.ndindex(out.shape):
        out[i] = sep.join(moved[i].tolist())
    return _strings(np.expand_dims(out, axis) if keepdims else out)


@export("strings.regex_replace")
def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    _text(input, "StaticRegexReplace")
    compiled = _pattern(pattern, "StaticRegexReplace", input)
    rewrite = _bytes(rewrite)
    count = 0 if replace_global else 1
    return _strings(_each(lambda s: compiled.sub(rewrite, s, count=count), input, "StaticRegexReplace"))


@export("strings.regex_full_match")
def regex_full_match(input, pattern, name=None):  # noqa: A002
    _text(input, "StaticRegexFullMatch")
    compiled = _pattern(pattern, "StaticRegexFullMatch", input)
    return _numbers(_each(lambda s: compiled.fullmatch(s) is not None, input, "StaticRegexFullMatch", bool),
                    bool)


def _pattern(pattern, op, input):  # noqa: A002
    """The compiled pattern; a bad one is TF's error type (RE2's own wording differs)."""
    try:
        return re.compile(_bytes(pattern))
    except re.error as e:
        raise op_error(f"Invalid pattern: {pattern}, error: {e}", op, named_by(input)) from None


@export("strings.substr")
def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002 - TF's argument names
    a = _text(input, "Substr")
    pos_a, len_a = np.broadcast_arrays(np.asarray(pos), np.asarray(len))
    if pos_a.ndim and pos_a.shape != a.shape:
        raise NotImplementedInJaxtape("jaxtape does not implement tf.strings.substr with pos/len "
                                      "of another shape than the input")
    out = np.empty(a.shape, dtype=object)
    for n, i in enumerate(np.ndindex(a.shape)):
        s = a[i] if unit == "BYTE" else a[i].decode("utf-8")
        p, k = int(pos_a[i if pos_a.ndim else ()]), int(len_a[i if len_a.ndim else ()])
        if p > _len(s) or p < -_len(s):
            raise op_error(f"pos {p} out of range for string {a[i]!r} at index {n}", "Substr",
                           named_by(input))
        start = p if p >= 0 else _len(s) + p
        piece = s[start:start + max(k, 0)]
        out[i] = piece if unit == "BYTE" else piece.encode("utf-8")
    return _strings(out)


_len = len  # `substr` has an argument named `len`, as TF's


@export("strings.to_number", "compat.v1.string_to_number")
def to_number(input, out_type=dtypes.float32, name=None):  # noqa: A002
    out_type = dtypes.as_dtype(out_type)

    def parse(s):
        text = s.decode("utf-8", "replace").strip()
        try:
            return int(text) if out_type.is_integer else float(text)
        except ValueError:
            raise op_error("StringToNumberOp could not correctly convert string: "
                           f"{s.decode('utf-8', 'replace')}", "StringToNumber", named_by(input)) from None
    return _numbers(_each(parse, input, "StringToNumber"), out_type.as_numpy_dtype)


@export("strings.as_string", "as_string", "dtypes.as_string")
def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):  # noqa: A002
    t = convert_to_tensor(input)
    if isinstance(t, StringTensor):
        return t
    a = np.asarray(t._value)
    pad = fill or ""
    if t.dtype.is_bool:
        fmt = lambda v: "true" if v else "false"  # noqa: E731
    elif t.dtype.is_integer:
        fmt = lambda v: "%d" % v  # noqa: E731
    else:
        spec = "e" if scientific else "g" if shortest else "f"
        prec = "" if precision < 0 else f".{precision}"
        fmt = lambda v: ("%" + prec + spec) % v  # noqa: E731
    w = max(width, 0)
    text = lambda v: (fmt(v).rjust(w, pad) if pad else fmt(v).rjust(w)).encode()  # noqa: E731
    out = np.empty(a.shape, dtype=object)
    for i in np.ndindex(a.shape):
        out[i] = text(a[i])
    return _strings(out)


def _ragged_parts(a: np.ndarray, cut):
    """The pieces `cut` makes of each string of `a`, as a RaggedTensor one rank up
    (its outer dimensions uniform partitions, as TF's)."""
    pieces = [cut(s) for s in a.reshape(-1)]
    values = np.empty(sum(len(p) for p in pieces), dtype=object)
    values[:] = [q for p in pieces for q in p]
    out = RaggedTensor.from_row_lengths(_strings(values),
                                        np.array([len(p) for p in pieces], np.int64))
    for width in reversed(a.shape[1:]):
        out = RaggedTensor.from_uniform_row_length(out, width)
    return out


def _on_flat_values(input, fn):
    """A ragged input's flat values through `fn`, its row partitions kept."""
    return input.with_flat_values(fn(input.flat_values))


@export("strings.split")
def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """A scalar gives a 1-D tensor of its pieces; an N-D input a RaggedTensor of N + 1
    dimensions (the pieces of each string in its last, ragged one)."""
    if isinstance(input, RaggedTensor):
        return _on_flat_values(input, lambda v: split(v, sep, maxsplit))
    if not isinstance(input, StringTensor) and isinstance(input, Tensor):  # converted in Python, by name
        convert_to_tensor(input, dtype=dtypes.string, name="input")
    a = _text(input, "StringSplitV2")
    separator = None if sep is None else _bytes(sep)
    if a.ndim:
        return _ragged_parts(a, lambda s: s.split(separator, maxsplit))
    parts = a[()].split(separator, maxsplit)
    return _strings(np.asarray(parts + [], dtype=object).reshape(-1))


@export("strings.bytes_split")
def bytes_split(input, name=None):  # noqa: A002
    """Each string's bytes as one-byte strings (a RaggedTensor above a scalar)."""
    if isinstance(input, RaggedTensor):
        return _on_flat_values(input, bytes_split)
    a = _text(input, "StringSplitV2")
    cut = lambda s: [s[i:i + 1] for i in range(len(s))]  # noqa: E731
    if a.ndim:
        return _ragged_parts(a, cut)
    return _strings(np.asarray(cut(a[()]) + [], dtype=object).reshape(-1))


@export("strings.format")
def format(template, inputs, placeholder="{}", summarize=3, name=None):  # noqa: A001 - TF's name
    """Fills each placeholder with a tensor's values as `tf.print` writes them."""
    if isinstance(inputs, (list, tuple)):
        inputs = list(inputs)
    else:
        inputs = [inputs]
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise ValueError(f"The template expects {len(pieces) - 1} tensors, but the inputs only has "
                         f"{len(inputs)}. Please ensure the number of placeholders in template "
                         "matches inputs length.")
    out = [pieces[0]]
    for x, piece in zip(inputs, pieces[1:]):
        out.append(summarize_values(np.asarray(convert_to_tensor(x).numpy()), summarize))
        out.append(piece)
    return _strings(np.asarray("".join(out).encode("utf-8"), dtype=object))
