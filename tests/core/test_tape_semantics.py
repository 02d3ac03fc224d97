"""What a tape records and when, against real TF: stop_recording, reset,
Python control flow, variables changing under a tape."""
import numpy as np
import pytest

from difftest import same_outcome as same

# Every gradient here runs step by step, compiled whole and recorded.
pytestmark = pytest.mark.usefixtures("backward_mode")


# -- stop_recording ---------------------------------------------------------------------

def _stop_recording(tf):
    x = tf.constant(2.)
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        y = x * x
        with g.stop_recording():
            z = x * x          # not recorded
            inner_w = y * 3.   # not recorded either
        w = x * 3.             # recording again
    return [g.gradient(t, x) for t in (y, z, inner_w, w)]


def test_stop_recording_pauses_only_inside():
    assert same(_stop_recording)[1][1:3] == [None, None]


def _stop_recording_one_of_two(tf):
    x = tf.constant(2.)
    with tf.GradientTape() as a, tf.GradientTape() as b:
        a.watch(x)
        b.watch(x)
        with a.stop_recording():
            y = x * x
    return a.gradient(y, x), b.gradient(y, x)


def test_stop_recording_is_per_tape():
    assert same(_stop_recording_one_of_two)[1][0] is None


def test_stop_recording_on_a_tape_never_entered_raises():
    def fn(tf):
        with tf.GradientTape().stop_recording():
            pass
    assert same(fn)[1] == "RuntimeError"


def test_stop_recording_after_the_context_raises():
    def fn(tf):
        g = tf.GradientTape()
        with g:
            pass
        with g.stop_recording():
            pass
    same(fn)


# -- reset ------------------------------------------------------------------------------

def _reset(tf):
    x = tf.constant(2.)
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        y = x * x
        g.reset()              # forgets y's ops and the watch on x
        z = x * x
        g.watch(x)
        w = x * 3.
    return [g.gradient(t, x) for t in (y, z, w)]


def test_reset_forgets_records_and_watches():
    assert same(_reset)[1][:2] == [None, None]


def _reset_after_exit(tf):
    x = tf.constant(2.)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    g.reset()
    return g.gradient(y, x)


def test_reset_after_the_context():
    same(_reset_after_exit)


def test_reset_on_a_tape_never_entered():
    def fn(tf):
        tf.GradientTape().reset()
    same(fn)


def _reset_variables(tf):
    v = tf.Variable(2.)
    with tf.GradientTape() as g:
        y = v * v
        g.reset()
        z = v * 5.
    return g.gradient([y, z], v), [u.name for u in g.watched_variables()]


def test_reset_then_variable_read_watches_again():
    same(_reset_variables)


# -- Python control flow -----------------------------------------------------------------

def _control_flow(tf):
    out = []
    for start in (-1.5, 0.5, 3.):
        x = tf.constant(start)
        with tf.GradientTape() as g:
            g.watch(x)
            y = x
            if x > 1:
                y = y * x * x
            elif x < 0:
                y = -y
            for _ in range(int(abs(x)) + 1):
                y = y * x
            while y < 10. and x > 0:
                y = y * 2.
        out.append((y, g.gradient(y, x)))
    return out


def test_python_control_flow_on_tensor_values():
    same(_control_flow)


def _loop_accumulation(tf):
    w = tf.Variable([0.5, -1.])
    xs = [tf.constant([1., 2.]), tf.constant([3., -1.]), tf.constant([0.5, 0.5])]
    with tf.GradientTape() as g:
        total = tf.constant(0.)
        for i, x in enumerate(xs):
            total = total + tf.reduce_sum(w * x) ** 2 * (i + 1)
    return total, g.gradient(total, w)


def test_loop_accumulating_a_loss():
    same(_loop_accumulation)


# -- variables changing under a tape ------------------------------------------------------

def _training_steps(tf):
    w = tf.Variable([1., 2.])
    x = tf.constant([0.5, -1.])
    losses = []
    for _ in range(3):
        with tf.GradientTape() as g:
            loss = tf.reduce_sum((w * x - 1.) ** 2)
        grad = g.gradient(loss, w)
        w.assign_sub(0.1 * grad)
        losses.append(loss)
    return losses, w.value()


def test_training_steps_update_variables():
    same(_training_steps)


def _assign_inside_is_not_differentiated(tf):
    w = tf.Variable(2.)
    acc = tf.Variable(0.)
    with tf.GradientTape(persistent=True) as g:
        y = w * w
        acc.assign_add(y)      # the assignment itself is not recorded
        z = acc * 1.
        w.assign(w * 10.)
        u = w * 1.
    return g.gradient(z, [w, acc]), g.gradient(u, w), g.gradient(y, w)


def test_assignments_break_the_chain():
    got = same(_assign_inside_is_not_differentiated)
    assert got[1][0][0] is None


def _numpy_round_trip(tf):
    x = tf.constant([1., 2.])
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
        back = tf.constant(y.numpy() + np.float32(1.)) * x
    return g.gradient(back, x)


def test_numpy_round_trip_only_keeps_the_live_path():
    same(_numpy_round_trip)


@pytest.mark.parametrize("persistent", [False, True])
def test_ops_after_gradient_in_context(persistent):
    def fn(tf):
        x = tf.constant(3.)
        with tf.GradientTape(persistent=persistent) as g:
            g.watch(x)
            y = x * x
            dy = g.gradient(y, x)
            z = x * dy
        return dy, z, (g.gradient(z, x) if persistent else None)
    same(fn)


# -- when a watch counts ------------------------------------------------------------------

def _late_watch(tf, where):
    """`c` is watched after `y = x * c` was recorded: TF counts a watch only
    while some GradientTape records on the thread."""
    x, c = tf.constant(1.5), tf.constant(2.0)
    t = tf.GradientTape(persistent=True, watch_accessed_variables=False)
    with t:
        t.watch(x)
        y = x * c * 3.0
        if where == "inside":
            t.watch(c)
        if where == "stop_recording":
            with t.stop_recording():
                t.watch(c)
    if where == "after":
        t.watch(c)
    if where == "other_tape":
        with tf.GradientTape():
            t.watch(c)
    if where == "accumulator":
        with tf.autodiff.ForwardAccumulator(x, tf.constant(1.0)):
            t.watch(c)
    if where == "reentered":
        t.watch(c)
        with t:
            w = c * 2.0
        return t.gradient(y, c), t.gradient(w, c)
    return t.gradient(y, c)


# "other_tape" differs: see tests/core/test_tape_release.py.
@pytest.mark.parametrize("where", ["inside", "stop_recording", "after", "accumulator", "reentered"])
def test_a_watch_counts_only_while_a_tape_records(where):
    same(lambda tf: _late_watch(tf, where))


def test_watch_on_a_tape_never_entered_fails_as_tf():
    def never_entered(tf):
        tf.GradientTape().watch(tf.constant(1.0))

    same(never_entered)
