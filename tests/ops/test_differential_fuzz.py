"""A seeded differential fuzzer: random small tape programs, on TF and on jaxtape.

Each seed draws a program (a few ops from the tables below over two inputs
and a matrix, shapes kept in a family that always broadcasts) and a tape
pattern (plain, persistent with two gradients, nested second order, a
watched intermediate, jacobian, ForwardAccumulator, tf.function inside or
around the tape). Both frameworks run the same description; their values,
dtypes, shapes, None-ness and exception types must agree.

Default size fits CI; `JAXTAPE_FUZZ_N=1000` runs more, `JAXTAPE_FUZZ_SEED=k`
starts at seed k. A failure names its seed (the test id) and the program, so
`JAXTAPE_FUZZ_SEED=k JAXTAPE_FUZZ_N=1` replays it.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from tests.difftest import assert_same, outcome, plain, real_tf

import jaxtape

N = int(os.environ.get("JAXTAPE_FUZZ_N", "100"))
SEED0 = int(os.environ.get("JAXTAPE_FUZZ_SEED", "0"))

# Shapes a value may have; any two broadcast, and every op keeps a value in the family.
SHAPES = [(), (1,), (3,), (2, 1), (2, 3)]


def _reduced(shape):
    return shape[:-1] + (1,) if shape else ()


def _keep(shape):
    return shape


# name -> (fn(tf, a), shape rule, which shapes it takes: None for all)
UNARY = {
    "sin": (lambda tf, a: tf.sin(a), _keep, None),
    "tanh": (lambda tf, a: tf.tanh(a), _keep, None),
    "exp_bounded": (lambda tf, a: tf.exp(tf.clip_by_value(a, -5.0, 5.0)), _keep, None),
    "sigmoid": (lambda tf, a: tf.sigmoid(a), _keep, None),
    "softplus": (lambda tf, a: tf.nn.softplus(a), _keep, None),
    "square": (lambda tf, a: tf.square(a), _keep, None),
    "abs": (lambda tf, a: tf.abs(a), _keep, None),
    "relu": (lambda tf, a: tf.nn.relu(a), _keep, None),
    "elu": (lambda tf, a: tf.nn.elu(a), _keep, None),
    "sqrt_abs1": (lambda tf, a: tf.sqrt(tf.abs(a) + 1.0), _keep, None),
    "log_abs1": (lambda tf, a: tf.math.log(tf.abs(a) + 1.0), _keep, None),
    "erf": (lambda tf, a: tf.math.erf(a), _keep, None),
    "floor": (lambda tf, a: tf.floor(a), _keep, None),
    "round_plus": (lambda tf, a: tf.round(a) + a, _keep, None),
    "clip": (lambda tf, a: tf.clip_by_value(a, -0.5, 0.5), _keep, None),
    "neg": (lambda tf, a: -a, _keep, None),
    "atan": (lambda tf, a: tf.atan(a), _keep, None),
    "recip": (lambda tf, a: 1.0 / (a * a + 1.0), _keep, None),
    "cast64": (lambda tf, a: tf.cast(tf.cast(a, tf.float64) * 2.0, tf.float32), _keep, None),
    "stop_gradient": (lambda tf, a: tf.stop_gradient(a) * a, _keep, None),
    "zeros_like": (lambda tf, a: tf.zeros_like(a) + 1.0, _keep, None),
    "reduce_sum": (lambda tf, a: tf.reduce_sum(a, axis=-1, keepdims=True) if a.shape.rank
                   else tf.reduce_sum(a), _reduced, None),
    "reduce_mean": (lambda tf, a: tf.reduce_mean(a, axis=-1, keepdims=True) if a.shape.rank
                    else tf.reduce_mean(a), _reduced, None),
    "reduce_max": (lambda tf, a: tf.reduce_max(a, axis=-1, keepdims=True) if a.shape.rank
                   else tf.reduce_max(a), _reduced, None),
    "reduce_prod": (lambda tf, a: tf.reduce_prod(a, axis=-1, keepdims=True) if a.shape.rank
                    else tf.reduce_prod(a), _reduced, None),
    "logsumexp": (lambda tf, a: tf.reduce_logsumexp(a, axis=-1, keepdims=True) if a.shape.rank
                  else tf.reduce_logsumexp(a), _reduced, None),
    "full_sum": (lambda tf, a: tf.reduce_sum(a), lambda s: (), None),
    "norm": (lambda tf, a: tf.norm(a) + 0.0 * tf.reduce_sum(a), lambda s: (), None),
    "softmax": (lambda tf, a: tf.nn.softmax(a), _keep, lambda s: len(s) >= 1),
    "reverse": (lambda tf, a: tf.reverse(a, [-1]), _keep, lambda s: len(s) >= 1),
    "gather": (lambda tf, a: tf.gather(a, [2, 0, 2], axis=-1), _keep, lambda s: s[-1:] == (3,)),
    "transpose_reshape": (lambda tf, a: tf.reshape(tf.transpose(a), [2, 3]), _keep,
                          lambda s: s == (2, 3)),
    "concat_slice": (lambda tf, a: tf.concat([a, 2.0 * a], axis=-1)[..., 1:4], _keep,
                     lambda s: s[-1:] == (3,)),
    "cumsum": (lambda tf, a: tf.cumsum(a, axis=-1), _keep, lambda s: len(s) >= 1),
    "cond": (lambda tf, a: tf.cond(tf.reduce_sum(a) > 0.0, lambda: a * 2.0, lambda: tf.sin(a)),
             _keep, None),
    "while": (lambda tf, a: tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, tf.sin(v) + 0.5 * v),
                                          (tf.constant(0), a))[1], _keep, None),
}

BINARY = {
    "add": lambda tf, a, b: a + b,
    "sub": lambda tf, a, b: a - b,
    "mul": lambda tf, a, b: a * b,
    "div": lambda tf, a, b: a / (b * b + 1.0),
    "maximum": lambda tf, a, b: tf.maximum(a, b),
    "minimum": lambda tf, a, b: tf.minimum(a, b),
    "pow": lambda tf, a, b: tf.pow(tf.abs(a) + 0.5, tf.clip_by_value(b, -2.0, 2.0)),
    "sqdiff": lambda tf, a, b: tf.math.squared_difference(a, b),
    "atan2": lambda tf, a, b: tf.atan2(a, b * b + 0.5),
    "where": lambda tf, a, b: tf.where(a > b, a, b * 2.0),
    "add_n": lambda tf, a, b: tf.add_n([a + 0.0 * b, b + 0.0 * a, a * b]),
}

# Ops with the matrix `w` (3, 3): name -> (fn(tf, a, w), which shapes)
WITH_MATRIX = {
    "matmul": (lambda tf, a, w: tf.matmul(a, w), lambda s: s == (2, 3)),
    "matvec": (lambda tf, a, w: tf.linalg.matvec(w, a), lambda s: s == (3,)),
    "scale_by_w": (lambda tf, a, w: a * w[0, 1], lambda s: True),
}

PATTERNS = ["plain", "persistent", "nested", "watch_mid", "jacobian", "forward",
            "function_inside", "function_outside"]


def draw(seed):
    """A program description from `seed`: plain data both frameworks interpret."""
    rng = np.random.default_rng(seed)
    shapes = [SHAPES[rng.integers(len(SHAPES))] for _ in range(2)]
    inputs = [rng.normal(size=s).astype(np.float32) for s in shapes]
    w = rng.normal(size=(3, 3)).astype(np.float32)
    pool = list(shapes)  # value i's shape; the matrix is not in the pool
    steps = []
    for _ in range(int(rng.integers(2, 7))):
        kind = str(rng.choice(["unary", "unary", "binary", "binary", "matrix"]))
        if kind == "binary":
            name = str(rng.choice(sorted(BINARY)))
            i, j = (int(k) for k in rng.integers(len(pool), size=2))
            steps.append(("binary", name, (i, j)))
            pool.append(tuple(np.broadcast_shapes(pool[i], pool[j])))
            continue
        i = int(rng.integers(len(pool)))
        table = UNARY if kind == "unary" else WITH_MATRIX
        names = [n for n, spec in sorted(table.items())
                 if (spec[-1] is None or spec[-1](pool[i]))]
        name = str(rng.choice(names))
        steps.append((kind, name, (i,)))
        pool.append(UNARY[name][1](pool[i]) if kind == "unary" else pool[i])
    pattern = PATTERNS[int(rng.integers(len(PATTERNS)))]
    return {
        "inputs": inputs, "w": w, "variable": bool(rng.integers(2)), "steps": steps,
        "pattern": pattern, "mid": int(rng.integers(2, len(pool))),
        "weights": rng.uniform(0.5, 1.5, size=pool[-1]).astype(np.float32),
        "tangents": [rng.normal(size=s).astype(np.float32) for s in shapes],
    }


def evaluate(tf, prog, x, y, w):
    """Runs the steps; returns every value (inputs first)."""
    pool = [x, y]
    for kind, name, args in prog["steps"]:
        a = [pool[i] for i in args]
        if kind == "unary":
            pool.append(UNARY[name][0](tf, *a))
        elif kind == "binary":
            pool.append(BINARY[name](tf, *a))
        else:
            pool.append(WITH_MATRIX[name][0](tf, a[0], w))
    return pool


def execute(tf, prog):
    """The program under its tape pattern, as a structure of results."""
    x, y = (tf.constant(v) for v in prog["inputs"])
    w = tf.Variable(prog["w"]) if prog["variable"] else tf.constant(prog["w"])
    weights = tf.constant(prog["weights"])
    pattern = prog["pattern"]

    def loss_of(values):
        return tf.reduce_sum(values[-1] * weights)

    def taped(x, y, w):
        with tf.GradientTape() as t:
            t.watch([x, y, w])
            values = evaluate(tf, prog, x, y, w)
            loss = loss_of(values)
        return [values[-1], t.gradient(loss, [x, y, w])]

    if pattern in ("plain", "function_inside"):
        fn = tf.function(taped) if pattern == "function_inside" else taped
        return fn(x, y, w)
    if pattern == "function_outside":
        run = tf.function(lambda x, y, w: evaluate(tf, prog, x, y, w)[-1])
        with tf.GradientTape() as t:
            t.watch([x, y, w])
            out = run(x, y, w)
            loss = tf.reduce_sum(out * weights)
        return [out, t.gradient(loss, [x, y, w])]
    if pattern == "persistent":
        with tf.GradientTape(persistent=True) as t:
            t.watch([x, y, w])
            values = evaluate(tf, prog, x, y, w)
            loss = loss_of(values)
            other = tf.reduce_sum(values[prog["mid"]])
        return [t.gradient(loss, [x, y]), t.gradient(other, [x, y, w]), t.gradient(loss, w)]
    if pattern == "nested":
        with tf.GradientTape() as outer:
            outer.watch([x, y])
            with tf.GradientTape() as inner:
                inner.watch([x, y])
                loss = loss_of(evaluate(tf, prog, x, y, w))
            gx, gy = inner.gradient(loss, [x, y])
            parts = [tf.reduce_sum(g * g) for g in (gx, gy) if g is not None]
            second = tf.add_n(parts) if parts else None
        return [gx, gy, None if second is None else outer.gradient(second, [x, y])]
    if pattern == "watch_mid":
        with tf.GradientTape() as t:
            t.watch(x)
            values = evaluate(tf, prog, x, y, w)
            mid = values[prog["mid"]]
            t.watch(mid)
            loss = loss_of(values)
        return t.gradient(loss, [x, mid])
    if pattern == "jacobian":
        with tf.GradientTape(persistent=True) as t:
            t.watch([x, y])
            out = evaluate(tf, prog, x, y, w)[-1]
        return t.jacobian(out, [x, y])
    if pattern == "forward":
        tangents = [tf.constant(v) for v in prog["tangents"]]
        with tf.autodiff.ForwardAccumulator([x, y], tangents) as acc:
            out = evaluate(tf, prog, x, y, w)[-1]
        return [out, acc.jvp(out)]
    raise AssertionError(pattern)


def describe(prog):
    shapes = [v.shape for v in prog["inputs"]]
    return (f"pattern={prog['pattern']} inputs={shapes} variable={prog['variable']} "
            f"mid={prog['mid']} steps={prog['steps']}")


def compare(seed):
    """Raises AssertionError (naming the program) where jaxtape differs from TF."""
    prog = draw(seed)
    want = outcome(lambda tf: execute(tf, prog), real_tf(), plain)
    got = outcome(lambda tf: execute(tf, prog), jaxtape, plain)
    try:
        if want[0] == got[0] == "value":
            assert_same(got[1], want[1], rtol=2e-4, atol=2e-5)
        else:
            assert got[:2] == want[:2], f"jaxtape {got} vs TF {want}"
    except AssertionError as e:
        raise AssertionError(f"seed {seed}: {describe(prog)}\n{e}") from None


@pytest.mark.parametrize("seed", range(SEED0, SEED0 + N))
def test_program(seed):
    compare(seed)
