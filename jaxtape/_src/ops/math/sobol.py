"""`tf.math.sobol_sample`: points of the Sobol sequence, as TF's SobolSample gives them.

TF's kernel uses Joe and Kuo's direction numbers (new-joe-kuo-6.21201, up to
21200 dimensions) with as many bits as its last index needs, skips the sequence's first point (all zeros)
and returns points `skip + 1 ... skip + num_results` in Gray-code order. The
table here (`sobol_directions.npz`: each dimension's primitive-polynomial
degree and coefficients and its initial direction integers m_1..m_s; the
first dimension is van der Corput's) was measured from TF's output, whose
float64 points times 2**30 are those integers; the remaining direction
numbers follow by Joe and Kuo's recurrence. Values are exact: the integer
points are computed on the host and scaled as TF scales them (once the last
index reaches 2**30 - 1, TF's int32 scale overflows to -2**-31, so every
value comes out negative; that is reproduced).
"""
from __future__ import annotations

import functools
import os

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import dtype_mismatch, kernel_dtype_name, named_by, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import host_array
from jaxtape._src.ops.support.define import defined

_BITS = 31  # direction numbers kept; TF scales by the bits its last index needs
_MAX_DIM = 21200
_OP = "SobolSample"
_SUMMARY = ("Op<name=SobolSample; signature=dim:int32, num_results:int32, skip:int32 -> samples:dtype; "
            "attr=dtype:type,default=DT_FLOAT,allowed=[DT_FLOAT, DT_DOUBLE]>")


@functools.lru_cache(maxsize=1)
def _directions() -> np.ndarray:
    """[31, 21200] uint32: direction number j of each dimension, as a 31-bit integer."""
    data = np.load(os.path.join(os.path.dirname(__file__), "sobol_directions.npz"))
    degree = data["degree"].astype(np.int64)
    poly = data["poly"].astype(np.int64)
    initial = data["initial"].astype(np.int64)
    count = degree.size
    m = np.ones((count, _BITS), np.int64)  # dimension 0 (degree 0): all m_j = 1
    start = np.concatenate([[0], np.cumsum(degree)[:-1]])
    for j in range(int(degree.max())):
        have = degree > j
        m[have, j] = initial[start[have] + j]
    for j in range(1, _BITS):
        later = (degree > 0) & (j >= degree)
        s = degree[later]
        rows = np.nonzero(later)[0]
        first = m[rows, j - s]
        value = first ^ (first << s)
        for i in range(1, int(s.max()) if s.size else 1):
            use = (i < s) & (((poly[later] >> np.maximum(s - 1 - i, 0)) & 1) == 1)
            value = np.where(use, value ^ (m[rows, j - i] << i), value)
        m[rows, j] = value
    shifts = _BITS - 1 - np.arange(_BITS)
    return (m << shifts[None, :]).T.astype(np.uint32)


def _gray_point(n: int, v: np.ndarray) -> np.ndarray:
    """The integer point with index n: the XOR of the direction numbers that gray(n) selects."""
    gray = n ^ (n >> 1)
    out = np.zeros(v.shape[1], np.uint32)
    j = 0
    while gray:
        if gray & 1:
            out ^= v[j]
        gray >>= 1
        j += 1
    return out


def _points(dim: int, count: int, skip: int, bits: int) -> np.ndarray:
    """[count, dim] uint32 points skip+1 .. skip+count, as `bits`-bit integers."""
    v = _directions()[:, :dim] >> np.uint32(_BITS - bits)
    if count == 0:
        return np.zeros((0, dim), np.uint32)
    first = _gray_point(skip + 1, v)
    n = np.arange(skip + 2, skip + count + 1, dtype=np.int64)  # point n flips direction ctz(n)
    low = np.zeros_like(n)
    rest = n.copy()
    while np.any(rest & 1 == 0):
        even = (rest & 1) == 0
        low += even
        rest = np.where(even, rest >> 1, rest)
    steps = v[np.minimum(low, _BITS - 1)] if n.size else np.zeros((0, dim), np.uint32)
    table = np.concatenate([first[None], steps], axis=0)
    return np.bitwise_xor.accumulate(table, axis=0)


def _scalar_int(value, label):
    t = convert_to_tensor(value, dtype=dtypes.int32) if not isinstance(value, Tensor) else value
    if t.dtype != dtypes.int32:
        raise dtype_mismatch(_OP, {"dim": 0, "num_results": 1, "skip": 2}[label], dtypes.int32, t.dtype)
    if t.ndim:
        raise op_error(f"{label} must be a scalar", _OP, named_by(value))
    return int(host_array(t, "tf.math.sobol_sample", label))


@defined("math.sobol_sample")
def sobol_sample(dim, num_results, skip=0, dtype=dtypes.float32, name=None):
    """[num_results, dim] points of the Sobol sequence in [0, 1), starting after `skip` points
    (and after the all-zero first point), in float32 or float64."""
    dtype = dtypes.as_dtype(dtype)
    if dtype not in (dtypes.float32, dtypes.float64):
        raise op_error(f"Value for attr 'dtype' of {kernel_dtype_name(dtype)} is not in the list of allowed "
                       f"values: float, double\n\t; NodeDef: {{{{node SobolSample}}}}; {_SUMMARY}", _OP)
    d = _scalar_int(dim, "dim")
    n = _scalar_int(num_results, "num_results")
    s = _scalar_int(skip, "skip")
    if d < 1:
        raise op_error("dim must be at least one", _OP)
    if d > _MAX_DIM:
        raise op_error(f"dim must be at most {_MAX_DIM}", _OP)
    if n < 1:
        raise op_error("num_results must be at least one", _OP)
    if s < 0:
        raise op_error("skip must be non-negative", _OP)
    if n + s >= 2 ** 31 - 1:
        raise op_error(f"num_results+skip must be less than {2 ** 31 - 1}", _OP)
    # TF sizes its integers by the last index (skip + n; +1 as its count of bits goes) and
    # scales by 1 / (1 << bits) in int32 arithmetic: at 31 bits that is -2**-31.
    bits = (s + n + 1).bit_length()
    scale = -(2.0 ** -31) if bits == 31 else 2.0 ** -bits
    points = _points(d, n, s, bits).astype(np.float64) * scale
    return Tensor(jnp.asarray(points.astype(dtype.as_numpy_dtype)))
