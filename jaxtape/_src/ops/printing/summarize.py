"""TF's text for a tensor's values in `tf.print`, which is not `str(tensor)`.

The print kernel writes elements without commas (`[1 2 3]`), bools as 1/0,
floats in the shortest of two `%g` precisions that reads back exactly, keeps
`summarize` elements at each end of every dimension with `...` between, and
separates the rows of dimension d by (rank - d - 1) newlines.
"""
from __future__ import annotations

import numpy as np

# (digits tried first, digits used when those do not read back): FLT_DIG and
# DBL_DIG, then three and two more, as TF's float-to-text conversion does.
_FLOAT_DIGITS = {4: (6, 9), 8: (15, 17)}


def element_text(x) -> str:
    """One element as TF's print kernel writes it."""
    if isinstance(x, (bool, np.bool_)):
        return "1" if x else "0"
    if isinstance(x, (np.integer, int)):
        return str(int(x))
    if isinstance(x, np.complexfloating):
        return "?"
    if isinstance(x, np.floating) or isinstance(x, float):
        # half and bfloat16 print through float32; float64 with double precision.
        size = 8 if isinstance(x, (np.float64, float)) else 4
        kind = np.float64 if size == 8 else np.float32
        value = kind(x)
        if np.isnan(value):
            return "nan"
        short, long = _FLOAT_DIGITS[size]
        text = "%.*g" % (short, value)
        return text if kind(float(text)) == value else "%.*g" % (long, value)
    if isinstance(x, bytes):
        return '"%s"' % x.decode("utf-8", "replace")
    return str(x)


def _spacing(dim: int, rank: int) -> str:
    if dim == rank - 1:
        return " "
    return "\n" * (rank - dim - 1) + " " * (dim + 1)


def summarize(array: np.ndarray, summarize: int = 3) -> str:
    """`array`'s values as `tf.print` shows them; `summarize < 0` shows all."""
    array = np.asarray(array)
    if array.ndim == 0:
        return element_text(array[()])
    n = array.size
    ends = n if summarize < 0 else min(summarize, n)
    parts: list[str] = []

    def dim_text(sub: np.ndarray, dim: int) -> None:
        if dim == array.ndim:
            parts.append(element_text(sub if isinstance(sub, bytes) else sub[()]))  # bytes: a tf.string
            return
        parts.append("[")
        count = array.shape[dim]
        for i in range(min(ends, count)):
            if i:
                parts.append(_spacing(dim, array.ndim))
            dim_text(sub[i], dim + 1)
        if count > 2 * ends:
            parts.append(_spacing(dim, array.ndim))
            parts.append("...")
        for i in range(max(ends, count - ends), count):
            parts.append(_spacing(dim, array.ndim))
            dim_text(sub[i], dim + 1)
        parts.append("]")

    dim_text(array, 0)
    return "".join(parts)
