"""`tf.nn.fractional_max_pool` / `fractional_avg_pool` (and compat.v1's).

Each output row (column) pools the input rows `seq[i] .. seq[i+1] - 1`
(`.. seq[i+1]` when `overlapping`, clipped to the input), where `seq` is a
pooling sequence from 0 to the input size of `floor(size / ratio) + 1`
values, made as TF's kernel makes it: steps of `size // out` and one more,
either shuffled (random) or `ceil(alpha * (i + u)) - 1` for one uniform
`u` (pseudo_random); a size that `out` divides gives equal steps. The
random draws come from JAX's generator (seeded by `seed`), not TF's
Philox, so a random sequence differs from TF's (a documented difference);
its rules, the output shape and everything computed from given sequences
match. The maximum is the first largest cell of a window in TF's scan
order (rows, then columns), which takes the whole gradient; the average
divides by the window's cell count, its gradient spread evenly (TF's
FractionalMax/AvgPoolGrad).
"""
from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework.errors import UnimplementedError
from jaxtape._src.framework.messages import dtype_not_allowed, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.random import next_key
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

_TYPES = ("float32", "float64", "int32", "int64")
_KERNELS = "float, double, int32, int64"

FractionalMaxPool = collections.namedtuple("FractionalMaxPool",
                                           ["output", "row_pooling_sequence", "col_pooling_sequence"])
FractionalAvgPool = collections.namedtuple("FractionalAvgPool",
                                           ["output", "row_pooling_sequence", "col_pooling_sequence"])


def _one_sequence(key, n_in, n_out, pseudo):
    """A pooling sequence (n_out + 1 int64 values, 0 to n_in), as TF's kernel makes one."""
    k = n_in // n_out
    if n_in % n_out == 0:
        steps = jnp.full((n_out,), k, jnp.int64)
    elif pseudo:
        alpha = n_in / n_out
        u_max = min((k + 2) / alpha - 1, (n_in + 1 - k) / alpha - (n_out - 1))
        u = jax.random.uniform(key, (), jnp.float64) * u_max
        inner = jnp.ceil(alpha * (jnp.arange(1, n_out, dtype=jnp.float64) + u)).astype(jnp.int64)
        cum = jnp.concatenate([jnp.ones((1,), jnp.int64), inner, jnp.full((1,), n_in + 1, jnp.int64)])
        steps = cum[1:] - cum[:-1]
    else:
        extra = n_in % n_out
        steps = k + (jax.random.permutation(key, n_out) < extra).astype(jnp.int64)
    return jnp.concatenate([jnp.zeros((1,), jnp.int64), jnp.cumsum(steps)])


@primitive(name="FractionalPoolSequences", differentiable=False, multiple_results=True)
def _sequences(key, *, sizes, outs, pseudo):
    kr, kc = jax.random.split(key)
    return _one_sequence(kr, sizes[0], outs[0], pseudo), _one_sequence(kc, sizes[1], outs[1], pseudo)


def _windows(seq, n_in, n_out, width, overlapping):
    """Each output's window positions (clipped) and which belong to it."""
    start, stop = seq[:-1], seq[1:] - (0 if overlapping else 1)
    stop = jnp.minimum(stop, n_in - 1)
    pos = start[:, None] + jnp.arange(width)[None, :]
    return jnp.clip(pos, 0, n_in - 1), pos <= stop[:, None]


def _gathered(x, rows, cols, overlapping, widths):
    _, h, w, _ = x.shape
    r, r_ok = _windows(rows, h, rows.shape[0] - 1, widths[0], overlapping)
    c, c_ok = _windows(cols, w, cols.shape[0] - 1, widths[1], overlapping)
    v = x[:, r][:, :, :, c]  # [b, out_h, kh, out_w, kw, d]
    v = jnp.transpose(v, (0, 1, 3, 2, 4, 5))
    ok = (r_ok[:, None, :, None] & c_ok[None, :, None, :])[None, :, :, :, :, None]
    b, oh, ow, kh, kw, d = v.shape
    return v.reshape(b, oh, ow, kh * kw, d), jnp.broadcast_to(ok, v.shape).reshape(b, oh, ow, kh * kw, d)


@primitive(name="FractionalMaxPool")
def _max_pool(x, rows, cols, *, overlapping, widths):
    v, ok = _gathered(x, rows, cols, overlapping, widths)
    best = v[..., 0, :]
    at = jnp.zeros(best.shape, jnp.int32)
    for i in range(1, v.shape[-2]):  # TF's scan: a later cell only if greater
        take = ok[..., i, :] & (best < v[..., i, :])
        best = jnp.where(take, v[..., i, :], best)
        at = jnp.where(take, i, at)
    return jnp.take_along_axis(v, at[..., None, :], axis=-2)[..., 0, :]


@primitive(name="FractionalAvgPool")
def _avg_pool(x, rows, cols, *, overlapping, widths):
    v, ok = _gathered(x, rows, cols, overlapping, widths)
    total = jnp.sum(jnp.where(ok, v, jnp.zeros_like(v)), axis=-2, dtype=x.dtype)
    count = jnp.sum(ok, axis=-2).astype(x.dtype)
    return lax.div(total, count)


def pool_with_sequences(kind, value, rows, cols, overlapping):
    """Fractional pooling of `value` over given pooling sequences (TF's grad ops read them)."""
    x, rows, cols = tensor(value), tensor(rows), tensor(cols)
    sizes = x._meta.shape[1:3]
    outs = (rows._meta.shape[0] - 1, cols._meta.shape[0] - 1)
    # A window of a sequence TF makes has at most size // out + 1 cells (one more overlapping).
    widths = tuple(max(1, n // max(o, 1) + 2 + int(overlapping)) for n, o in zip(sizes, outs))
    fn = _max_pool if kind == "max" else _avg_pool
    return fn(x, rows, cols, overlapping=bool(overlapping), widths=widths)


def _check_ratio(pooling_ratio):
    """The v2 wrappers' checks of `pooling_ratio`, then its 4 values."""
    if isinstance(pooling_ratio, (list, tuple)):
        if pooling_ratio[0] != 1.0 or pooling_ratio[-1] != 1.0:
            raise ValueError("`pooling_ratio` should have first and last elements with value 1.0. "
                             f"Received: pooling_ratio={pooling_ratio}")
        for element in pooling_ratio:
            if element < 1.0:
                raise ValueError(f"`pooling_ratio` elements should be >= 1.0. Received: "
                                 f"pooling_ratio={pooling_ratio}")
    elif isinstance(pooling_ratio, (int, float)):
        if pooling_ratio < 1.0:
            raise ValueError(f"`pooling_ratio` should be >= 1.0. Received: pooling_ratio={pooling_ratio}")
    else:
        raise ValueError("`pooling_ratio` should be an int or a list of ints. Received: "
                         f"pooling_ratio={pooling_ratio}")
    value = list(pooling_ratio) if isinstance(pooling_ratio, (list, tuple)) else [pooling_ratio]
    if len(value) == 4:
        return value
    if len(value) == 1:
        value = value * 2
    elif len(value) != 2:
        raise ValueError(f"pooling_ratio should be of length 1, 2 or 4. Received: "
                         f"pooling_ratio={value} of length {len(value)}")
    return [1] + value + [1]


def _fractional(kind, value, ratio, pseudo_random, overlapping, seed):
    op = "FractionalMaxPool" if kind == "max" else "FractionalAvgPool"
    if not isinstance(ratio, (list, tuple)):
        raise TypeError(f"Expected list for 'pooling_ratio' argument to 'fractional_{kind}_pool' Op, not "
                        f"{ratio!r}.")
    ratio = [float(r) for r in ratio]
    x = tensor(value)
    if len(ratio) < 4:
        raise op_error(f"Length for attr 'pooling_ratio' of {len(ratio)} must be at least minimum 4", op)
    if x.dtype.name not in _TYPES:
        raise dtype_not_allowed(op, x.dtype, _KERNELS, f"Op<name={op}>")
    if len(ratio) != 4:
        raise op_error("pooling_ratio field must specify 4 dimensions", op)
    if ratio[0] != 1 or ratio[3] != 1:
        what = "max" if kind == "max" else "average"
        raise UnimplementedError(None, None, f"Fractional {what} pooling is not yet supported on the batch "
                                 f"nor channel dimension. [Op:{op}] name: ")
    shape = tuple(x._meta.shape)
    if len(shape) != 4:
        raise op_error("tensor_in must be 4-dimensional", op, named=False)
    outs = []
    for i in range(4):
        out = int(np.floor(shape[i] / ratio[i]))
        if out <= 0:
            raise op_error(f"Pooling ratio is higher than input dimension size for dimension {i}. Input dim "
                           f"size: {shape[i]} pooling ratio: {ratio[i]:g}", op)
        outs.append(out)
    key = next_key(None if not seed else int(seed))
    rows, cols = _sequences(Tensor(key), sizes=(shape[1], shape[2]), outs=(outs[1], outs[2]),
                            pseudo=bool(pseudo_random))
    y = pool_with_sequences(kind, x, rows, cols, overlapping)
    wrap = FractionalMaxPool if kind == "max" else FractionalAvgPool
    return wrap(y, rows, cols)


@defined("nn.fractional_max_pool")
def fractional_max_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, seed=0, name=None):
    """Max pooling over windows of fractional average size `pooling_ratio`;
    returns (output, row_pooling_sequence, col_pooling_sequence)."""
    ratio = _check_ratio(pooling_ratio)
    return _fractional("max", value, ratio, pseudo_random, overlapping, seed)


@defined("nn.fractional_avg_pool")
def fractional_avg_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, seed=0, name=None):
    """Average pooling over windows of fractional average size (TF's v2 takes
    `pooling_ratio` as given: a list of 4 values)."""
    return _fractional("avg", value, pooling_ratio, pseudo_random, overlapping, seed)


@defined("compat.v1.nn.fractional_max_pool")
def fractional_max_pool_v1(value, pooling_ratio, pseudo_random=False, overlapping=False,
                           deterministic=False, seed=0, seed2=0, name=None):
    return _fractional("max", value, pooling_ratio, pseudo_random, overlapping, seed if deterministic else 0)


@defined("compat.v1.nn.fractional_avg_pool")
def fractional_avg_pool_v1(value, pooling_ratio, pseudo_random=False, overlapping=False,
                           deterministic=False, seed=0, seed2=0, name=None):
    return _fractional("avg", value, pooling_ratio, pseudo_random, overlapping, seed if deterministic else 0)
