"""GradientTape basics against real TF: context, watch, gradient's arguments.

Each case is a function of the `tf` module run under TensorFlow and under
jaxtape; the outcomes (gradients with their None-ness, or the exception's
type and text) must agree.
"""
import logging

import numpy as np
import pytest

import jaxtape
from difftest import same_outcome as same

# Every gradient here runs step by step, compiled whole and recorded.
pytestmark = pytest.mark.usefixtures("backward_mode")


def square_grad(tf, **kwargs):
    x = tf.constant([1., 2.])
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    return g.gradient(y, x, **kwargs)


# -- context --------------------------------------------------------------------------

def test_context_manager_returns_the_tape():
    def fn(tf):
        g = tf.GradientTape()
        with g as entered:
            pass
        return entered is g
    assert same(fn) == ("value", True)


def _reentered(tf):
    x = tf.constant(2.)
    g = tf.GradientTape()
    with g:
        g.watch(x)
        y = x * x
    z = x * 5.  # not recorded: the tape is not active
    with g:
        w = x * 3.
    return g.gradient([y, w, z], x)


def test_reentering_records_into_the_same_tape():
    np.testing.assert_allclose(same(_reentered)[1][2], 7.0)


def test_entering_an_active_tape_raises():
    def fn(tf):
        g = tf.GradientTape()
        with g:
            with g:
                pass
    got = same(fn)
    assert got[1] == "ValueError" and "re-enter an already-active tape" in got[2]


def test_exception_inside_with_leaves_no_tape_active():
    def fn(tf):
        x = tf.constant(2.)
        with pytest.raises(KeyError):
            with tf.GradientTape() as g:
                g.watch(x)
                raise KeyError("boom")
        with tf.GradientTape() as h:
            y = x * x
        with g:  # the failed tape can be entered again
            z = x * x
        return h.gradient(y, x), g.gradient(z, x)
    assert same(fn) == ("value", (None, ("float32", (), 4.0)))
    assert not jaxtape._src.framework.state.local.tapes


# -- watch -------------------------------------------------------------------------

def _watch_nested(tf):
    a, b, c = tf.constant(1.), tf.constant(2.), tf.Variable(3., trainable=False)
    with tf.GradientTape() as g:
        g.watch({"a": a, "rest": (b, [c])})
        y = a * b * c
    return g.gradient(y, {"a": a, "b": b, "c": c})


def test_watch_nested_structures():
    same(_watch_nested)


@pytest.mark.parametrize("bad, type_name", [(np.array([1.]), "ndarray"), (1.0, "float"), (3, "int"),
                                             ([1.0], "float")], ids=["ndarray", "float", "int", "list"])
def test_watch_non_tensor_raises_naming_the_type(bad, type_name):
    def fn(tf):
        with tf.GradientTape() as g:
            g.watch(bad)
    got = same(fn)
    assert got[1] == "ValueError" and f"of type '{type_name}'" in got[2]


def test_watch_mixed_structure_raises():
    def fn(tf):
        with tf.GradientTape() as g:
            g.watch([tf.constant(1.), 2])
    same(fn)


def test_watching_an_int_tensor_warns_and_gives_none(caplog):
    def fn(tf):
        x = tf.constant([1, 2])
        with tf.GradientTape(persistent=True) as g:
            g.watch(x)
            y = x * x
            z = tf.cast(x, tf.float32) * 2.
        return (g.gradient(y, x), g.gradient(z, x),
                g.gradient(y, x, unconnected_gradients="zero"))
    with caplog.at_level(logging.WARNING, logger="jaxtape"):
        out = same(fn)
    assert out[1][:2] == (None, None)
    assert any("The dtype of the watched tensor must be floating (e.g. tf.float32), got tf.int32"
               in r.getMessage() for r in caplog.records)


def test_watching_is_tape_local():
    def fn(tf):
        x = tf.constant(2.)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = x * x
        return outer.gradient(y, x), inner.gradient(y, x)
    assert same(fn)[1][0] is None


def test_two_tapes_in_one_with_both_record():
    def fn(tf):
        x = tf.constant(2.)
        with tf.GradientTape() as a, tf.GradientTape() as b:
            a.watch(x)
            b.watch(x)
            y = x * x * x
        return a.gradient(y, x), b.gradient(y, x)
    assert same(fn)[1] == (("float32", (), 12.0),) * 2


# -- gradient's arguments ----------------------------------------------------------

def _structures(tf):
    x, w = tf.constant([1., 2.]), tf.Variable(3.)
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        y = x * x * w
        z = tf.reduce_sum(x) * w
    return [g.gradient(y, {"b": [x, (w,)], "a": x}),
            g.gradient({"y": y, "zs": [z, 2. * z]}, (x, w)),
            g.gradient([y, z], [x, x, w]),
            g.gradient(y, [x, y]),                 # a source that is a target
            g.gradient(z, {"y": y, "x": [x]}),     # w.r.t. an intermediate
            g.gradient(y, x)]                      # non-scalar target: summed


def test_nested_targets_and_sources():
    out = same(_structures)
    assert list(out[1][0]) == ["b", "a"]  # the caller's dict order


def _unconnected(tf, mode):
    x, u, i = tf.constant([1., 2.]), tf.constant(3.), tf.constant([1, 2])
    with tf.GradientTape() as g:
        g.watch([x, u])
        y = x * x
    return g.gradient(y, [x, u, i, tf.constant(5.)], unconnected_gradients=mode)


@pytest.mark.parametrize("mode", ["none", "zero", "NONE", "ZERO"])
def test_unconnected_gradients(mode):
    def fn(tf):
        return _unconnected(tf, getattr(tf.UnconnectedGradients, mode) if mode.isupper() else mode)
    out = same(fn)
    if mode.lower() == "zero":
        assert out[1][1] == ("float32", (), 0.0) and out[1][2] == ("int32", (2,), [0, 0])
    else:
        assert out[1][1:] == [None, None, None]


def test_unknown_unconnected_value_raises():
    got = same(lambda tf: square_grad(tf, unconnected_gradients="bad"))
    assert got[1] == "ValueError" and "bad" in got[2]


def test_target_none_raises_type_error():
    def fn(tf):
        x = tf.constant(1.)
        with tf.GradientTape() as g:
            g.watch(x)
        return g.gradient(None, x)
    assert same(fn)[1] == "TypeError"


def test_none_inside_targets_or_sources_raises_type_error():
    def fn(tf, which):
        x = tf.constant(1.)
        with tf.GradientTape() as g:
            g.watch(x)
            y = x * x
        return g.gradient([y, None], x) if which else g.gradient(y, [None, x])
    for which in (0, 1):
        assert same(lambda tf: fn(tf, which), message=False) == ("raises", "TypeError")


def test_non_persistent_second_gradient_raises():
    def fn(tf):
        x = tf.constant(1.)
        with tf.GradientTape() as g:
            g.watch(x)
            y = x * x
        g.gradient(y, x)
        return g.gradient(y, x)
    assert same(fn) == ("raises", "RuntimeError", "A non-persistent GradientTape can only be "
                        "used to compute one set of gradients (or jacobians)")


def test_persistent_tape_used_many_times():
    def fn(tf):
        x = tf.constant(3.)
        with tf.GradientTape(persistent=True) as g:
            g.watch(x)
            y = x * x
            z = y * x
        return [g.gradient(y, x), g.gradient(z, x), g.gradient(z, y), g.gradient([y, z], x),
                g.gradient(y, x)]
    same(fn)


@pytest.mark.parametrize("og", [
    lambda tf: tf.constant([3., 4.]),
    lambda tf: [3., 4.],            # TF flattens it: the first entry seeds the target
    lambda tf: tf.constant(2.),     # broadcast over the target
    lambda tf: np.array([3., 4.], np.float32),
], ids=["tensor", "list", "scalar", "ndarray"])
def test_output_gradients(og):
    same(lambda tf: square_grad(tf, output_gradients=og(tf)))


def test_output_gradients_per_target():
    def fn(tf):
        x = tf.constant([1., 2.])
        with tf.GradientTape() as g:
            g.watch(x)
            y, z = x * x, tf.reduce_sum(x)
        return g.gradient([y, z], x, output_gradients=[tf.constant([1., 10.]), tf.constant(3.)])
    same(fn)


@pytest.mark.parametrize("og", [lambda tf: tf.constant([3., 4., 5.]),
                                lambda tf: tf.constant([3, 4])], ids=["shape", "dtype"])
def test_bad_output_gradients_raise_invalid_argument(og):
    got = same(lambda tf: square_grad(tf, output_gradients=og(tf)), message=False)
    assert got == ("raises", "InvalidArgumentError")


def test_unwatched_sources_get_no_gradient():
    def fn(tf):
        x, c = tf.constant(2.), tf.constant(3.)
        v, frozen = tf.Variable(2.), tf.Variable(3., trainable=False)
        with tf.GradientTape(persistent=True) as g:
            g.watch(x)
            y = x * c
            z = v * frozen
        with tf.GradientTape() as nothing:
            pass
        return [g.gradient(y, [x, c]), g.gradient(z, [v, frozen]), g.gradient(c, c),
                g.gradient([y, z], [c, frozen], unconnected_gradients="zero"),
                nothing.gradient(x, x)]
    out = same(fn)
    assert out[1][0][1] is None and out[1][1][1] is None
    assert out[1][2] == ("float32", (), 1.0)  # a target that is the source: ones, as in TF


def test_integer_source_is_none():
    def fn(tf):
        v = tf.Variable([1, 2])
        x = tf.constant(2.)
        with tf.GradientTape() as g:
            g.watch(x)
            y = tf.cast(v, tf.float32) * x
        return g.gradient(y, [v, x])
    assert same(fn)[1][0] is None
