"""tf.train.ExponentialMovingAverage against real TensorFlow."""
from __future__ import annotations

from tests.difftest import same_outcome


def _run(tf, **options):
    w = tf.Variable([1.0, 2.0], name="w")
    b = tf.Variable(3.0, name="b")
    ema = tf.train.ExponentialMovingAverage(**options)
    # names leave out TF's process-wide uniquifying suffix (`_1` for a second average of a `w`)
    out = [ema.apply([w, b]), ema.name, ema.average_name(w).split("_")[0],
           ema.average(w).name.split("_")[0].split(":")[0], ema.average(w).trainable,
           ema.average(tf.Variable(1.0)) is None]
    for value in ([3.0, 4.0], [-1.0, 0.5], [2.0, 2.0]):
        w.assign(value)
        b.assign_add(1.0)
        ema.apply([w, b])
        out.append([ema.average(w).read_value(), ema.average(b).read_value()])
    ema.apply()  # every averaged variable
    return out + [ema.average(w), ema.average(b)]


def test_moving_averages_match_tf():
    same_outcome(lambda tf: _run(tf, decay=0.9))
    same_outcome(lambda tf: _run(tf, decay=0.99, num_updates=tf.Variable(3)))
    same_outcome(lambda tf: _run(tf, decay=0.5, zero_debias=True))
    same_outcome(lambda tf: _run(tf, decay=tf.constant(0.7, tf.float64), name="Avg"))


def test_moving_averages_in_a_function_match_tf():
    def run(tf):
        w = tf.Variable([1.0, 2.0], name="w")
        ema = tf.train.ExponentialMovingAverage(0.8)
        ema.apply([w])

        @tf.function
        def step():
            w.assign_add([1.0, -1.0])
            ema.apply([w])
            return ema.average(w).read_value()
        return [step(), step(), step()]

    same_outcome(run)


def test_moving_average_errors_match_tf():
    ema = lambda tf: tf.train.ExponentialMovingAverage(0.9)  # noqa: E731
    same_outcome(lambda tf: ema(tf).apply([tf.constant(1.0)]))
    same_outcome(lambda tf: ema(tf).apply([tf.Variable(1, dtype=tf.int32)]))


def test_variables_to_restore_maps_average_names_to_variables():
    """TF's answer also holds whatever its TF 1 collections gathered in the process."""
    import jaxtape as tf

    w, b = tf.Variable(1.0, name="w"), tf.Variable(2.0, name="b")
    ema = tf.train.ExponentialMovingAverage(0.9)
    ema.apply([w, b])
    assert ema.variables_to_restore() == {"w/ExponentialMovingAverage": w,
                                          "b/ExponentialMovingAverage": b}
    assert ema.variables_to_restore([b]) == {"b/ExponentialMovingAverage": b}


def test_shadows_created_inside_a_function_start_from_the_value_before_it():
    """TF creates them under `init_scope`; so does `tf.init_scope` here."""
    def run(tf):
        w = tf.Variable([1.0, 2.0])
        ema = tf.train.ExponentialMovingAverage(0.5)

        @tf.function
        def step():
            w.assign_add([1.0, 1.0])
            ema.apply([w])
            return ema.average(w).read_value()
        return [step(), step()]

    same_outcome(run)


def test_init_scope_leaves_the_trace():
    def run(tf):
        v = tf.Variable(1.0)
        made = []

        @tf.function
        def f(x):
            v.assign_add(x)
            with tf.init_scope():
                if not made:  # TF traces twice on a first call that creates variables
                    made.append(tf.Variable(v.read_value() * 10.0))
                eager = tf.executing_eagerly()
            return v.read_value(), eager
        return [f(tf.constant(2.0)), made[0].read_value()]

    same_outcome(run)
