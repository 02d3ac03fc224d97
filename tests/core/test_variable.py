"""tf.Variable against real TF: names, assignment, reads under a tape."""

import numpy as np
import pytest

from difftest import same_outcome as same


def test_names():
    out = same(lambda tf: [tf.Variable(1., name="x0").name, tf.Variable(1.).name,
                           tf.Variable([1, 2], name="w").name])
    assert out == ("value", ["x0:0", "Variable:0", "w:0"])


def test_metadata():
    same(lambda tf: [tf.Variable(1.).shape.as_list(), str(tf.Variable([[1.]]).shape),
                     tf.Variable(1.).dtype.name, tf.Variable([1, 2]).dtype.name,
                     tf.Variable(1.5, dtype=tf.float64).dtype.name,
                     tf.Variable(1, dtype=tf.float32).dtype.name,
                     tf.Variable(lambda: tf.ones([2])).numpy(),
                     tf.Variable(1.).trainable, tf.Variable(1., trainable=False).trainable,
                     tf.Variable([1, 2]).numpy(), list(tf.Variable([1., 2.])),
                     tf.Variable(np.array([1, 2]), dtype=tf.float32).numpy(),
                     repr(tf.Variable(tf.Variable(2.))), isinstance(tf.Variable(1.), tf.Variable)])


def _assignments(tf):
    v = tf.Variable([1., 2.])
    out = [v.assign([3., 4.]).numpy(), v.read_value(), v.value()]
    v.assign_add([1., 1.])
    out.append(v.numpy())
    v.assign_sub(np.array([0.5, 0.5], np.float32))
    out.append(v.numpy())
    out.append(v.assign([1, 2]).numpy())  # integers convert into a float variable
    out.append(v.assign_add(2., read_value=False))
    out.append(v.numpy())
    return out


def test_assign_read_value():
    same(_assignments)


def test_read_is_a_snapshot():
    def fn(tf):
        v = tf.Variable(1.)
        r = v.read_value()
        plus = v + 1.0
        v.assign(5.)
        return [r, plus, v.numpy(), type(plus).__name__ in ("EagerTensor", "Tensor"),
                isinstance(plus, tf.Tensor)]

    same(fn)


@pytest.mark.parametrize("method", ["assign", "assign_add", "assign_sub"])
def test_shape_mismatch_error(method):
    got = same(lambda tf: getattr(tf.Variable([1., 2.]), method)([1., 2., 3.]))
    assert got[0] == "raises"


@pytest.mark.parametrize("fn", [
    lambda tf: tf.Variable([1., 2.]).assign([[1., 2.]]),
    lambda tf: tf.Variable(1).assign(1.5),
    lambda tf: tf.Variable([1., 2.]).assign_add(tf.constant([1, 2])),
    lambda tf: tf.Variable([1., 2.]).assign(tf.constant([1., 2.], tf.float64)),
    lambda tf: tf.Variable(None),
    lambda tf: tf.Variable(tf.constant([1, 2]), dtype=tf.float32),
    lambda tf: tf.Variable(1.).initial_value,
    lambda tf: {tf.Variable(1.): 1},
], ids=["rank", "float_into_int", "int_tensor_add", "float64_tensor", "none", "tensor_not_cast",
        "initial_value", "hash"])
def test_errors(fn):
    assert same(fn)[0] == "raises"


def test_variable_has_no_len():
    # TF's message names its class (ResourceVariable), so compare the type only.
    assert same(lambda tf: len(tf.Variable([1., 2.])), message=False) == ("raises", "TypeError")


def _tape_reads(tf):
    w = tf.Variable(2.)
    frozen = tf.Variable(3., trainable=False)
    with tf.GradientTape(persistent=True) as g:
        y = w * w * frozen
    with tf.GradientTape(watch_accessed_variables=False) as manual:
        z = w * frozen
    with tf.GradientTape(watch_accessed_variables=False) as manual2:
        manual2.watch(frozen)
        u = w * frozen
    return [g.gradient(y, [w, frozen]), [v.name for v in g.watched_variables()],
            manual.gradient(z, [w, frozen]), manual.watched_variables(),
            manual2.gradient(u, [w, frozen]), [v.name for v in manual2.watched_variables()]]


def test_trainable_reads_are_watched_automatically():
    out = same(_tape_reads)
    assert out[1][0][0] is not None and out[1][0][1] is None


def _watch_order(tf):
    a = tf.Variable(1., name="a")
    b = tf.Variable(2., name="b")
    c = tf.Variable(3., name="c")
    ints = tf.Variable(3, name="i")
    with tf.GradientTape() as g:
        g.watch(c)
        y = b * a + tf.cast(ints, tf.float32)
    names = [v.name for v in g.watched_variables()]
    g.gradient(y, a)
    return names, [v.name for v in g.watched_variables()]


def test_watched_variables_in_creation_order():
    # TF returns watched variables sorted by creation, not by first use.
    out = same(_watch_order)
    assert out[1][0] == ["a:0", "b:0", "c:0", "i:0"]


def _assign_breaks_chain(tf):
    v = tf.Variable(2.)
    x = tf.Variable(3.)
    with tf.GradientTape() as g:
        v.assign(x * 3.)
        y = v * 1.
    return g.gradient(y, [v, x])


def test_assign_breaks_the_chain():
    out = same(_assign_breaks_chain)
    assert out[1][1] is None


def _read_assign_read(tf):
    v = tf.Variable(2.)
    with tf.GradientTape(persistent=True) as g:
        y = v * v
        v.assign(3.)
        z = v * v
        v.assign_add(1.)
        w = v * v * v
    return [g.gradient(y, v), g.gradient(z, v), g.gradient(w, v), g.gradient([y, z, w], v)]


def test_each_read_keeps_its_own_value():
    out = same(_read_assign_read)
    assert [o[2] for o in out[1]] == [4.0, 6.0, 48.0, 58.0]
