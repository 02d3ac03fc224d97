"""`tf.print`: prints tensors with TF's formatting, eagerly or at run time.

Eagerly the text is written at once. While `tf.function` traces, the
tensors' values do not exist yet, so the line is printed by a JAX host
callback staged into the program: it runs on every call, never at trace
time, as TF's PrintV2 op does.
"""
from __future__ import annotations

import sys

import jax
import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import is_tensor
from jaxtape._src.ops.printing.summarize import summarize as summarize_array

_KEYWORDS = ("output_stream", "summarize", "sep", "end", "name")

_STREAM_ERROR = (
    "Unsupported output stream, logging level, or file.{}. Supported streams are sys.stdout, "
    "sys.stderr, tf.logging.info, tf.logging.warning, tf.logging.error. File needs to be in "
    "the form file://path/to/file.")


class _Text:
    """Stands for a formatted tensor inside a structure's repr."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _rebuild(x, leaf):
    """`x` with every tensor replaced by `leaf(tensor)`; dicts in sorted key order, as TF's nest."""
    if is_tensor(x):
        return leaf(x)
    if isinstance(x, dict):
        return {k: _rebuild(x[k], leaf) for k in sorted(x)}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_rebuild(v, leaf) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_rebuild(v, leaf) for v in x)
    return x


def _writer(output_stream):
    """A function writing a text to `output_stream`, resolved at write time for sys streams."""
    if output_stream is None or output_stream is sys.stderr or output_stream is sys.__stderr__:
        return lambda text: (sys.stderr.write(text), sys.stderr.flush())
    if output_stream is sys.stdout or output_stream is sys.__stdout__:
        return lambda text: (sys.stdout.write(text), sys.stdout.flush())
    if isinstance(output_stream, str) and output_stream.startswith("file://"):
        path = output_stream[len("file://"):]

        def append(text):
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
        return append
    if callable(output_stream) and getattr(output_stream, "__module__", "").startswith("logging"):
        return lambda text: output_stream(text.rstrip("\n"))
    raise ValueError(_STREAM_ERROR.format(output_stream))


@export("print")
def print_v2(*inputs, **kwargs):
    """Prints `inputs` joined by `sep` and followed by `end`, tensors as TF shows them.

    `summarize` elements are kept at each end of every dimension (-1: all).
    Strings print as they are; other Python values and structures print as
    their repr, with tensors shown inside them and dict keys sorted.
    """
    unknown = [k for k in kwargs if k not in _KEYWORDS]
    if unknown:
        raise ValueError(f"Unrecognized keyword arguments for tf.print: {kwargs}")
    summarize = kwargs.get("summarize", 3)
    summarize = 3 if summarize is None else int(summarize)
    sep = kwargs.get("sep", " ")
    end = kwargs.get("end", "\n")
    write = _writer(kwargs.get("output_stream", sys.stderr))

    arrays = []

    def collect(t):
        arrays.append(convert_to_tensor(t)._value)
        return t

    for x in inputs:
        _rebuild(x, collect)

    def render(*values):
        texts = iter(summarize_array(np.asarray(v), summarize) for v in values)
        parts = []
        for x in inputs:
            if isinstance(x, str):
                parts.append(x)
            elif is_tensor(x):
                parts.append(next(texts))
            else:
                parts.append(repr(_rebuild(x, lambda t: _Text(next(texts)))))
        write(sep.join(parts) + end)

    if local.tracing:
        jax.debug.callback(render, *arrays, ordered=True)
    else:
        render(*arrays)
