"""More of `tf.random`: `stateless_gamma`, `stateless_binomial`,
`stateless_parameterized_truncated_normal` and `create_rng_state`.

Draws come from JAX's generator keyed by the `[2]` seed (as the other
stateless ops in random.py), so values differ from TF's; shapes, dtypes,
parameter broadcasting rules, errors and gradients (implicit
reparameterization, with TF's formulas) follow TF.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.messages import kernel_dtype_name, negative_dimension, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.random import Algorithm, stateless_key
from jaxtape._src.ops.support.args import static_shape
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

_GAMMA = "StatelessRandomGammaV3"
_BINOMIAL = "StatelessRandomBinomial"
_PTN = "StatelessParameterizedTruncatedNormal"
_FLOAT_KERNELS = (dtypes.float16, dtypes.float32, dtypes.float64)


def _ends_with(shape, params, op, named=True):
    """TF's kernels: the output shape must end with the parameters' broadcast shape."""
    try:
        b = tuple(np.broadcast_shapes(*(tuple(p.shape) for p in params)))
    except ValueError:
        b = None
    if b is None or len(b) > len(shape) or tuple(shape[len(shape) - len(b):]) != b:
        raise op_error("Shape passed in must end with broadcasted shape.", op, named)
    return b


def _float_attr(dt, op, summary):
    if dt not in _FLOAT_KERNELS:
        raise op_error(f"Value for attr 'dtype' of {dt.name} is not in the list of allowed values: "
                       f"half, float, double\n\t; NodeDef: {{{{node {op}}}}}; {summary}", op)


# -- gamma --------------------------------------------------------------------------

@primitive(name=_GAMMA)
def _stateless_gamma(key, alpha, beta, *, shape):
    sample = jax.random.gamma(key, jnp.broadcast_to(alpha, shape), shape, alpha.dtype)
    y = sample / beta
    tiny = jnp.asarray(np.finfo(alpha.dtype).tiny, alpha.dtype)
    # TF: maximum(tiny, y); its gradient reaches y only where y > tiny.
    return jnp.where(y > tiny, y, tiny)


_GAMMA_SUMMARY = ("Op<name=StatelessRandomGammaV3; signature=shape:shape_dtype, key:uint64, counter:uint64, "
                  "alg:int32, alpha:dtype -> output:dtype; attr=dtype:type,allowed=[DT_HALF, DT_FLOAT, "
                  "DT_DOUBLE]; attr=shape_dtype:type,default=DT_INT64,allowed=[DT_INT32, DT_INT64]; "
                  "is_stateful=true>")


@defined("random.stateless_gamma")
def stateless_gamma(shape, seed, alpha, beta=None, dtype=dtypes.float32, name=None):
    """Gamma(alpha, rate=beta) samples of shape `shape`, which must end with
    broadcast(alpha, beta); differentiable in alpha and beta as TF's."""
    dt = dtypes.as_dtype(dtype)
    shape = static_shape(shape)
    alpha = convert_to_tensor(alpha, dtype=dt)
    beta = convert_to_tensor(1 if beta is None else beta, dtype=dt)
    _float_attr(dt, _GAMMA, _GAMMA_SUMMARY)
    key = stateless_key(seed)
    negative_dimension(shape, _GAMMA)
    _ends_with(shape, (alpha, beta), _GAMMA)
    return _stateless_gamma(Tensor(key), alpha, beta, shape=shape)


# -- binomial -----------------------------------------------------------------------

_BINOMIAL_OUT = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


@primitive(name=_BINOMIAL, differentiable=False)
def _stateless_binomial(key, counts, probs, *, shape, out):
    n = jnp.broadcast_to(counts, shape).astype(jnp.float64)
    p = jnp.broadcast_to(probs, shape).astype(jnp.float64)
    n = jnp.where(n > 0, jnp.floor(n), 0.0)
    safe = jnp.clip(p, 0.0, 1.0)
    draws = jax.random.binomial(key, n, safe, shape, jnp.float64)
    draws = jnp.where(p >= 1, n, jnp.where(p <= 0, 0.0, draws))
    return draws.astype(out)


@defined("random.stateless_binomial")
def stateless_binomial(shape, seed, counts, probs, output_dtype=dtypes.int32, name=None):
    """Binomial(counts, probs) counts of shape `shape` (which must end with the
    parameters' broadcast shape), as `output_dtype`."""
    shape = static_shape(shape)
    probs = convert_to_tensor(probs, dtype_hint=dtypes.float32)
    counts = convert_to_tensor(counts, dtype_hint=probs.dtype)
    out = dtypes.as_dtype(output_dtype)
    key = stateless_key(seed)
    negative_dimension(shape, _BINOMIAL, named=False)
    _ends_with(shape, (counts, probs), _BINOMIAL, named=False)
    return _stateless_binomial(Tensor(key), counts, probs, shape=shape, out=out.as_numpy_dtype)


# -- parameterized truncated normal -------------------------------------------------

def _ndtr(x):
    half_sqrt_2 = np.asarray(0.5 * np.sqrt(2.0), x.dtype)
    w = x * half_sqrt_2
    z = jnp.abs(w)
    y = jnp.where(z < half_sqrt_2, 1.0 + jax.lax.erf(w),
                  jnp.where(w > 0.0, 2.0 - jax.lax.erfc(z), jax.lax.erfc(z)))
    return 0.5 * y


@jax.custom_vjp
def _ptn_sample(key, mean, std, lo, hi):
    return _ptn_forward(key, mean, std, lo, hi)[0]


def _ptn_forward(key, mean, std, lo, hi):
    a, b = (lo - mean) / std, (hi - mean) / std
    # JAX's sampler works in float32 or wider; half precision samples in float32.
    wide = jnp.promote_types(mean.dtype, jnp.float32)
    z = jax.random.truncated_normal(key, a.astype(wide), b.astype(wide), mean.shape, wide)
    z = jnp.clip(z.astype(mean.dtype), a, b)
    sample = mean + std * z
    return sample, (mean, std, lo, hi, sample)


def _ptn_fwd(key, mean, std, lo, hi):
    sample, res = _ptn_forward(key, mean, std, lo, hi)
    return sample, (key,) + res


def _ptn_bwd(res, g):
    # TF's implicit reparameterization gradient (random_grad.py's formulas).
    key, mean, std, lo, hi, sample = res
    lo_std, hi_std, s_std = (lo - mean) / std, (hi - mean) / std, (sample - mean) / std
    cdf = (_ndtr(s_std) - _ndtr(lo_std)) / (_ndtr(hi_std) - _ndtr(lo_std))
    info = np.finfo(mean.dtype)
    cdf = jnp.clip(cdf, np.asarray(info.tiny, mean.dtype), np.asarray(1 - info.eps, mean.dtype))
    dhi = jnp.exp(0.5 * (s_std ** 2 - hi_std ** 2) + jnp.log(cdf))
    dlo = jnp.exp(0.5 * (s_std ** 2 - lo_std ** 2) + jnp.log1p(-cdf))
    key_ct = np.zeros(key.shape, jax.dtypes.float0)
    return key_ct, g, g * s_std, g * dlo, g * dhi


_ptn_sample.defvjp(_ptn_fwd, _ptn_bwd)


@primitive(name=_PTN)
def _stateless_ptn(key, mean, std, lo, hi, *, shape):
    return _ptn_sample(key, *(jnp.broadcast_to(v, shape) for v in (mean, std, lo, hi)))


_PTN_SUMMARY = ("Op<name=StatelessParameterizedTruncatedNormal; signature=shape:S, seed:Tseed, means:dtype, "
                "stddevs:dtype, minvals:dtype, maxvals:dtype -> output:dtype; attr=S:type,allowed=[DT_INT32, "
                "DT_INT64]; attr=Tseed:type,default=DT_INT64,allowed=[DT_INT32, DT_INT64]; "
                "attr=dtype:type,allowed=[DT_HALF, DT_FLOAT, DT_DOUBLE]>")


@defined("random.stateless_parameterized_truncated_normal")
def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0, minvals=-2.0, maxvals=2.0,
                                             name=None):
    """Normal(means, stddevs) samples kept within [minvals, maxvals]; the
    parameters broadcast to a suffix of `shape`. Differentiable in all four
    parameters (TF's implicit reparameterization)."""
    shape = static_shape(shape)
    params = [convert_to_tensor(v) for v in (means, stddevs, minvals, maxvals)]
    dt = params[0].dtype
    _float_attr(dt, _PTN, _PTN_SUMMARY)
    for i, p in enumerate(params[1:], start=3):
        if p.dtype != dt:
            raise op_error(f"cannot compute {_PTN} as input #{i}(zero-based) was expected to be a "
                           f"{_kernel(dt)} tensor but is a {_kernel(p.dtype)} tensor", _PTN, named=False)
    key = stateless_key(seed)
    negative_dimension(shape, _PTN, named=False)
    _ends_with(shape, params, _PTN, named=False)
    if int(np.prod(shape)) > 0:
        m, s, lo, hi = (np.broadcast_to(np.asarray(p._value, np.float64), shape) for p in params)
        a, b = (lo - m) / np.where(s > 0, s, 1), (hi - m) / np.where(s > 0, s, 1)
        bad = ~(s > 0) | ~(a < b) | ~(np.isfinite(a) | np.isfinite(b))
        if bad.any():
            raise op_error("Invalid parameters", _PTN, named=False)
    return _stateless_ptn(Tensor(key), *params, shape=shape)


def _kernel(dt):
    return kernel_dtype_name(dt)


# -- RNG states ---------------------------------------------------------------------

_STATE_SIZES = {Algorithm.PHILOX.value: 3, Algorithm.THREEFRY.value: 2, Algorithm.AUTO_SELECT.value: 3}


def _unsupported_alg(alg):
    if isinstance(alg, int):
        names = (1, 2, 3)
    elif isinstance(alg, str):
        names = ("philox", "threefry", "auto_select")
    else:
        names = (Algorithm.PHILOX, Algorithm.THREEFRY, Algorithm.AUTO_SELECT)
    return ValueError(f"Argument `alg` got unsupported value {alg}. Supported values are {names[0]} for the "
                      f"Philox algorithm, {names[1]} for the ThreeFry algorithm, and {names[2]} for "
                      f"auto-selection.")


def _alg_int(alg):
    if isinstance(alg, int):
        return alg
    if isinstance(alg, Algorithm) or type(alg).__name__ == "Algorithm" and hasattr(alg, "value"):
        return int(alg.value)
    if isinstance(alg, Tensor):
        return int(alg.numpy())
    if isinstance(alg, str):
        canon = alg.strip().lower().replace("-", "").replace("_", "")
        found = {"philox": 1, "threefry": 2, "autoselect": 3}.get(canon)
        if found is None:
            raise _unsupported_alg(alg)
        return found
    raise TypeError(f"Can't convert argument `alg` (of value {alg} and type {type(alg)}) to int.")


def _as_int64(n):
    return n - 2**64 if isinstance(n, int) and n > 2**63 - 1 else n


@defined("random.create_rng_state", "random.experimental.create_rng_state")
def create_rng_state(seed, alg):
    """An int64 RNG state for `alg`: shape [3] for Philox (and auto-select),
    [2] for ThreeFry. An integer seed fills it by 64-bit words, least
    significant first; a shorter vector is padded with zeros on the left."""
    alg = _alg_int(alg)
    size = _STATE_SIZES.get(alg)
    if size is None:
        raise _unsupported_alg(alg)
    if isinstance(seed, int):
        words = []
        for _ in range(size):
            words.append(seed & 0xFFFFFFFFFFFFFFFF)
            seed >>= 64
        seed = words
    if isinstance(seed, (list, tuple)):
        seed = [_as_int64(s) for s in seed]
    values = np.asarray(seed.numpy() if isinstance(seed, Tensor) else seed).astype(np.int64).reshape(-1)[:size]
    values = np.concatenate([np.zeros(max(size - values.size, 0), np.int64), values])
    return Tensor(jnp.asarray(values, jnp.int64))
