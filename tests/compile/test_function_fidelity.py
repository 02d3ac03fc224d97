"""tf.function as TensorFlow's: each case runs the same code under TF and jaxtape."""
import numpy as np
import pytest

import jaxtape
from difftest import real_tf, same_outcome, same_values


def _grad_inside(tf, power):
    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = x ** power
        return t.gradient(y, x)
    return f


def test_second_function_with_inner_gradient_and_no_leaked_tracer():
    def run(tf):
        f, g = _grad_inside(tf, 2), _grad_inside(tf, 3)
        out = [f(tf.constant(2.0)), f(tf.constant(3.0)), g(tf.constant(2.0)), g(tf.constant(3.0))]
        y = tf.constant(1.0)
        with tf.GradientTape() as t:
            t.watch(y)
        out.append(t.gradient(y, y))
        return out
    same_values(run)


X = np.array([[1., 2.], [3., 4.]], np.float32)

STATIC_BODIES = {
    "pad": lambda tf, x: tf.pad(x, [[1, 0], [0, 1]]),
    "zeros_of_shape": lambda tf, x: tf.zeros(tf.shape(x)),
    "reshape_to_shape": lambda tf, x: tf.reshape(x, tf.shape(tf.transpose(x))),
    "shape_arithmetic": lambda tf, x: tf.reshape(x, [tf.shape(x)[0] * 2, -1]),
    "size": lambda tf, x: tf.reshape(x, (tf.size(x),)),
    "repeat_list": lambda tf, x: tf.repeat(x, [1, 2], axis=0),
    "unique_constant": lambda tf, x: tf.unique(tf.constant([1, 2, 1]))[0],
    "bincount_constant": lambda tf, x: tf.math.bincount(tf.constant([1, 2, 1])),
    "segment_sum": lambda tf, x: tf.math.segment_sum(x, tf.constant([0, 0])),
    "unsorted_segment_sum": lambda tf, x: tf.math.unsorted_segment_sum(x, tf.constant([0, 1]), 3),
    "unsorted_segment_traced_ids":
        lambda tf, x: tf.math.unsorted_segment_max(x, tf.cast(x[:, 0], tf.int32) - 1, 3),
}


@pytest.mark.parametrize("name", sorted(STATIC_BODIES))
def test_static_shapes_inside_function(name):
    body = STATIC_BODIES[name]
    same_values(lambda tf: tf.function(lambda x: body(tf, x))(tf.constant(X)))


@pytest.mark.parametrize("op", ["where", "boolean_mask", "unique"])
def test_value_dependent_shapes_say_so(op):
    body = {"where": lambda x: jaxtape.where(x > 2.),
            "boolean_mask": lambda x: jaxtape.boolean_mask(x, x > 2.),
            "unique": lambda x: jaxtape.unique(jaxtape.reshape(x, [-1]))[0]}[op]
    with pytest.raises(ValueError, match=f"tf.{op}: .*XLA, which needs static shapes"):
        jaxtape.function(body)(jaxtape.constant(X))


def test_numpy_inside_function_is_attribute_error():
    got = same_outcome(lambda tf: tf.function(lambda x: x.numpy())(tf.constant(1.0)),
                       message=False)
    assert got[1] == "AttributeError"
    with pytest.raises(AttributeError, match="'SymbolicTensor' object has no attribute 'numpy'"):
        jaxtape.function(lambda x: x.numpy())(jaxtape.constant(1.0))


def _while_power(tf, x, tape_inside):
    def loop(x):
        return tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x),
                             (tf.constant(0), tf.constant(1.)))[1]

    if tape_inside:
        @tf.function
        def f(x):
            with tf.GradientTape() as t:
                t.watch(x)
                v = loop(x)
            return t.gradient(v, x)
        return f(x)
    f = tf.function(loop)
    with tf.GradientTape() as t:
        t.watch(x)
        v = f(x)
    return t.gradient(v, x)


@pytest.mark.parametrize("tape_inside", [True, False])
def test_while_loop_with_static_trip_count_is_differentiable(tape_inside):
    got = same_values(lambda tf: _while_power(tf, tf.constant(2.0), tape_inside))
    assert got[2] == 12.0


@pytest.mark.parametrize("case", ["zeta", "betainc", "stop_gradient"])
def test_gradients_through_function_use_tf_rules(case):
    def run(tf):
        body, args = {
            "zeta": (lambda x, q: tf.math.zeta(x, q), (2.5, 1.5)),
            "betainc": (lambda a, b, z: tf.math.betainc(a, b, z), (2.0, 3.0, 0.5)),
            "stop_gradient": (lambda x, q: tf.stop_gradient(x) * q, (2.0, 3.0)),
        }[case]
        xs = [tf.constant(a) for a in args]
        f = tf.function(body)
        with tf.GradientTape() as t:
            t.watch(xs)
            y = f(*xs)
        return t.gradient(y, xs)
    same_values(run, rtol=1e-4)


def test_captured_watched_tensor_carries_gradient():
    def run(tf):
        x = tf.constant(3.0)
        f = tf.function(lambda: x ** 3)
        with tf.GradientTape() as t:
            t.watch(x)
            y = f()
        return t.gradient(y, x)
    assert same_values(run)[2] == 27.0


def test_python_scalars_equal_in_value_share_a_trace():
    def run(tf):
        traces = []

        @tf.function
        def f(a):
            traces.append(a)
            return tf.constant(1.0) * a
        out = [f(2), f(2.0), f(3), f(True), f(1)]
        return out, traces, f.experimental_get_tracing_count()
    same_values(run)


@pytest.mark.parametrize("body", [
    lambda tf, x: x + tf.constant(1, tf.int32),
    lambda tf, x: x + tf.constant([1., 2., 3.]),
    lambda tf, x: tf.matmul(x, tf.constant([[1., 2., 3.]])),
], ids=["dtype", "broadcast", "matmul"])
def test_graph_mode_errors_at_trace_time(body):
    def run(tf):
        return tf.function(lambda x: body(tf, x))(tf.constant(X))
    want = same_outcome(run, message=False)
    tf = real_tf()
    with pytest.raises(Exception) as theirs:
        run(tf)
    with pytest.raises(Exception) as ours:
        run(jaxtape)
    for text in ("does not match type float32 of argument 'x'", "Dimensions must be equal, but are"):
        if text in str(theirs.value):
            assert text in str(ours.value)
    assert want[1] in ("TypeError", "ValueError")


def test_unconnected_outputs_give_none():
    def run(tf):
        x, z = tf.constant(2.), tf.constant(3.)
        v = tf.Variable(1.0)
        bodies = [lambda x, z: tf.constant(5.), lambda x, z: (x * 2., tf.constant(5.)),
                  lambda x, z: tf.cast(x, tf.int32), lambda x, z: tf.floor(x) + z,
                  lambda x, z: v * 2., lambda x, z: tf.zeros_like(x)]
        out = []
        for body in bodies:
            f = tf.function(body)
            with tf.GradientTape(persistent=True) as t:
                t.watch([x, z])
                res = f(x, z)
            for r in (res if isinstance(res, tuple) else (res,)):
                out.append(t.gradient(r, [x, z, v]))
        return out
    same_values(run)


def test_gradient_after_non_differentiable_op_inside_function():
    # TF follows floor's (round's, ceil's) output: grad(3 * floor(x), floor(x)) is 3, not None.
    def run(tf):
        @tf.function
        def f(x):
            with tf.GradientTape(persistent=True) as t:
                t.watch(x)
                a = tf.floor(x)
                b = 3.0 * a
                c = tf.math.ceil(x)
                d = c * c
                r = tf.round(x) * 2.0
            return t.gradient(b, a), t.gradient(b, x), t.gradient(d, c), t.gradient(r, x)
        return f(tf.constant([1.5, 2.0]))
    same_values(run)


@pytest.mark.parametrize("limit", [None, "tensor", 2])
@pytest.mark.parametrize("tape_inside", [True, False])
def test_while_loop_with_traced_trip_count_is_differentiable(limit, tape_inside):
    # The trip count depends on x's value (3 for x = 1.5); x is also a body capture.
    def run(tf):
        kw = {} if limit is None else {"maximum_iterations": tf.constant(2) if limit == "tensor" else limit}

        def loop(x):
            return tf.while_loop(lambda i, v: v < 10.0, lambda i, v: (i + 1, v * x + tf.sin(v)),
                                 (0, x), **kw)

        @tf.function
        def inside(x):
            with tf.GradientTape() as t:
                t.watch(x)
                i, v = loop(x)
            return i, v, t.gradient(v, x)

        x = tf.constant(1.5)
        if tape_inside:
            return inside(x)
        with tf.GradientTape() as t:
            t.watch(x)
            i, v = tf.function(loop)(x)
        return i, v, t.gradient(v, x)
    same_values(run)


def test_variable_arguments_trace_once_per_variable_spec():
    # TF's VariableSpec: shape, dtype, trainable and aliasing pick the trace; any
    # variable that fits reuses it, and each call reads and writes its own.
    def run(tf):
        @tf.function
        def step(a, b):
            a.assign_add(b * 2.0)
            return a + b

        vs = [tf.Variable([1.0, 2.0]) for _ in range(3)]
        out = [step(vs[i], vs[(i + 1) % 3]) for i in range(3)]
        out.append(step.experimental_get_tracing_count())
        out.append(step(vs[0], vs[0]))  # one variable twice: a trace of its own
        out.append(step.experimental_get_tracing_count())
        out.append(step(tf.Variable([5.0, 6.0]), tf.Variable([7.0, 8.0], trainable=False)))
        out.append(step(tf.Variable([1.0, 2.0, 3.0]), tf.Variable([1.0, 1.0, 1.0])))
        out.append(step.experimental_get_tracing_count())
        for _ in range(2):
            fresh = tf.Variable([3.0, 3.0])  # a new variable each round, maybe at a freed one's id
            out.append(step(fresh, tf.Variable([1.0, 0.0])))
            out.append(fresh)
        out.append(step.experimental_get_tracing_count())
        out.extend(vs)
        return out
    same_values(run)
