"""`tf.strings.unicode_*`: decoding, encoding, splitting and transcoding text, on the host.

TF converts with ICU; here Python's codecs do the converting, with an error
handler that marks each ill-formed sequence (Python's UTF decoders replace the
same maximal ill-formed subparts as ICU's), so that errors="replace" |
"ignore" | "strict", `replacement_char`, `replace_control_characters` and the
byte offsets follow TF's kernels. "UTF-16" and "UTF-32" read a byte-order mark
as ICU does (big-endian without one); other encoding names go to Python's
codec registry ("Could not create converter" when it has none).

A scalar input gives a tensor one rank up; an input of rank N >= 1 gives a
RaggedTensor of rank N + 1 (outer dimensions uniform, as TF's); a ragged input
keeps its row partitions. `unicode_script` is a JAX lookup (it traces).
"""
from __future__ import annotations

import codecs
import threading

import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import constant_array, convert_to_tensor
from jaxtape._src.framework.messages import attr_not_allowed, dtype_mismatch, named_by, op_error
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.framework.strings import StringTensor, not_traceable
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.strings.script_data import RANGES
from jaxtape._src.ops.strings.text import _text
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_DECODE_ERRORS = '"strict", "replace", "ignore"'
_ENCODE_ERRORS = '"ignore", "replace", "strict"'
_OUTPUT_ENCODINGS = ("UTF-8", "UTF-16-BE", "UTF-32-BE")
_DECODE_TAIL = ('attr=input_encoding:string; attr=errors:string,default="replace",allowed=["strict", '
                '"replace", "ignore"]; attr=replacement_char:int,default=65533; '
                'attr=replace_control_characters:bool,default=false; '
                'attr=Tsplits:type,default=DT_INT64,allowed=[DT_INT32, DT_INT64]>')
_SUMMARIES = {
    "UnicodeDecode": "Op<name=UnicodeDecode; signature=input:string -> row_splits:Tsplits, "
                     "char_values:int32; " + _DECODE_TAIL,
    "UnicodeDecodeWithOffsets": "Op<name=UnicodeDecodeWithOffsets; signature=input:string -> "
                                "row_splits:Tsplits, char_values:int32, char_to_byte_starts:int64; "
                                + _DECODE_TAIL,
    "UnicodeEncode": 'Op<name=UnicodeEncode; signature=input_values:int32, input_splits:Tsplits -> '
                     'output:string; attr=errors:string,default="replace",allowed=["ignore", '
                     '"replace", "strict"]; attr=output_encoding:string,allowed=["UTF-8", '
                     '"UTF-16-BE", "UTF-32-BE"]; attr=replacement_char:int,default=65533; '
                     'attr=Tsplits:type,default=DT_INT64,allowed=[DT_INT32, DT_INT64]>',
    "UnicodeTranscode": 'Op<name=UnicodeTranscode; signature=input:string -> output:string; '
                        'attr=input_encoding:string; attr=output_encoding:string,allowed=["UTF-8", '
                        '"UTF-16-BE", "UTF-32-BE"]; attr=errors:string,default="replace",allowed='
                        '["strict", "replace", "ignore"]; attr=replacement_char:int,default=65533; '
                        'attr=replace_control_characters:bool,default=false>',
}
_MAX = 0x10FFFF
_MARK = "\udc80"  # what the marking handler puts in place of an ill-formed sequence
_marks = threading.local()


def _mark(exc):
    _marks.spans.append((exc.start, exc.end))
    return _MARK, exc.end


codecs.register_error("jaxtape.unicode_mark", _mark)


# -- arguments ----------------------------------------------------------------------

def _str(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _check_errors(errors, op, allowed, named):
    if errors not in ("strict", "replace", "ignore"):
        raise attr_not_allowed(op, "errors", f'"{errors}"', allowed, _SUMMARIES[op], named)


def _check_output(encoding, op, named):
    if encoding not in _OUTPUT_ENCODINGS:
        raise attr_not_allowed(op, "output_encoding", f'"{encoding}"', '"UTF-8", "UTF-16-BE", "UTF-32-BE"',
                               _SUMMARIES[op], named)


def _check_replacement(char, op, named):
    if not 0 <= int(char) <= _MAX:
        raise op_error("replacement_char out of unicode codepoint range", op, named)


class _Codec:
    """An input encoding: Python codec name, byte-order-mark handling, char widths."""

    def __init__(self, name, op, named):
        key = _str(name).upper().replace("-", "").replace("_", "")
        self.bom = None
        fixed = {"UTF8": "utf-8", "UTF16BE": "utf-16-be", "UTF16LE": "utf-16-le",
                 "UTF32BE": "utf-32-be", "UTF32LE": "utf-32-le"}
        if key in fixed:
            self.codec = fixed[key]
        elif key in ("UTF16", "UTF32"):
            self.codec, self.bom = ("utf-16-be", 16) if key == "UTF16" else ("utf-32-be", 32)
        else:
            try:
                self.codec = codecs.lookup(_str(name)).name
            except LookupError:
                raise op_error(f"Could not create converter for input encoding: {_str(name)}", op,
                               named) from None

    def _width(self, ch: str) -> int:
        c = self.codec
        if c == "utf-8":
            cp = ord(ch)
            return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
        if c.startswith("utf-16"):
            return 2 if ord(ch) < 0x10000 else 4
        if c.startswith("utf-32"):
            return 4
        try:
            return len(ch.encode(c))
        except (UnicodeError, LookupError):
            return 1

    def decode(self, data: bytes):
        """(code points, their byte offsets, which are ill-formed) of one string."""
        codec, start = self.codec, 0
        if self.bom == 16 and data[:2] in (b"\xfe\xff", b"\xff\xfe"):
            codec, start = ("utf-16-be" if data[:2] == b"\xfe\xff" else "utf-16-le"), 2
        elif self.bom == 32 and data[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00"):
            codec, start = ("utf-32-be" if data[:4] == b"\x00\x00\xfe\xff" else "utf-32-le"), 4
        if start and len(data) == start:  # only a byte-order mark: ICU reads U+FFFF
            return [0xFFFF], [0], [False]
        _marks.spans = []
        text = data[start:].decode(codec, "jaxtape.unicode_mark")
        spans = iter(_marks.spans)
        points, offsets, bad = [], [], []
        pos = start
        for ch in text:
            if ch == _MARK:
                begin, end = next(spans)
                offsets.append(start + begin)
                pos = start + end
                points.append(0)
                bad.append(True)
                continue
            offsets.append(pos)
            pos += self._width(ch)
            points.append(ord(ch))
            bad.append(False)
        if offsets:
            offsets[0] = 0  # ICU counts a byte-order mark into the first character
        return points, offsets, bad


def _decoded(data: bytes, codec: _Codec, errors, replacement_char, replace_control, op, named):
    """One string's code points and offsets after TF's error policy."""
    points, offsets, bad = codec.decode(data)
    out_p, out_o = [], []
    for p, o, b in zip(points, offsets, bad):
        if b and errors == "strict":
            raise op_error("Invalid formatting on input string", op, named)
        if b or (replace_control and p < 0x20):
            if errors == "ignore":
                continue
            p = replacement_char
        out_p.append(p)
        out_o.append(o)
    return out_p, out_o


def _encoded(points, encoding, errors, replacement_char, op, named) -> bytes:
    codec = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}[encoding]
    substitute = replacement_char if _valid(replacement_char) else 0xFFFD
    chars = []
    for p in points:
        p = int(p)
        if not _valid(p):
            if errors == "strict":
                raise op_error("Code point is out of range for Unicode, or is a surrogate.", op, named)
            if errors == "ignore":
                continue
            p = substitute
        chars.append(chr(p))
    return "".join(chars).encode(codec)


def _valid(p: int) -> bool:
    return 0 <= p <= _MAX and not 0xD800 <= p <= 0xDFFF


# -- results ------------------------------------------------------------------------

def _ints(values, dtype) -> Tensor:
    return Tensor(constant_array(np.asarray(values, dtype=dtype)))


def _texts(values) -> StringTensor:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    out.flags.writeable = False
    return StringTensor(out)


def _byte_strings(array) -> StringTensor:
    out = np.empty(np.shape(array), dtype=object)
    out[...] = array
    out.flags.writeable = False
    return StringTensor(out)


def _rows(shape, pieces, make):
    """Per-string pieces as TF returns them: a vector for a scalar, else a RaggedTensor
    one rank up whose outer dimensions are uniform."""
    flat = [v for p in pieces for v in p]
    if not shape:
        return make(flat)
    out = RaggedTensor.from_row_lengths(make(flat), np.array([len(p) for p in pieces], np.int64))
    for width in reversed(shape[1:]):
        out = RaggedTensor.from_uniform_row_length(out, width)
    return out


def _per_string(input, fn, op):  # noqa: A002 - TF's argument name
    """`fn(flat bytes array, shape)` on a string tensor, or on a ragged one's flat values."""
    if isinstance(input, RaggedTensor):
        result = _per_string(input.flat_values, fn, op)
        if isinstance(result, tuple):
            return tuple(input.with_flat_values(r) for r in result)
        return input.with_flat_values(result)
    a = _text(input, op)
    return fn(a.reshape(-1), a.shape)


# -- decoding -----------------------------------------------------------------------

def _decode(input, input_encoding, errors, replacement_char, replace_control_characters, op,
            offsets):  # noqa: A002
    named = True  # TF's wrapper converts the input first: its eager errors always end in "name: "
    _check_errors(errors, op, _DECODE_ERRORS, named)

    def run(flat, shape):
        codec = _Codec(input_encoding, op, named)
        _check_replacement(replacement_char, op, named)
        results = [_decoded(s, codec, errors, int(replacement_char), replace_control_characters, op,
                            named) for s in flat]
        points = _rows(shape, [r[0] for r in results], lambda v: _ints(v, np.int32))
        if not offsets:
            return points
        return points, _rows(shape, [r[1] for r in results], lambda v: _ints(v, np.int64))
    return _per_string(input, run, op)


@defined("strings.unicode_decode")
def unicode_decode(input, input_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                   replace_control_characters=False, name=None):
    """The code points of each string (int32), ragged above a scalar input."""
    return _decode(input, input_encoding, errors, replacement_char, replace_control_characters,
                   "UnicodeDecode", False)


@defined("strings.unicode_decode_with_offsets")
def unicode_decode_with_offsets(input, input_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                                replace_control_characters=False, name=None):
    """`unicode_decode` plus each character's starting byte offset (int64)."""
    return _decode(input, input_encoding, errors, replacement_char, replace_control_characters,
                   "UnicodeDecodeWithOffsets", True)


def _split(input, input_encoding, errors, replacement_char, offsets):  # noqa: A002
    op = "UnicodeDecodeWithOffsets" if offsets else "UnicodeDecode"
    decoded = _decode(input, input_encoding, errors, replacement_char, False, op, True)
    points, starts = decoded
    flat = points.flat_values if isinstance(points, RaggedTensor) else points
    _check_output(input_encoding, "UnicodeEncode", True)
    _check_replacement(replacement_char, "UnicodeEncode", True)
    chars = _texts([_encoded([p], input_encoding, errors, int(replacement_char), "UnicodeEncode", True)
                    for p in np.asarray(flat.numpy()).tolist()])
    chars = points.with_flat_values(chars) if isinstance(points, RaggedTensor) else chars
    return (chars, starts) if offsets else chars


@defined("strings.unicode_split")
def unicode_split(input, input_encoding, errors="replace", replacement_char=65533, name=None):  # noqa: A002
    """Each string's characters as strings in `input_encoding`."""
    return _split(input, input_encoding, errors, replacement_char, False)


@defined("strings.unicode_split_with_offsets")
def unicode_split_with_offsets(input, input_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                               name=None):
    """`unicode_split` plus each character's starting byte offset."""
    return _split(input, input_encoding, errors, replacement_char, True)


@defined("strings.unicode_transcode")
def unicode_transcode(input, input_encoding, output_encoding, errors="replace",  # noqa: A002
                      replacement_char=65533, replace_control_characters=False, name=None):
    """Each string re-encoded from `input_encoding` to `output_encoding`; same shape."""
    op = "UnicodeTranscode"
    named = named_by(input)
    _check_output(output_encoding, op, named)
    _check_errors(errors, op, _DECODE_ERRORS, named)

    def run(flat, shape):
        codec = _Codec(input_encoding, op, named)
        _check_replacement(replacement_char, op, named)
        out = []
        for s in flat:
            points, _ = _decoded(s, codec, errors, int(replacement_char), replace_control_characters,
                                 op, named)
            out.append(_encoded(points, output_encoding, "replace", int(replacement_char), op, named))
        return _byte_strings(np.array(out + [None], dtype=object)[:-1].reshape(shape))
    return _per_string(input, run, op)


# -- encoding -----------------------------------------------------------------------

def _code_points(x) -> Tensor:
    t = convert_to_tensor(x, dtype_hint=dtypes.int32) if not isinstance(x, Tensor) else x
    if t.dtype != dtypes.int32:
        raise dtype_mismatch("UnicodeEncode", 0, dtypes.int32, t.dtype)
    if isinstance(t._value, Tracer):
        raise TypeError(not_traceable("tf.strings.unicode_encode"))
    return t


@defined("strings.unicode_encode")
def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533, name=None):  # noqa: A002
    """Rows of code points (the innermost dimension) encoded as strings, one rank down."""
    op = "UnicodeEncode"
    _check_errors(errors, op, _ENCODE_ERRORS, True)
    _check_output(output_encoding, op, True)

    def encode_rows(rows):
        _check_replacement(replacement_char, op, True)
        return [_encoded(r, output_encoding, errors, int(replacement_char), op, True) for r in rows]

    if isinstance(input, RaggedTensor):
        if input.ragged_rank > 1:
            return input.with_values(unicode_encode(input.values, output_encoding, errors,
                                                    replacement_char))
        values = input.values
        if values.shape.rank != 1:
            raise ValueError("inner values have inconsistent shape")
        points = np.asarray(_code_points(values).numpy())
        s = np.asarray(input.row_splits.numpy())
        return _texts(encode_rows([points[a:b] for a, b in zip(s[:-1], s[1:])]))
    t = _code_points(input)
    if t.shape.rank == 0:
        raise ValueError("input_tensor's rank must be at least 1.")
    a = np.asarray(t.numpy())
    rows = a.reshape(-1, a.shape[-1]) if a.size or a.shape[-1] else np.zeros((int(np.prod(a.shape[:-1])), 0))
    out = encode_rows(list(rows))
    return _byte_strings(np.array(out + [None], dtype=object)[:-1].reshape(a.shape[:-1]))


# -- scripts ------------------------------------------------------------------------

def _script_table():
    pairs = [item.split(":") for item in RANGES.split()]
    return (np.array([int(s, 16) for s, _ in pairs], np.int32),
            np.array([int(c) for _, c in pairs], np.int32))


_STARTS, _CODES = _script_table()


def _script(x):
    at = jnp.searchsorted(jnp.asarray(_STARTS), x, side="right") - 1
    code = jnp.asarray(_CODES)[jnp.clip(at, 0, len(_CODES) - 1)]
    return jnp.where((x < 0) | (x > _MAX), -1, code).astype(jnp.int32)


_script_prim = Primitive(_script, "UnicodeScript", differentiable=False)


@defined("strings.unicode_script", primitive=_script_prim)
def unicode_script(input, name=None):  # noqa: A002
    """ICU's script code (UScriptCode) of each int32 code point; -1 outside Unicode."""
    if isinstance(input, RaggedTensor):
        return input.with_flat_values(unicode_script(input.flat_values))
    t = convert_to_tensor(input, dtype_hint=dtypes.int32) if not isinstance(input, Tensor) else input
    if t.dtype != dtypes.int32:
        raise dtype_mismatch("UnicodeScript", 0, dtypes.int32, t.dtype)
    return _script_prim(t)
