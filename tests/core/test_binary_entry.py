"""`Primitive.binary`, the two-tensor entry `x * y` takes, against `prim(x, y)`.

`ops.math.arithmetic.fast_binary` hands two float tensors of one aval to
`prim.binary`; everything else goes through TF's conversions to `prim(...)`.
Both must record the same nodes, defer alike and give the same gradients
and errors.
"""
import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src.ops.math import arithmetic
from jaxtape._src.tape import deferred
from jaxtape._src.tape.primitive import Primitive

MUL = arithmetic.multiply.primitive


@pytest.fixture
def entries(monkeypatch):
    """Counts calls of the binary entry; deferral on, no `_alone` marks."""
    calls = []
    real = Primitive.binary
    monkeypatch.setattr(Primitive, "binary", lambda self, a, b: calls.append(self.name) or real(self, a, b))
    # `fast_binary` bound `prim.binary` when built: rebuild `*` over the patched class.
    monkeypatch.setattr(tf.Tensor, "__mul__", arithmetic.fast_binary("Mul"))
    monkeypatch.setitem(deferred.config, "on", True)
    deferred.forget()
    return calls


def _node_shape(node):
    """What a node records, but its tensors (their ids differ per run)."""
    return node.prim, node.skey, dict(node.static), node.out_avals, len(node.args)


def _record(call, x, c, tapes=1, watch=True):
    outer = tf.GradientTape(persistent=True)
    with outer:
        if watch:
            outer.watch(x)
        inner = tf.GradientTape(persistent=True) if tapes == 2 else None
        if inner is not None:
            inner.__enter__()
            inner.watch(x)
        y = x
        for _ in range(3):
            y = call(y, c)
        if inner is not None:
            inner.__exit__(None, None, None)
    return outer, inner, y


@pytest.mark.parametrize("tapes", [1, 2])
def test_binary_entry_records_what_the_general_entry_does(entries, tapes):
    x = tf.constant(np.array([1.5, -2.0, 3.0], np.float32))
    c = tf.constant(np.array([2.0, 0.5, -1.0], np.float32))
    results = []
    for call in (MUL.binary, lambda a, b: MUL(a, b)):
        for _ in range(2):  # the first sighting runs eagerly (it learns the output aval)
            outer, inner, y = _record(call, x, c, tapes)
        nodes = outer._tape.nodes
        assert len(nodes) == 3 and all(n.args[1] is c for n in nodes)
        assert nodes[0].args[0] is x
        pending = y._pending is not None
        results.append(([_node_shape(n) for n in nodes], pending, outer.gradient(y, x).numpy(),
                         None if inner is None else inner.gradient(y, x).numpy()))
    (nodes_b, pending_b, grad_b, inner_b), (nodes_g, pending_g, grad_g, inner_g) = results
    assert nodes_b == nodes_g
    assert pending_b == pending_g == (tapes == 1)  # two tapes: nothing defers
    np.testing.assert_array_equal(grad_b, grad_g)
    np.testing.assert_allclose(grad_b, [8.0, 0.125, -1.0])
    if tapes == 2:
        np.testing.assert_array_equal(inner_b, inner_g)
    assert entries.count("Mul") == 6  # 2 runs x 3 ops of the binary entry


def test_operator_takes_the_binary_entry_only_for_one_float_aval(entries):
    x = tf.constant(np.array([1.0, 2.0], np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x                                        # one aval: binary entry
        z = y * tf.constant(np.float32(3.0))             # broadcast: TF's path
        w = z * 2.0                                      # Python scalar: TF's path
        v = tf.constant([1, 2]) * tf.constant([3, 4])    # int32: TF's path
    assert entries == ["Mul"]
    np.testing.assert_allclose(tape.gradient(w, x).numpy(), [12.0, 24.0])
    assert v.numpy().tolist() == [3, 8]


def test_unwatched_and_errors_match(entries):
    x = tf.constant(np.array([1.0, 2.0], np.float32))
    with tf.GradientTape() as tape:  # watches nothing: no node, nothing pending
        y = x * x
    assert tape._tape is None or tape._tape.nodes == []
    assert y._pending is None and tape.gradient(y, x) is None
    with tf.GradientTape() as tape:
        tape.watch(x)
        with pytest.raises(tf.errors.InvalidArgumentError):
            x * tf.constant([1, 2])  # float32 * int32 fails at the op, as in TF
        with pytest.raises(tf.errors.InvalidArgumentError):
            x * tf.constant(np.array([1.0, 2.0], np.float64))


def test_forward_accumulator_sees_the_binary_entry(entries):
    x = tf.constant(np.array([1.0, 2.0], np.float32))
    with tf.autodiff.ForwardAccumulator(x, tf.constant(np.array([1.0, 1.0], np.float32))) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
    assert entries == ["Mul"] and y._pending is None  # an accumulator: nothing defers
    np.testing.assert_allclose(acc.jvp(y).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])
