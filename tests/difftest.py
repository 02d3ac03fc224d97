"""Differential testing against real TensorFlow: the one place for its helpers.

`check(fn, *arrays)` runs `fn(tf, *tensors)` with TensorFlow and with
jaxtape on the same NumPy inputs and compares what TF defines: values,
dtypes, shapes, and the gradient of a fixed weighted sum of the outputs with
respect to every floating input (including which gradients are `None`).

`same_values(fn)` and `same_outcome(fn)` run `fn(tf)` under both and compare
the results' `plain` forms with `assert_same`: structure, dict key order,
dtypes, shapes, strings and integers exactly, floats with `assert_allclose`.
`check_raises`, `same_error` and `check_raises_isolated` compare errors.
"""
from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # see conftest.py: TF's reference must not depend on the CPU

import jaxtape  # noqa: E402

try:  # TensorFlow is a test extra; without it the differential tests skip.
    import tensorflow as _tf
    _tf.config.set_visible_devices([], "GPU")
    TF_ERROR = None
except Exception as e:  # pragma: no cover - depends on the environment
    _tf, TF_ERROR = None, e

requires_tf = pytest.mark.skipif(
    _tf is None, reason=f"tensorflow is not installed (pip install -e '.[test]'): {TF_ERROR}")


def real_tf():
    """The real TensorFlow module, or a skip naming why it is missing."""
    if _tf is None:
        pytest.skip(f"tensorflow is not installed (pip install -e '.[test]'): {TF_ERROR}")
    return _tf


def leaves(x):
    """The leaves of nested lists, tuples and dicts (by sorted key); None is a leaf."""
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in leaves(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in leaves(item)]
    return [x]


def run(tf, fn, arrays, grad=True, seed=0):
    """Outputs and gradients of `fn(tf, *tensors)` as NumPy, for one framework."""
    tensors = [tf.constant(a) if isinstance(a, np.ndarray) or np.isscalar(a) else a for a in arrays]
    with tf.GradientTape(persistent=True) as tape:
        for t in tensors:
            if hasattr(t, "dtype") and t.dtype.is_floating:
                tape.watch(t)
        out = fn(tf, *tensors)
        flat = [o for o in leaves(out) if o is not None]
        rng = np.random.default_rng(seed)
        loss = None
        for o in flat:
            if o.dtype.is_floating:
                w = rng.uniform(0.5, 1.5, size=o.shape).astype(o.dtype.as_numpy_dtype)
                term = tf.reduce_sum(o * tf.constant(w))
                loss = term if loss is None else loss + tf.cast(term, loss.dtype)
    values = [(o.numpy(), o.dtype.name, tuple(o.shape)) for o in flat]
    grads = []
    if grad and loss is not None:
        for t in tensors:
            if hasattr(t, "dtype") and t.dtype.is_floating:
                g = tape.gradient(loss, t)
                grads.append(None if g is None else np.asarray(tf.convert_to_tensor(g).numpy()))
    return values, grads


def check(fn, *arrays, grad=True, rtol=1e-5, atol=1e-6, grad_rtol=None, grad_atol=None):
    """Asserts jaxtape matches TensorFlow on `fn(tf, *arrays)`."""
    tf = real_tf()
    want_vals, want_grads = run(tf, fn, arrays, grad)
    got_vals, got_grads = run(jaxtape, fn, arrays, grad)
    assert len(got_vals) == len(want_vals), "different number of outputs"
    for i, ((gv, gd, gs), (wv, wd, ws)) in enumerate(zip(got_vals, want_vals)):
        assert gd == wd, f"output {i}: dtype {gd} != TF's {wd}"
        assert gs == ws, f"output {i}: shape {gs} != TF's {ws}"
        np.testing.assert_allclose(gv, wv, rtol=rtol, atol=atol, err_msg=f"output {i} value")
    assert len(got_grads) == len(want_grads)
    for i, (g, w) in enumerate(zip(got_grads, want_grads)):
        assert (g is None) == (w is None), f"input {i}: gradient {g} vs TF's {w}"
        if g is not None:
            np.testing.assert_allclose(g, w, rtol=grad_rtol or rtol, atol=grad_atol or atol,
                                       err_msg=f"input {i} gradient")


def check_raises(fn, *arrays, match=None):
    """Asserts both raise the same exception type (by name), with TF's text if `match`."""
    tf = real_tf()
    errors = []
    for mod in (tf, jaxtape):
        tensors = [mod.constant(a) if isinstance(a, np.ndarray) else a for a in arrays]
        with pytest.raises(Exception) as info:
            fn(mod, *tensors)
        errors.append(info.value)
    want, got = errors
    assert type(got).__name__ == type(want).__name__, f"{type(got).__name__}: {got} vs TF's {type(want).__name__}: {want}"
    if match is not None:
        assert match in str(want), f"TF's message changed: {want}"
        assert match in str(got), f"{got!r} lacks {match!r}"
    return got, want


def plain(x, tensor=None):
    """A comparable form of a result: tensors and variables become `(dtype, shape,
    values)` (or `tensor(x)`), NumPy values are tagged with their dtype, and
    containers keep their type and dict order."""
    if hasattr(x, "numpy") and hasattr(x, "dtype"):
        if tensor is not None:
            return tensor(x)
        return (x.dtype.name, tuple(x.shape), np.asarray(x.numpy()).tolist())
    if isinstance(x, dict):
        return {k: plain(v, tensor) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(plain(v, tensor) for v in x)
    if hasattr(x, "indices") and hasattr(x, "dense_shape"):  # a SparseTensor
        return ("SparseTensor",) + tuple(plain(p, tensor) for p in (x.indices, x.values, x.dense_shape))
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.tolist())
    if isinstance(x, np.generic):
        return ("npscalar", x.dtype.str, x.item())
    return x


def ragged_plain(x):
    """`plain`, with a RaggedTensor as its values, dtype, splits, shape and repr."""
    if type(x).__name__ == "RaggedTensor":
        return ("RaggedTensor", x.to_list(), x.dtype.name,
                [(s.dtype.name, s.numpy().tolist()) for s in x.nested_row_splits],
                x.shape.as_list(), tuple(x.flat_values.shape), repr(x))
    if isinstance(x, dict):
        return {k: ragged_plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(ragged_plain(v) for v in x)
    return plain(x)


def _numbers(x):
    """`x` as a numeric array if it is a (nested) list of numbers, else None."""
    try:
        a = np.asarray(x)
    except (ValueError, TypeError):  # ragged or mixed
        return None
    return a if a.dtype.kind in "biufc" else None


def assert_same(got, want, rtol=1e-5, atol=1e-6, path="out"):
    """Asserts two `plain` forms agree: containers, dict keys and their order,
    strings, integers and booleans exactly; floats with `assert_allclose`."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), \
            f"{path}: keys {list(got) if isinstance(got, dict) else got!r} vs TF's {list(want)}"
        for k in want:
            assert_same(got[k], want[k], rtol, atol, f"{path}[{k!r}]")
        return
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and isinstance(got, list) == isinstance(want, list) \
            and len(got) == len(want), f"{path}: {got!r} vs TF's {want!r}"
        w = _numbers(want)
        if w is not None and w.dtype.kind in "fc":
            g = _numbers(got)
            assert g is not None and g.shape == w.shape, f"{path}: {got!r} vs TF's {want!r}"
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=path)
            return
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, rtol, atol, f"{path}[{i}]")
        return
    if isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=path)
        return
    assert got == want, f"{path}: {got!r} vs TF's {want!r}"


def same_values(fn, rtol=1e-5, atol=1e-6, plain=plain):
    """Asserts `fn(jaxtape)` gives what `fn(tf)` gives (see `assert_same`);
    returns jaxtape's result in its plain form. Errors propagate."""
    want = plain(fn(real_tf()))
    got = plain(fn(jaxtape))
    assert_same(got, want, rtol, atol)
    return got


def strip_node(text):
    """TF's eager kernels prefix `{{function_node ...}}` to their errors; jaxtape has none."""
    return re.sub(r"\{\{function_node [^}]*\}\} ", "", text)


def same_error(fn, *arrays, user_code=False):
    """`check_raises` plus the same full message (without TF's node prefix).

    user_code: TF's message may start with autograph's "in user code:"
    preamble; then it need only end with jaxtape's.
    """
    got, want = check_raises(fn, *arrays)
    g, w = strip_node(str(got)), strip_node(str(want))
    if user_code:
        assert g == w or (g and w.strip().endswith(g)), (got, want)
    else:
        assert g == w, (got, want)
    return got


def outcome(fn, tf, plain):
    """What `fn(tf)` gives: ("value", plain(result)), or ("raises", type name, message).

    TF's kernel errors carry a `{{function_node ...}}` prefix and an op-name
    scope after `name:` that jaxtape leaves out; both are dropped here.
    """
    try:
        return ("value", plain(fn(tf)))
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        text = strip_node(str(e))
        return ("raises", type(e).__name__, re.sub(r"name: \S+$", "name: ", text))


def same_outcome(fn, plain=plain, message=True, rtol=1e-5, atol=1e-6):
    """Asserts jaxtape's outcome of `fn` equals TF's (the message too unless
    `message` is False; values as `assert_same` compares them); returns it."""
    want = outcome(fn, real_tf(), plain)
    got = outcome(fn, jaxtape, plain)
    if want[0] == got[0] == "value":
        assert_same(got[1], want[1], rtol, atol)
        return got
    if not message and want[0] == "raises":
        want, got = want[:2], got[:2]
    assert got == want
    return got


_ISOLATED_SCRIPT = r"""
import json, os, sys
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
tf.config.set_visible_devices([], "GPU")
data = np.load(sys.argv[1])
names = {k: tf.constant(data[k]) for k in data.files}
for expr in json.loads(sys.stdin.read()):
    print(json.dumps({"running": expr}), flush=True)
    try:
        eval(expr, {"tf": tf, "np": np}, dict(names))
        out = {"type": None, "message": ""}
    except Exception as e:
        out = {"type": type(e).__name__, "message": str(e)}
    print(json.dumps(out), flush=True)
"""


def check_raises_isolated(cases, tmp_path, timeout=300, **arrays):
    """`check_raises` for TF calls that may abort the process.

    cases: (expression, match) pairs; each expression is Python over `tf` and
    the named `arrays` (as tensors). TF evaluates them all in one subprocess,
    so a kernel that aborts fails the test naming the case instead of ending
    the test run; jaxtape evaluates them here.
    """
    real_tf()
    import json
    import subprocess
    import sys
    npz = tmp_path / "arrays.npz"
    np.savez(npz, **arrays)
    proc = subprocess.run([sys.executable, "-c", _ISOLATED_SCRIPT, str(npz)],
                          input=json.dumps([expr for expr, _ in cases]), capture_output=True,
                          text=True, timeout=timeout)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    results = [r for r in lines if "running" not in r]
    if proc.returncode != 0 or len(results) != len(cases):
        running = [r["running"] for r in lines if "running" in r]
        last = running[-1] if running else "(before the first case)"
        raise AssertionError(f"TensorFlow's process ended with status {proc.returncode} while "
                             f"evaluating {last}:\n{proc.stderr[-2000:]}")
    names = {k: jaxtape.constant(v) for k, v in arrays.items()}
    for (expr, match), want in zip(cases, results):
        assert want["type"] is not None, f"TF raised nothing for {expr}"
        with pytest.raises(Exception) as info:
            eval(expr, {"tf": jaxtape, "np": np}, dict(names))
        got = info.value
        assert type(got).__name__ == want["type"], \
            f"{expr}: {type(got).__name__}: {got} vs TF's {want['type']}: {want['message']}"
        if match is not None:
            assert match in want["message"], f"{expr}: TF's message changed: {want['message']}"
            assert match in str(got), f"{expr}: {got!r} lacks {match!r}"
