"""GradientTape.jacobian and batch_jacobian against real TF."""
import numpy as np
import pytest

import jaxtape
from difftest import assert_same, plain, real_tf, same_error, same_values as same


# -- jacobian -----------------------------------------------------------------

SHAPES = [(), (3,), (2, 3)]


def test_jacobian_shapes_and_values():
    # Every pairing of scalar, vector and matrix targets and sources.
    def fn(tf):
        out = []
        for source_shape in SHAPES:
            n_src = int(np.prod(source_shape))
            x = tf.constant((np.arange(n_src, dtype=np.float32) * 0.3 - 0.4).reshape(source_shape))
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(x)
                s = tf.reshape(tf.sin(x), [n_src])
                ys = []
                for target_shape in SHAPES:
                    n = int(np.prod(target_shape))
                    w = tf.constant(np.arange(n_src * n, dtype=np.float32).reshape(n_src, n) % 5 - 2.0)
                    ys.append(tf.reshape(tf.tanh(tf.tensordot(s, w, 1)), target_shape))
            out.extend(tape.jacobian(y, x) for y in ys)
        return out

    got = same(fn)
    assert [r[1] for r in got] == [t + s for s in SHAPES for t in SHAPES]


def test_elementwise_jacobian_is_diagonal():
    def fn(tf):
        x = tf.constant([1.0, 2.0, 3.0])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        return tape.jacobian(y, x)

    assert same(fn)[2] == [[2, 0, 0], [0, 4, 0], [0, 0, 6]]


def test_nested_sources_keep_structure():
    def fn(tf):
        a = tf.constant([1.0, 2.0])
        b = tf.constant([[0.5], [-1.0]])
        c = tf.Variable(3.0)
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            y = tf.exp(a) * tf.reshape(b, [2]) * c
        return tape.jacobian(y, {"z": a, "a": [b, (c, a)]})

    got = same(fn)
    assert list(got) == ["z", "a"]  # the caller's dict order, as TF keeps it


@pytest.mark.parametrize("mode", ["none", "zero"])
def test_unconnected_and_integer_sources(mode):
    def fn(tf):
        x = tf.constant([1.0, 2.0, 3.0])
        c = tf.constant([[1.0, 2.0]], tf.float64)
        i = tf.constant([1, 2])
        with tf.GradientTape() as tape:
            tape.watch([x, c, i])
            y = x * 2.0
        return tape.jacobian(y, [x, c, i, x[0]], unconnected_gradients=mode)

    got = same(fn)
    assert (got[1] is None) == (mode == "none")


def test_unconnected_gradients_enum():
    def fn(tf):
        x = tf.constant([1.0, 2.0])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.constant([3.0, 4.0, 5.0])
        return tape.jacobian(y, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)

    assert same(fn)[1] == (3, 2)


def test_integer_target():
    def fn(tf):
        x = tf.constant([1.5, 2.5])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = tf.cast(x, tf.int32)
        return tape.jacobian(y, x), tape.jacobian(y, x, unconnected_gradients="zero")

    assert same(fn)[0] is None


def test_target_that_is_a_source():
    # A watched source is its own identity Jacobian; an unwatched one is
    # never recorded, so TF gives None (where gradient(c, c) gives ones).
    def fn(tf):
        x = tf.constant([1.0, 2.0])
        c = tf.constant([3.0, 4.0])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
        return tape.jacobian(x, x), tape.jacobian(c, c), tape.jacobian(c, [c, x])

    got = same(fn)
    assert got[1] is None


def test_variables_as_sources_and_target():
    def fn(tf):
        v = tf.Variable([[1.0, -2.0], [0.5, 3.0]])
        u = tf.Variable([1.0, 2.0], trainable=False)
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape(persistent=True) as tape:
            y = tf.nn.relu(x @ v) * u
        return tape.jacobian(y, [v, u]), tape.jacobian(v, v)

    same(fn)


def test_float64_and_mixed_dtypes():
    def fn(tf):
        x = tf.constant([[0.3, -1.2, 2.0]], tf.float64)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y64 = tf.tanh(x) * x
            y32 = tf.cast(y64, tf.float32)
        return tape.jacobian(y64, x), tape.jacobian(y32, x), tape.batch_jacobian(y32, x)

    got = same(fn)
    assert got[1][0] == "float64"


def test_zero_sized_dimensions():
    def fn(tf):
        z = tf.zeros([0, 3])
        x = tf.constant([1.0, 2.0, 3.0])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([z, x])
            y = z * 2.0
            e = tf.zeros([0]) * x[0]
        return (tape.jacobian(y, z), tape.jacobian(e, x), tape.jacobian(e, x, unconnected_gradients="zero"),
                tape.jacobian(y, x, unconnected_gradients="zero"))

    assert [r[1] for r in same(fn)] == [(0, 3, 0, 3), (0, 3), (0, 3), (0, 3, 3)]


# -- tape lifetime ------------------------------------------------------------

@pytest.mark.usefixtures("backward_mode")  # it also calls gradient
def test_persistent_tape_computes_many():
    def fn(tf):
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = tf.sin(x) * x
        return tape.jacobian(y, x), tape.jacobian(y, x), tape.gradient(y, x), tape.batch_jacobian(y, x)

    same(fn)


def _used_twice(first, second, persistent=False):
    def fn(tf):
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape(persistent=persistent) as tape:
            tape.watch(x)
            y = x * x
        for call in (first, second):
            if call == "gradient":
                tape.gradient(y, x)
            else:
                getattr(tape, call)(y, x)
    return fn


@pytest.mark.parametrize("first,second", [("jacobian", "jacobian"), ("gradient", "jacobian"),
                                          ("jacobian", "gradient"), ("batch_jacobian", "jacobian"),
                                          ("jacobian", "batch_jacobian")])
def test_non_persistent_tape_computes_one(first, second):
    assert "can only be used" in str(same_error(_used_twice(first, second), user_code=True))


@pytest.mark.parametrize("method", ["jacobian", "batch_jacobian"])
def test_non_persistent_without_pfor(method):
    def fn(tf):
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        return getattr(tape, method)(y, x, experimental_use_pfor=False)

    same_error(fn, user_code=True)


def test_persistent_without_pfor():
    def fn(tf):
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = tf.sin(x) * x
        return (tape.jacobian(y, x, experimental_use_pfor=False),
                tape.batch_jacobian(y, x, experimental_use_pfor=False))

    same(fn)


@pytest.mark.parametrize("method,p,persistent", [
    ("jacobian", 1, True), ("jacobian", 2, False), ("jacobian", 3, True), ("jacobian", 4, False),
    ("batch_jacobian", 3, False), ("batch_jacobian", 2, True), ("batch_jacobian", 4, True)])
def test_parallel_iterations(method, p, persistent):
    # pfor runs in chunks when parallel_iterations <= the iteration count (3);
    # TF then fails on a non-persistent tape and on an unconnected source
    # (the persistent cases here differentiate with respect to an unconnected copy).
    def fn(tf):
        x = tf.constant([[1.0, 2.0, 3.0]])
        with tf.GradientTape(persistent=persistent) as tape:
            tape.watch(x)
            y = x * 2.0
        src = x if not persistent else tf.identity(x)
        return getattr(tape, method)(y, src, parallel_iterations=p)

    try:
        want = fn(real_tf())
    except (ValueError, RuntimeError):
        same_error(fn, user_code=True)
    else:
        assert_same(plain(fn(jaxtape)), plain(want))


def test_unknown_unconnected_gradients():
    def fn(tf):
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x * 2.0
        return tape.jacobian(y, x, unconnected_gradients="bogus")

    err = same_error(fn, user_code=True)
    assert "Unknown value" in str(err.__cause__)

    def sequential(tf):  # without pfor TF's own message comes through
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x * 2.0
        return tape.batch_jacobian(y, x, unconnected_gradients="bogus", experimental_use_pfor=False)

    assert "Unknown value" in str(same_error(sequential, user_code=True))


@pytest.mark.usefixtures("backward_mode")  # it also calls gradient
def test_jacobian_inside_context():
    # Non-persistent: computing stops the recording. Persistent: the
    # Jacobian is itself recorded on the tape, so it can be differentiated.
    def fn(tf):
        x = tf.constant([1.0, 2.0, 3.0])
        with tf.GradientTape() as tape:
            tape.watch(x)
            j = tape.jacobian(x * x * x, x)
        with tf.GradientTape(persistent=True) as p:
            p.watch(x)
            jp = p.jacobian(x * x * x, x)
        return j, jp, p.gradient(jp, x)

    same(fn)


# -- batch_jacobian -----------------------------------------------------------

def test_batch_jacobian_independent_rows():
    def fn(tf):
        x = tf.reshape(tf.range(24, dtype=tf.float32) % 7.0 - 3.0, [4, 2, 3])
        w = tf.constant(np.arange(15, dtype=np.float32).reshape(3, 5) % 4 - 1.5)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = tf.tanh(x @ w * 0.1)
        return tape.batch_jacobian(y, x), tape.batch_jacobian(y[:, 0], x), tape.batch_jacobian(y, x[:, 1])

    assert [r[1] for r in same(fn)] == [(4, 2, 5, 2, 3), (4, 5, 2, 3), (4, 2, 5, 3)]


def test_batch_jacobian_sums_cross_row_dependencies():
    def fn(tf):
        x = tf.constant([[1.0, 2.0], [3.0, 5.0], [-1.0, 1.0]])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * tf.reduce_sum(x, axis=0) + tf.reverse(x, [0]) ** 2
        return tape.batch_jacobian(y, x)

    same(fn)


def test_batch_jacobian_of_variable_and_float64():
    def fn(tf):
        v = tf.Variable(np.array([[1.0, -2.0], [0.5, 3.0]]))
        with tf.GradientTape() as tape:
            y = tf.exp(v) * v
        return tape.batch_jacobian(y, v)

    assert same(fn)[0] == "float64"


@pytest.mark.parametrize("mode", ["none", "zero"])
def test_batch_jacobian_unconnected_is_zeros(mode):
    def fn(tf):
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        c = tf.constant([[1.0], [2.0]], tf.float64)
        i = tf.constant([[1, 2], [3, 4]])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, c, i])
            y = x * 2.0
        return (tape.batch_jacobian(y, c, unconnected_gradients=mode),
                tape.batch_jacobian(y, i, unconnected_gradients=mode),
                tape.batch_jacobian(y, x * 1.0, unconnected_gradients=mode))

    same(fn)


@pytest.mark.parametrize("target_shape,source_shape", [
    ((3,), (3, 2)), ((3, 2), (3,)), ((), (3, 2)), ((2, 2), (3, 2)), ((0, 2), (0, 2))])
def test_batch_jacobian_shape_errors(target_shape, source_shape):
    def fn(tf):
        x = tf.zeros([3, 2])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x) * 2.0
        target = y * tf.ones(target_shape)
        source = x[:source_shape[0]] if len(source_shape) == 2 else tf.zeros(source_shape)
        return tape.batch_jacobian(target, source)

    same_error(fn, user_code=True)


def test_batch_jacobian_zero_sized_rows():
    def fn(tf):
        x = tf.constant([1.0, 2.0, 3.0])
        z = tf.zeros([2, 0])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, z])
            s = tf.zeros([2, 3]) + x
            y = tf.zeros([2, 0]) * x[0]
        return tape.batch_jacobian(y, s), tape.batch_jacobian(z * 2.0, z), tape.batch_jacobian(s, z)

    assert [r[1] for r in same(fn)] == [(2, 0, 3), (2, 0, 0), (2, 3, 0)]


# -- higher order -------------------------------------------------------------

def _mlp_hessian(tf):
    x = tf.constant([[1.0, 2.0, -1.0], [0.5, 1.0, 1.0]])
    w = tf.Variable([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]])
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            loss = tf.reduce_mean(tf.tanh(x @ w) ** 2)
        g = t1.gradient(loss, w)
    return g, t2.jacobian(g, w)


def test_hessian_by_nesting_is_symmetric():
    g, h = same(_mlp_hessian)
    mat = np.array(h[2]).reshape(6, 6)
    np.testing.assert_allclose(mat, mat.T, atol=1e-4)
    hj = _mlp_hessian(jaxtape)[1].numpy().reshape(6, 6)
    np.testing.assert_allclose(hj, hj.T, rtol=1e-5, atol=1e-6)


@pytest.mark.usefixtures("backward_mode")  # it also calls gradient
def test_batch_jacobian_of_a_gradient():
    def fn(tf):
        x = tf.constant([[1.0, 2.0], [-0.5, 0.3], [2.0, 1.0]])
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.reduce_sum(tf.sin(x) * x[:, ::-1])
            g = t1.gradient(y, x)
        return g, t2.batch_jacobian(g, x)

    same(fn)


def test_third_order_through_a_recorded_jacobian():
    def fn(tf):
        x = tf.constant([0.5, -1.0, 2.0])
        with tf.GradientTape() as t3:
            t3.watch(x)
            with tf.GradientTape() as t2:
                t2.watch(x)
                with tf.GradientTape() as t1:
                    t1.watch(x)
                    y = tf.reduce_sum(tf.sin(x) * x ** 3)
                g = t1.gradient(y, x)
            h = t2.jacobian(g, x)
            s = tf.reduce_sum(h * tf.constant([[1.0, 2.0, 3.0]]))
        return h, t3.gradient(s, x)

    same(fn)


def test_jacobian_not_recorded_by_tape_that_does_not_watch():
    def fn(tf):
        x = tf.constant([1.0, 2.0])
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = x * x
            j = inner.jacobian(y, x)
        return j, outer.gradient(j, x)

    assert same(fn)[1] is None


def test_repeated_calls_reuse_the_program_with_new_values_and_shapes():
    def fn(tf):
        out = []
        for n in (3, 3, 4):
            x = tf.constant(np.linspace(-1.0, 1.0, n, dtype=np.float32)[None] * n)
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.tanh(x) * x
            out.append(tape.batch_jacobian(y, x))
        return out

    same(fn)


def test_forward_accumulator_pushes_tangents_through_a_jacobian():
    def fn(tf):
        x = tf.constant([0.5, -1.0, 2.0])
        with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0, 2.0])) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.sin(x) * x[::-1]
            j = tape.jacobian(y, x)
        return j, acc.jvp(j)

    same(fn)


def test_same_structure_with_new_source_shapes():
    # The cached program is keyed by structure and target shape; a source
    # of another shape behind the same structure must still come out right.
    def fn(tf):
        out = []
        for n in (2, 3):
            x = tf.constant(np.arange(2 * n, dtype=np.float32).reshape(2, n))
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(x)
                y = tf.reduce_sum(x * x, axis=1, keepdims=True)
            out += [tape.batch_jacobian(y, x), tape.jacobian(y, x)]
        return out

    same(fn)


def test_flattening_a_hessian_by_its_static_shape():
    # The Newton-step idiom: tf.reduce_prod(w.shape) converts a TensorShape.
    def fn(tf):
        w = tf.Variable([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
        with tf.GradientTape() as tape:
            y = w * w
        h = tape.jacobian(y, w)
        n = tf.reduce_prod(w.shape)
        return n, tf.reshape(h, [n, n]), tf.convert_to_tensor(w.shape, tf.int64)

    same(fn)
    same_error(lambda tf: tf.convert_to_tensor(tf.TensorShape([None, 3])), user_code=True)
    same_error(lambda tf: tf.convert_to_tensor(tf.TensorShape([3]), tf.float32), user_code=True)


def test_inside_tf_function():
    def fn(tf):
        @tf.function
        def f(x):
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(x)
                y = tf.sin(x) * x
            return tape.jacobian(y, x), tape.batch_jacobian(y, x), tape.jacobian(y, [x, x * 2.0])

        return f(tf.constant([[1.0, 2.0], [3.0, 4.0]]))

    same(fn)


def test_value_dependent_shapes_run_unjitted():
    # boolean_mask cannot be jitted: the vmapped program then runs eagerly,
    # recorded or not.
    def fn(tf):
        x = tf.constant([1.0, -2.0, 3.0, -4.0])
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.boolean_mask(x * x * x, x > 0)
            g = t1.gradient(y, x)
        return t2.jacobian(g, x)

    same(fn)

    def first_order(tf):
        x = tf.constant([1.0, -2.0, 3.0, -4.0])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.boolean_mask(x * x, x > 0)
        return tape.jacobian(y, x)

    same(first_order)
