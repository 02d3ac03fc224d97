"""`tf.random`: seeded sampling on JAX's counter-based PRNG.

TF's two-level seeding is kept: with a global seed (`tf.random.set_seed`) and
no op seed, each call draws the next op seed from a counter, so a program
gives the same sequence every run, and an op seed repeats its sequence after
`set_seed`. Values differ from TF's (different generators, so the same seeds
give other numbers than in TF); shapes, dtypes, errors and distributions
match. Stateless ops (`stateless_*`) depend only on their `[2]` seed.
"""
from __future__ import annotations

import enum
import itertools
import threading

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import dims, named_by, negative_dimension, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.variables import Variable
from jaxtape._src.ops.support.args import host_int, static_shape, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive

_state = threading.local()
_global = {"seed": None, "counter": itertools.count()}


@defined("random.set_seed")
def set_seed(seed):
    """Resets the global seed; op seeds are drawn from it afresh."""
    _global["seed"] = None if seed is None else int(seed)
    _global["counter"] = itertools.count()
    _state.calls = {}  # as in TF, re-seeding restarts every op seed's sequence


def next_key(seed=None):
    """A PRNG key following TF's (global seed, op seed) rules."""
    if seed is None and _global["seed"] is None:
        return jax.random.PRNGKey(np.random.randint(0, 2**31 - 1))
    g = 87654321 if _global["seed"] is None else _global["seed"]
    op = next(_global["counter"]) if seed is None else int(seed)
    if seed is not None:
        # The same op seed gives a new value on each call, as TF's kernel state does.
        calls = getattr(_state, "calls", None)
        if calls is None:
            calls = _state.calls = {}
        n = calls.get((g, op), 0)
        calls[(g, op)] = n + 1
        return jax.random.fold_in(jax.random.PRNGKey(g * 1_000_003 + op), n)
    return jax.random.PRNGKey(g * 1_000_003 + op)


_FLOATS = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)
_UNIFORM_DTYPES = _FLOATS + (dtypes.int32, dtypes.int64)


def _dtype(dtype):
    return dtypes.as_dtype(dtype).as_numpy_dtype


# Samplers jitted whole: op-by-op dispatch of their loops is far slower.
_poisson = jax.jit(lambda key, lam, shape: jax.random.poisson(key, lam, shape), static_argnums=2)
_categorical_draws = jax.jit(lambda key, logits, shape: jax.random.categorical(key, logits, -1, shape=shape),
                             static_argnums=2)
_truncated = jax.jit(lambda key, shape, dtype: jax.random.truncated_normal(key, -2.0, 2.0, shape, dtype),
                     static_argnums=(1, 2))
_randint = jax.jit(lambda key, lo, hi, shape, dtype: jax.random.randint(key, shape, lo, hi, dtype),
                   static_argnums=(3, 4))


def stateless_key(seed):
    """The PRNG key of a stateless op's seed: any two integers, shape [2]."""
    s = convert_to_tensor(seed)
    if tuple(s._value.shape) != (2,):
        raise op_error(f"seed must have shape [2], not {dims(s._value.shape)}",
                       "StatelessRandomGetKeyCounter", named_by(seed))
    a, b = (int(v) for v in np.asarray(s._value).astype(np.int64))
    key = jax.random.PRNGKey(a & 0xFFFFFFFF)
    for word in (a >> 32 & 0xFFFFFFFF, b & 0xFFFFFFFF, b >> 32 & 0xFFFFFFFF):
        key = jax.random.fold_in(key, word)
    return key


# -- value transforms with TF's gradients (w.r.t. mean, stddev, bounds, shape) --

@primitive(name="RandomAffine")
def _affine(z, scale, shift):
    return z * scale + shift


@primitive(name="RandomBetween")
def _between(u, low, high):
    return u * (high - low) + low


def _normal_like(key, shape, mean, stddev, dtype, truncated, stateless=False):
    """stateless: the draw is one of TF's stateless kernels (as Generator's are too)."""
    dt = dtypes.as_dtype(dtype)
    mean = convert_to_tensor(mean, dtype=dt)
    stddev = convert_to_tensor(stddev, dtype=dt)
    shape = static_shape(shape)
    op = "TruncatedNormal" if truncated else "RandomStandardNormal"
    negative_dimension(shape, {"TruncatedNormal": "StatelessTruncatedNormalV2", "RandomStandardNormal":
                               "StatelessRandomNormalV2"}[op] if stateless else op)
    if truncated:
        z = _truncated(key, shape, dt.as_numpy_dtype)
    else:
        z = jax.random.normal(key, shape, dt.as_numpy_dtype)
    return _affine(Tensor(z), stddev, mean)


def _uniform_dtype(dtype):
    dt = dtypes.as_dtype(dtype)
    if dt not in _UNIFORM_DTYPES:
        raise ValueError(f"Argument `dtype` got invalid value {dt!s}. Accepted dtypes are "
                         f"({', '.join(repr(d) for d in _UNIFORM_DTYPES)}).")
    return dt


def _uniform(key, shape, minval, maxval, dt, stateless=False):
    shape = static_shape(shape)
    op = "RandomUniformInt" if dt.is_integer else "RandomUniform"
    negative_dimension(shape, f"Stateless{op}V2" if stateless else op)
    if dt.is_integer:
        lo, hi = convert_to_tensor(minval, dtype=dt), convert_to_tensor(maxval, dtype=dt)
        if lo.ndim == 0 and hi.ndim == 0 and int(lo) >= int(hi):
            raise op_error(f"Need minval < maxval, got {int(lo)} >= {int(hi)}", "RandomUniformInt")
        return Tensor(_randint(key, lo._value, hi._value, shape, dt.as_numpy_dtype))
    lo = convert_to_tensor(minval, dtype=dt)
    hi = convert_to_tensor(1 if maxval is None else maxval, dtype=dt)
    return _between(Tensor(jax.random.uniform(key, shape, dt.as_numpy_dtype)), lo, hi)


# -- stateful ops -----------------------------------------------------------------

@defined("random.normal")
def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    return _normal_like(next_key(seed), shape, mean, stddev, dtype, False)


@defined("random.truncated_normal")
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal samples redrawn until within two standard deviations of the mean."""
    return _normal_like(next_key(seed), shape, mean, stddev, dtype, True)


@defined("random.uniform")
def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """[minval, maxval): floats default to [0, 1); integer dtypes need maxval."""
    dt = _uniform_dtype(dtype)
    if dt.is_integer and maxval is None:
        raise ValueError(f"Must specify maxval for integer dtype {dt!r}")
    return _uniform(next_key(seed), shape, minval, maxval, dt)


def _categorical(key, logits, num_samples, dtype):
    logits = tensor(logits)
    if logits.ndim != 2:
        raise op_error(f"logits should be a matrix, got shape {dims(logits._value.shape)}",
                       "Multinomial")
    n = int(num_samples)
    batch = logits._value.shape[0]
    draws = _categorical_draws(key, logits._value.astype(jnp.float32), (n, batch))
    return Tensor(draws.T.astype(_dtype(dtypes.int64 if dtype is None else dtype)))


@defined("random.categorical")
def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """`num_samples` class indices per row of `[batch, classes]` logits (int64 by default)."""
    return _categorical(next_key(seed), logits, num_samples, dtype)


@defined("random.shuffle")
def shuffle(value, seed=None, name=None):
    """A random permutation along the first axis (TF gives it no gradient)."""
    value = tensor(value)
    if value.ndim == 0:
        return value
    return Tensor(jax.random.permutation(next_key(seed), value._value, axis=0))


@defined("random.poisson")
def poisson(shape, lam, dtype=dtypes.float32, seed=None, name=None):
    """Samples of shape `shape + lam.shape`."""
    lam = convert_to_tensor(lam)
    shape = static_shape(shape)
    negative_dimension(shape, "RandomPoissonV2")
    full = shape + tuple(lam._value.shape)
    draws = _poisson(next_key(seed), lam._value.astype(jnp.float32), full)
    return Tensor(draws.astype(_dtype(dtype)))


@primitive(name="RandomGamma")
def _gamma(key, alpha, beta, *, shape):
    full = shape + jnp.broadcast_shapes(alpha.shape, beta.shape)
    return jax.random.gamma(key, jnp.broadcast_to(alpha, full), full, alpha.dtype) / beta


@defined("random.gamma")
def gamma(shape, alpha, beta=None, dtype=dtypes.float32, seed=None, name=None):
    """Gamma(alpha, rate=beta) samples of shape `shape + broadcast(alpha, beta)`;
    differentiable in alpha and beta (implicit reparameterization, as TF)."""
    dt = dtypes.as_dtype(dtype)
    alpha = convert_to_tensor(alpha, dtype=dt)
    beta = convert_to_tensor(1 if beta is None else beta, dtype=dt)
    shape = static_shape(shape)
    negative_dimension(shape, "RandomGamma")
    return _gamma(Tensor(next_key(seed)), alpha, beta, shape=shape)


# -- stateless ops ----------------------------------------------------------------

@defined("random.stateless_normal")
def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None, alg="auto_select"):
    return _normal_like(stateless_key(seed), shape, mean, stddev, dtype, False, stateless=True)


@defined("random.stateless_truncated_normal")
def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                               alg="auto_select"):
    return _normal_like(stateless_key(seed), shape, mean, stddev, dtype, True, stateless=True)


def _full_int(key, shape, dt):
    info = np.iinfo(dt.as_numpy_dtype)
    bits = jax.random.bits(key, static_shape(shape), np.dtype(f"uint{info.bits}"))
    return Tensor(bits.view(dt.as_numpy_dtype) if hasattr(bits, "view") else bits.astype(dt.as_numpy_dtype))


@defined("random.stateless_uniform")
def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=dtypes.float32, name=None, alg="auto_select"):
    """Like `uniform`, but a function of `seed`; integer dtypes with both bounds
    None give the full range."""
    dt = dtypes.as_dtype(dtype)
    key = stateless_key(seed)
    if dt.is_integer:
        if (minval is None) != (maxval is None):
            raise ValueError(f"For integer `dtype` argument {dt!s}, argument `minval` and `maxval` must be "
                             f"both None or not None. Got `minval`={minval} and `maxval`={maxval}.")
        if minval is None:
            return _full_int(key, shape, dt)
    return _uniform(key, shape, minval, maxval, dt, stateless=True)


@defined("random.stateless_categorical")
def stateless_categorical(logits, num_samples, seed, dtype=dtypes.int64, name=None):
    return _categorical(stateless_key(seed), logits, num_samples, dtype)


@defined("random.stateless_poisson")
def stateless_poisson(shape, seed, lam, dtype=dtypes.int32, name=None):
    lam = convert_to_tensor(lam)
    shape = static_shape(shape)
    negative_dimension(shape, "StatelessRandomPoisson", named=False)  # TF's message has no name
    draws = _poisson(stateless_key(seed), lam._value.astype(jnp.float32), shape)
    return Tensor(draws.astype(_dtype(dtype)))


def _seed_words(key):
    """Two int64 seeds from a key (so derived seeds are themselves valid seeds)."""
    return jax.random.randint(key, (2,), -(2**31), 2**31 - 1, jnp.int64)


@defined("random.split", "random.experimental.stateless_split")
def split(seed, num=2, alg="auto_select"):
    """`num` new `[2]` seeds derived from `seed`: shape `[num, 2]`."""
    seed = convert_to_tensor(seed)
    keys = jax.random.split(stateless_key(seed), int(num))
    return Tensor(jnp.stack([_seed_words(k) for k in keys]).astype(seed._value.dtype))


@defined("random.fold_in", "random.experimental.stateless_fold_in")
def fold_in(seed, data, alg="auto_select"):
    """A new `[2]` seed derived from `seed` and the integer `data`."""
    seed = convert_to_tensor(seed)
    word = host_int(data)
    return Tensor(_seed_words(jax.random.fold_in(stateless_key(seed), word)).astype(seed._value.dtype))


# -- Generator ----------------------------------------------------------------------

@export("random.Algorithm", "random.experimental.Algorithm")
class Algorithm(enum.Enum):
    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


@export("random.Generator", "random.experimental.Generator")
class Generator:
    """A stateful generator: its state is an int64 Variable `[counter, 0, key]`.

    Every draw uses the key and the counter, then advances the counter, so
    equal states give equal draws (jaxtape's, not TF's, numbers).
    """

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None:
            state = copy_from.state.numpy()
        if state is None:
            raise ValueError("Generator needs copy_from or state")
        self._state = Variable(np.asarray(tensor(state).numpy() if isinstance(state, Tensor) else state,
                                          np.int64), trainable=False, name="StateVar")
        self._alg = alg if alg is not None else Algorithm.PHILOX

    @classmethod
    def from_seed(cls, seed, alg=None):
        return cls(state=[0, 0, int(seed)], alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        return cls.from_seed(int(np.random.randint(0, 2**62)), alg=alg)

    @classmethod
    def from_state(cls, state, alg):
        return cls(state=state, alg=alg)

    @property
    def state(self):
        return self._state

    @property
    def algorithm(self):
        return self._alg.value if isinstance(self._alg, Algorithm) else self._alg

    def reset_from_seed(self, seed):
        self._state.assign(np.asarray([0, 0, int(seed)], np.int64))

    def _next(self):
        counter, _, key = (int(v) for v in self._state.numpy())
        self._state.assign(np.asarray([counter + 1, 0, key], np.int64))
        return jax.random.fold_in(stateless_key([key, 0]), counter & 0xFFFFFFFF)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        return _normal_like(self._next(), shape, mean, stddev, dtype, False, stateless=True)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        return _normal_like(self._next(), shape, mean, stddev, dtype, True, stateless=True)

    def uniform(self, shape, minval=0, maxval=None, dtype=dtypes.float32, name=None):
        dt = dtypes.as_dtype(dtype)
        if dt.is_integer:
            if (minval is None) != (maxval is None) or maxval is None:
                raise ValueError(f"For integer dtype {dt!s}, minval and maxval must be both `None` or "
                                 f"both non-`None`; got minval={minval} and maxval={maxval}")
        return _uniform(self._next(), shape, minval, maxval, _uniform_dtype(dt), stateless=True)

    def uniform_full_int(self, shape, dtype=dtypes.uint64, name=None):
        dt = dtypes.as_dtype(dtype)
        return _full_int(self._next(), shape, dt)

    def make_seeds(self, count=1):
        keys = jax.random.split(self._next(), int(count))
        return Tensor(jnp.stack([_seed_words(k) for k in keys], axis=1))

    def split(self, count=1):
        seeds = self.make_seeds(count).numpy()
        return [Generator.from_seed(int(seeds[0, i]) * 2**31 + int(seeds[1, i]), alg=self._alg)
                for i in range(int(count))]


_global_generator = {"gen": None}


@defined("random.get_global_generator", "random.experimental.get_global_generator")
def get_global_generator():
    if _global_generator["gen"] is None:
        _global_generator["gen"] = Generator.from_non_deterministic_state()
    return _global_generator["gen"]


@defined("random.set_global_generator", "random.experimental.set_global_generator")
def set_global_generator(generator):
    _global_generator["gen"] = generator
