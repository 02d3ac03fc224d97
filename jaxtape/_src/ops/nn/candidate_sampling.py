"""Candidate samplers (`tf.random.*_candidate_sampler`, also under `tf.nn`)
and `tf.nn.compute_accidental_hits`.

The candidates are drawn from JAX's generator (so they differ from TF's), on
the host, with TF's rules: with `unique=True`, draws are rejected until
`num_sampled` distinct classes have been seen, and `num_tries` counts every
draw. The expected counts are then TF's formulas, in TF's float arithmetic
(glibc's `log1pf`/`expm1f`/`powf`, as TF's kernels call them), so for the
same candidates they are TF's numbers:

    p * num_sampled                          if num_tries == num_sampled
    -expm1(num_tries * log1p(-p))            otherwise

`learned_unigram_candidate_sampler` keeps, as TF's kernel does, a count per
class (starting at 1) that each call's true classes increment after sampling;
the counts live as long as the op's seeds do (a fixed op seed, or no seeds at
all, reuse them; `tf.random.set_seed` starts them afresh).
"""
from __future__ import annotations

import collections
import ctypes
import ctypes.util
import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError, NotFoundError
from jaxtape._src.framework.messages import kernel_dtype_name, named_by, op_error
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops import random as _random
from jaxtape._src.ops.support.define import defined

# -- float arithmetic as TF's kernels do it -------------------------------------------

def _libm():
    for name in ("libm.so.6", ctypes.util.find_library("m")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        for f, n in (("log1pf", 1), ("expm1f", 1), ("powf", 2)):
            fn = getattr(lib, f)
            fn.restype = ctypes.c_float
            fn.argtypes = [ctypes.c_float] * n
        return lib
    return None


_LIBM = _libm()


def _f32(fn_name, fallback, *arrays):
    """Elementwise single-precision libm function (NumPy's float32 one without libm)."""
    arrays = [np.asarray(a, np.float32) for a in arrays]
    if _LIBM is None:
        return fallback(*arrays).astype(np.float32)
    fn = getattr(_LIBM, fn_name)
    b = np.broadcast_arrays(*arrays)
    flat = [x.ravel().tolist() for x in b]
    return np.asarray([fn(*xs) for xs in zip(*flat)], np.float32).reshape(b[0].shape)


def _expected_count(p, num_sampled, num_tries):
    p = np.asarray(p, np.float32)
    if num_tries == num_sampled:
        return p * np.float32(num_sampled)
    inner = np.float32(num_tries) * _f32("log1pf", np.log1p, -p)
    return -_f32("expm1f", np.expm1, inner)


# -- samplers: probability of a class, and draws from JAX's generator --------------------

class _Uniform:
    def __init__(self, range_max):
        self.range = range_max

    def probability(self, values):
        return np.full(np.shape(values), np.float32(1.0 / self.range), np.float32)

    def sample(self, key, n):
        return np.asarray(jax.random.randint(key, (n,), 0, self.range, jnp.int64))


class _LogUniform:
    def __init__(self, range_max):
        self.range = range_max
        self.log_range = math.log1p(range_max)

    def probability(self, values):
        v = np.asarray(values, np.int64)
        out = [math.log((x + 2.0) / (x + 1.0)) / self.log_range for x in v.ravel().tolist()]
        return np.asarray(out, np.float64).astype(np.float32).reshape(v.shape)

    def sample(self, key, n):
        u = np.asarray(jax.random.uniform(key, (n,), jnp.float64))
        return (np.exp(u * self.log_range).astype(np.int64) - 1) % self.range


class _All:
    def __init__(self, range_max):
        self.range = range_max


class _Weighted:
    """Classes drawn in proportion to float32 weights (inverse CDF in float64)."""

    def __init__(self, weights, total):
        self.weights = np.asarray(weights, np.float32)
        self.total = np.float32(total)
        self.range = len(self.weights)

    def probability(self, values):
        v = np.asarray(values, np.int64)
        inside = (v >= 0) & (v < self.range)
        w = np.where(inside, self.weights[np.where(inside, v, 0)], np.float32(0))
        with np.errstate(divide="ignore", invalid="ignore"):
            return (w / self.total).astype(np.float32)

    def sample(self, key, n):
        w = np.maximum(self.weights.astype(np.float64), 0)
        cdf = np.cumsum(w)
        u = np.asarray(jax.random.uniform(key, (n,), jnp.float64))
        if not cdf[-1] > 0:  # no weight anywhere: any class
            return np.floor(u * self.range).astype(np.int64)
        idx = np.searchsorted(cdf, u * cdf[-1], side="right")
        return np.minimum(idx, self.range - 1).astype(np.int64)


_MAX_DRAWS = 1 << 24


def _draw(sampler, key, num_sampled, unique):
    """(candidates, num_tries): TF's rejection of repeats when `unique`."""
    if not unique:
        return sampler.sample(key, num_sampled).astype(np.int64), num_sampled
    chunks, size, i = [], max(2 * num_sampled, 16), 0
    while True:
        chunks.append(sampler.sample(jax.random.fold_in(key, i), size))
        draws = np.concatenate(chunks)
        _, first = np.unique(draws, return_index=True)
        if len(first) >= num_sampled:
            first = np.sort(first)[:num_sampled]
            return draws[first].astype(np.int64), int(first[-1]) + 1
        if len(draws) >= _MAX_DRAWS:  # TF's kernel would loop forever
            raise InvalidArgumentError(None, None, f"Could not draw {num_sampled} distinct candidates in "
                                                   f"{len(draws)} tries: too few classes have weight")
        i, size = i + 1, size * 2


# -- TF's argument checks -------------------------------------------------------------

_SIG = ("signature=true_classes:int64 -> sampled_candidates:int64, true_expected_count:float, "
        "sampled_expected_count:float")
_ATTRS = {
    "UniformCandidateSampler": "attr=num_true:int,min=1; attr=num_sampled:int,min=1; attr=unique:bool; "
                               "attr=range_max:int,min=1",
    "FixedUnigramCandidateSampler": 'attr=num_true:int,min=1; attr=num_sampled:int,min=1; attr=unique:bool; '
                                    'attr=range_max:int,min=1; attr=vocab_file:string,default=""; '
                                    'attr=distortion:float,default=1; attr=num_reserved_ids:int,default=0; '
                                    'attr=num_shards:int,default=1,min=1; attr=shard:int,default=0,min=0; '
                                    'attr=unigrams:list(float),default=[]',
    "AllCandidateSampler": "attr=num_true:int,min=1; attr=num_sampled:int,min=1; attr=unique:bool",
}
_ATTRS["LogUniformCandidateSampler"] = _ATTRS["LearnedUnigramCandidateSampler"] = \
    _ATTRS["UniformCandidateSampler"]


def _check_attrs(op, named, **values):
    """TF's attribute minimums, checked in the op definition's order."""
    summary = (f"Op<name={op}; {_SIG}; {_ATTRS[op]}; attr=seed:int,default=0; attr=seed2:int,default=0; "
               f"is_stateful=true>")
    minimum = {"num_true": 1, "num_sampled": 1, "range_max": 1, "num_shards": 1, "shard": 0}
    for attr, value in values.items():
        if value < minimum[attr]:
            raise op_error(f"Value for attr '{attr}' of {value} must be at least minimum {minimum[attr]}\n\t; "
                           f"NodeDef: {{{{node {op}}}}}; {summary}", op, named)


def _int64_input(x, op, index):
    if isinstance(x, Tensor):
        if x.dtype != dtypes.int64:
            raise op_error(f"cannot compute {op} as input #{index}(zero-based) was expected to be a int64 "
                           f"tensor but is a {kernel_dtype_name(x.dtype)} tensor", op)
        return x
    return convert_to_tensor(x, dtype=dtypes.int64)


def _true_classes(true_classes, num_true, op, named):
    tc = _int64_input(true_classes, op, 0)
    values = np.asarray(tc._value)
    if values.ndim != 2:
        raise op_error("true_classes must be a matrix", op, named)
    if values.shape[1] != num_true:
        raise op_error(f"true_classes must have num_true columns, expected: {values.shape[1]} was: {num_true}",
                       op, named)
    return values


def _check_in_range(values, range_max, op, named):
    bad = (values < 0) | (values >= range_max)
    if bad.any():
        raise op_error(f"`true_candidate` out of range [0, {range_max}), received {values.ravel()[bad.ravel()][0]}",
                       op, named)


_OUTPUTS = {}


def _output(op, candidates, true_count, sampled_count):
    cls = _OUTPUTS.get(op)
    if cls is None:
        cls = _OUTPUTS[op] = collections.namedtuple(
            op, ["sampled_candidates", "true_expected_count", "sampled_expected_count"])
    return cls(Tensor(jnp.asarray(candidates, jnp.int64)), Tensor(jnp.asarray(true_count, jnp.float32)),
               Tensor(jnp.asarray(sampled_count, jnp.float32)))


def _run(op, sampler, true_classes, num_true, num_sampled, unique, seed, named, checked=None, after=None):
    values = checked if checked is not None else _true_classes(true_classes, num_true, op, named)
    if unique and num_sampled > sampler.range:
        raise op_error("Sampler's range is too small.", op, named)
    _check_in_range(values, sampler.range, op, named)
    key = _random.next_key(seed)
    if isinstance(sampler, _All):
        candidates = np.arange(num_sampled, dtype=np.int64)
        out = _output(op, candidates, np.ones(values.shape, np.float32), np.ones(num_sampled, np.float32))
    else:
        candidates, tries = _draw(sampler, key, num_sampled, unique)
        out = _output(op, candidates, _expected_count(sampler.probability(values), num_sampled, tries),
                      _expected_count(sampler.probability(candidates), num_sampled, tries))
    if after is not None:
        after(values)
    return out


def _ints(num_true, num_sampled, range_max=None):
    return int(num_true), int(num_sampled), None if range_max is None else int(range_max)


@defined("random.uniform_candidate_sampler", "compat.v1.nn.uniform_candidate_sampler")
def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Candidates drawn uniformly from [0, range_max)."""
    op, named = "UniformCandidateSampler", named_by(true_classes)
    num_true, num_sampled, range_max = _ints(num_true, num_sampled, range_max)
    _check_attrs(op, named, num_true=num_true, num_sampled=num_sampled, range_max=range_max)
    return _run(op, _Uniform(range_max), true_classes, num_true, num_sampled, bool(unique), seed, named)


@defined("random.log_uniform_candidate_sampler", "compat.v1.nn.log_uniform_candidate_sampler")
def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                                  name=None):
    """Candidates from the Zipfian P(c) = log((c + 2) / (c + 1)) / log(range_max + 1)."""
    op, named = "LogUniformCandidateSampler", named_by(true_classes)
    num_true, num_sampled, range_max = _ints(num_true, num_sampled, range_max)
    _check_attrs(op, named, num_true=num_true, num_sampled=num_sampled, range_max=range_max)
    return _run(op, _LogUniform(range_max), true_classes, num_true, num_sampled, bool(unique), seed, named)


@defined("random.all_candidate_sampler", "nn.all_candidate_sampler", "compat.v1.nn.all_candidate_sampler")
def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """All classes 0 .. num_sampled - 1, each with expected count 1."""
    op, named = "AllCandidateSampler", named_by(true_classes)
    num_true, num_sampled, _ = _ints(num_true, num_sampled)
    _check_attrs(op, named, num_true=num_true, num_sampled=num_sampled)
    return _run(op, _All(num_sampled), true_classes, num_true, num_sampled, bool(unique), seed, named)


def _vocab_weights(path, num_shards, shard, distortion, start, op):
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory [Op:{op}] name: ") from None
    if lines and lines[-1] == "":
        lines.pop()
    weights, word_id = [], start
    for line in lines:
        if word_id % num_shards == shard:
            text = line.split(",")[-1].strip()
            try:
                w = float(np.float32(text))
            except ValueError:
                raise op_error(f"Wrong vocabulary format at line: {line}", op, False) from None
            weights.append(w)
        word_id += 1
    return weights


@defined("random.fixed_unigram_candidate_sampler", "nn.fixed_unigram_candidate_sampler",
         "compat.v1.nn.fixed_unigram_candidate_sampler")
def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, vocab_file="",
                                    distortion=1.0, num_reserved_ids=0, num_shards=1, shard=0, unigrams=(),
                                    seed=None, name=None):
    """Candidates in proportion to `unigrams` (or a vocabulary file's last
    column) raised to `distortion`; reserved ids weigh 0. With shards, only
    the ids `i % num_shards == shard` are kept (TF's numbering included)."""
    op, named = "FixedUnigramCandidateSampler", named_by(true_classes)
    num_true, num_sampled, range_max = _ints(num_true, num_sampled, range_max)
    num_shards, shard, num_reserved_ids = int(num_shards), int(shard), int(num_reserved_ids)
    _check_attrs(op, named, num_true=num_true, num_sampled=num_sampled, range_max=range_max,
                 num_shards=num_shards, shard=shard)
    unigrams = [float(np.float32(u)) for u in (unigrams.numpy().tolist() if isinstance(unigrams, Tensor)
                                               else list(unigrams))]
    if vocab_file and unigrams:
        raise op_error("Must only provide one of vocab_file and unigrams.", op, False)
    if not vocab_file and not unigrams:
        raise op_error("Must provide either vocab_file or unigrams.", op, named)
    weights = [0.0 for word_id in range(num_reserved_ids) if word_id % num_shards == shard]
    start = len(weights)  # TF numbers the unigrams on from the kept reserved ids
    raw = (_vocab_weights(vocab_file, num_shards, shard, distortion, start, op) if vocab_file else
           [u for i, u in enumerate(unigrams, start) if i % num_shards == shard])
    total = np.float32(0)
    for w in raw:
        w = _f32("powf", np.power, w, distortion).item()
        total = np.float32(total + np.float32(w))
        weights.append(w)
    if range_max != len(weights):
        raise op_error(f"range is {range_max} must be equal to weights size  {len(weights)}", op, False)
    values = _true_classes(true_classes, num_true, op, named)
    return _run(op, _Weighted(weights, total), true_classes, num_true, num_sampled, bool(unique), seed, named,
                checked=values)


_LEARNED = "learned_unigram"


def _learned_counts(attrs, seed, range_max):
    """The kernel's per-class counts: kept per (seeds, attributes) unless a
    global seed alone picks the op seed (then each call is a new kernel)."""
    g = _random._global["seed"]
    if seed is None and g is not None:
        return np.ones(range_max, np.int64)
    calls = getattr(_random._state, "calls", None)
    if calls is None:
        calls = _random._state.calls = {}
    store = calls.setdefault(_LEARNED, {})
    return store.setdefault((g, None if seed is None else int(seed)) + attrs, np.ones(range_max, np.int64))


@defined("random.learned_unigram_candidate_sampler", "nn.learned_unigram_candidate_sampler",
         "compat.v1.nn.learned_unigram_candidate_sampler")
def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                                      name=None):
    """Candidates in proportion to counts learned from the true classes seen
    so far (each class starts at 1); the counts are updated after sampling."""
    op, named = "LearnedUnigramCandidateSampler", named_by(true_classes)
    num_true, num_sampled, range_max = _ints(num_true, num_sampled, range_max)
    _check_attrs(op, named, num_true=num_true, num_sampled=num_sampled, range_max=range_max)
    values = _true_classes(true_classes, num_true, op, named)
    counts = _learned_counts((num_true, num_sampled, bool(unique), range_max), seed, range_max)
    total = int(counts.sum())
    sampler = _Weighted(counts.astype(np.float32), np.float32(total))

    def update(seen):
        room = max(0, 2**31 - 1 - total)
        for v in seen.ravel()[:room].tolist():
            counts[v] += 1

    return _run(op, sampler, true_classes, num_true, num_sampled, bool(unique), seed, named, checked=values,
                after=update)


ComputeAccidentalHits = collections.namedtuple("ComputeAccidentalHits", ["indices", "ids", "weights"])


@defined("nn.compute_accidental_hits", "compat.v1.nn.compute_accidental_hits")
def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """Where a sampled candidate equals a true class: (row, position in the
    samples (the last one if repeated), -FLT_MAX) per hit, row-major."""
    op = "ComputeAccidentalHits"
    named = named_by(true_classes, sampled_candidates)
    num_true = int(num_true)
    tc = _int64_input(true_classes, op, 0)
    sc = _int64_input(sampled_candidates, op, 1)
    t, s = np.asarray(tc._value), np.asarray(sc._value)
    if t.ndim != 2 or t.shape[1] != num_true:
        raise op_error("true_candidates must be a batch_size * num_true matrix", op, named)
    if s.ndim != 1:
        raise op_error("sampled_candidates must be a vector, which is typically an output from "
                       "CandidateSampler", op, named)
    position = {int(c): i for i, c in enumerate(s.tolist())}
    hits = [(i, position[c]) for i, row in enumerate(t.tolist()) for c in row if c in position]
    indices = np.asarray([h[0] for h in hits], np.int32)
    ids = np.asarray([h[1] for h in hits], np.int64)
    weights = np.full(len(hits), -np.finfo(np.float32).max, np.float32)
    return ComputeAccidentalHits(Tensor(jnp.asarray(indices)), Tensor(jnp.asarray(ids)),
                                 Tensor(jnp.asarray(weights)))
