"""Sliding-window arguments shared by convolution and pooling, read as TF reads them.

strides, dilations and ksize: an int or a list of 1, N or N+2 values;
padding: "SAME", "VALID" or explicit pairs; the 1-D ops' data formats.
"""
from __future__ import annotations

from jaxtape._src.framework.messages import attr_not_allowed, op_error
from jaxtape._src.ops.support import kernel_dtypes


def sequence(value, n, channel_index, name):
    """TF's `_get_sequence`: an int or 1, n or n+2 values -> n+2 values."""
    if value is None:
        return [1] * (n + 2)
    if isinstance(value, int) or hasattr(value, "__index__") and not hasattr(value, "__len__"):
        value = [int(value)]
    value = [int(v) for v in value]
    if len(value) == n + 2:
        return value
    if len(value) not in (1, n):
        raise ValueError(f"{name} should be of length 1, {n} or {n + 2}. Received: "
                         f"{name}={value} of length {len(value)}")
    spatial = value * n if len(value) == 1 else value
    full = [1] * (n + 2)
    start = 1 if channel_index == n + 1 else 2
    full[start:start + n] = spatial
    return full


def padding(value, n, op):
    """"SAME" | "VALID" | the n spatial (lo, hi) pairs of an explicit list, as TF checks it."""
    if isinstance(value, (list, tuple)):
        if len(value) != n + 2:
            raise ValueError(f"When padding is a list, it must be of size {n + 2}. Received: "
                             f"padding={value} of size {len(value)}")
        pairs = [tuple(int(v) for v in p) for p in value]
        if pairs[0] != (0, 0) or pairs[-1] != (0, 0):
            raise op_error("Nonzero explicit padding in the batch or depth dimensions is not "
                           "supported", op)
        if any(v < 0 for p in pairs for v in p):
            raise op_error("All elements of explicit_paddings must be nonnegative", op)
        return tuple(pairs[1:-1])
    if value not in ("SAME", "VALID"):
        raise attr_not_allowed(op, "padding", f'"{value}"', kernel_dtypes.padding_values(op),
                               kernel_dtypes.summary(op))
    return value


def check_output_sizes(sizes, ksizes, strides, dilations, padding, op):
    """TF's error for a VALID (or explicit) window larger than its padded input."""
    if padding == "SAME":
        return
    for i, (size, k, s, d) in enumerate(zip(sizes, ksizes, strides, dilations)):
        lo, hi = (0, 0) if padding == "VALID" else padding[i]
        eff = (k - 1) * d + 1
        out = int((size + lo + hi - eff + s) / s)  # C++ division truncates toward zero
        if out < 0:
            raise op_error(f"Computed output size would be negative: {out} [input_size: {size}, "
                           f"effective_filter_size: {eff}, stride: {s}]", op)


def layout_1d(data_format):
    """A 1-D op's format -> (where the inserted height dim goes, channel index, 2-D format).

    TF runs 1-D convolution and pooling as the 2-D op over a height-1
    dimension inserted right after the batch.
    """
    if data_format is None or data_format in ("NHWC", "NWC"):
        return -3, 2, "NHWC"
    if data_format in ("NCHW", "NCW"):
        return -2, 1, "NCHW"
    raise ValueError(f"`data_format` must be 'NWC' or 'NCW'. Received: data_format={data_format}")
