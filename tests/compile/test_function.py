"""tf.function: compiled calls, tracing rules, variables and tapes, against TF."""
import numpy as np
import pytest

import jaxtape
from difftest import check, real_tf

FRAMEWORKS = ["tf", "jaxtape"]


def framework(name):
    return real_tf() if name == "tf" else jaxtape


def _mlp(tf, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(5, 8), (8,), (8, 3), (3,)]
    return [tf.Variable(rng.normal(0, 0.3, s).astype(np.float32)) for s in shapes]


def _train(tf, steps=3):
    vs = _mlp(tf)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(x, vs[0]) + vs[1])
            logits = tf.matmul(h, vs[2]) + vs[3]
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, vs)
        for v, g in zip(vs, grads):
            v.assign_sub(0.5 * g)
        return loss

    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(6, 5)).astype(np.float32))
    y = tf.constant(rng.integers(0, 3, 6).astype(np.int32))
    losses = [step(x, y).numpy() for _ in range(steps)]
    return losses, [v.numpy() for v in vs], step.experimental_get_tracing_count()


def test_training_step_matches_tf():
    want = _train(real_tf())
    got = _train(jaxtape)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
    for g, w in zip(got[1], want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert got[2] == want[2] == 1
    assert got[0][0] > got[0][-1]  # it trained


def test_decorator_forms():
    def f(x):
        return x * 2.0

    x = jaxtape.constant([1.0, 2.0])
    for fn in (jaxtape.function(f), jaxtape.function()(f), jaxtape.function(jit_compile=True)(f),
               jaxtape.function(reduce_retracing=True, autograph=False)(f)):
        np.testing.assert_allclose(fn(x).numpy(), [2.0, 4.0])
    assert jaxtape.function is jaxtape._src.compile.function

    @jaxtape.function
    def g(x, scale=3.0):
        return x * scale
    np.testing.assert_allclose(g(x, scale=2.0).numpy(), [2.0, 4.0])
    assert g.__name__ == "g" and g.python_function.__name__ == "g"


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_tracing_rules(name):
    """Python values retrace per value, tensors per shape/dtype; side effects at trace time."""
    tf = framework(name)
    traces = []

    @tf.function
    def f(x, n):
        traces.append(n)
        return x * n

    f(tf.constant(1.0), 2)
    f(tf.constant(3.0), 2)          # same: no trace
    f(tf.constant(1.0), 3)          # new Python value
    f(tf.constant([1.0, 2.0]), 3)   # new shape
    f(tf.constant(1.0, tf.float64), 3)  # new dtype
    f(np.float32(4.0), 3)           # NumPy scalar: traced like a float32 tensor
    assert traces == [2, 3, 3, 3]
    assert f.experimental_get_tracing_count() == 4
    np.testing.assert_allclose(f(tf.constant([1.0, 2.0]), 3).numpy(), [3.0, 6.0])


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_executing_eagerly_inside(name):
    tf = framework(name)
    seen = []

    @tf.function
    def f(x):
        seen.append(tf.executing_eagerly())
        return x + 1

    f(tf.constant(1.0))
    assert seen == [False] and tf.executing_eagerly()


def test_outer_tape_through_call():
    def fn(tf, x, w):
        v = tf.Variable(w)

        @tf.function
        def f(x):
            return tf.reduce_sum(tf.sin(x) * v) + tf.reduce_sum(x * x)

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x) * 2.0
        gx, gv = tape.gradient(y, [x, v])
        return y, gx, gv

    rng = np.random.default_rng(0)
    check(fn, rng.normal(size=3).astype(np.float32), rng.normal(size=3).astype(np.float32),
          grad=False)


def test_differentiable_call_in_harness():
    """check() differentiates through the compiled call with its own outer tape."""
    def fn(tf, x, y):
        f = tf.function(lambda a, b: (tf.matmul(a, b), tf.reduce_sum(tf.exp(a))))
        return f(x, y)

    rng = np.random.default_rng(2)
    check(fn, rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=(3, 2)).astype(np.float32))


def test_variables_read_and_written_on_each_call():
    def run(tf):
        v = tf.Variable([1.0, 2.0])
        counter = tf.Variable(0, dtype=tf.int64)

        @tf.function
        def f(x):
            counter.assign_add(1)
            v.assign(v * x)
            return v.read_value() + 1.0

        outs = [f(tf.constant([2.0, 3.0])).numpy() for _ in range(3)]
        v.assign([1.0, 1.0])  # eager writes are seen by the next call
        outs.append(f(tf.constant([2.0, 3.0])).numpy())
        return outs, v.numpy(), counter.numpy()

    want, got = run(real_tf()), run(jaxtape)
    np.testing.assert_allclose(np.array(got[0]), np.array(want[0]))
    np.testing.assert_allclose(got[1], want[1])
    assert got[2] == want[2] == 4


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_method(name):
    tf = framework(name)

    class Model:
        def __init__(self, w):
            self.w = tf.Variable(w)
            self.traces = 0

        @tf.function
        def __call__(self, x):
            self.traces += 1
            return self.w * x

    a, b = Model(2.0), Model(5.0)
    assert a(tf.constant(3.0)).numpy() == 6.0
    assert b(tf.constant(3.0)).numpy() == 15.0
    a.w.assign(4.0)
    assert a(tf.constant(3.0)).numpy() == 12.0
    assert (a.traces, b.traces) == (1, 1)


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_variable_created_on_first_call_only(name):
    tf = framework(name)

    class Lazy:
        def __init__(self):
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(tf.ones_like(x) * 2.0)
            self.v.assign_add(x)
            return self.v.read_value()

    m = Lazy()
    np.testing.assert_allclose(m(tf.constant([1.0, 2.0])).numpy(), [3.0, 4.0])
    np.testing.assert_allclose(m(tf.constant([1.0, 2.0])).numpy(), [4.0, 6.0])



def test_variable_created_every_call_raises_like_tf():
    for tf in (real_tf(), jaxtape):
        @tf.function
        def cr(x):
            return tf.Variable(x)
        with pytest.raises(ValueError, match="only supports singleton tf.Variables"):
            cr(tf.constant(1.0))


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_return_values(name):
    tf = framework(name)
    v = tf.Variable(1.5)

    @tf.function
    def f(x):
        return {"a": x, "b": (1, None), "c": v, "d": 2.0}

    out = f(tf.constant(1.0))
    assert out["b"][1] is None
    assert out["b"][0].dtype == tf.int32 and out["b"][0].numpy() == 1
    assert out["d"].dtype == tf.float32
    assert isinstance(out["c"], tf.Tensor) and out["c"].numpy() == 1.5


def test_bool_of_traced_tensor_raises():
    tf = real_tf()

    @tf.function(autograph=False)
    def f(x):
        return x if x > 0 else -x

    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError) as want:
        f(tf.constant(1.0))

    @jaxtape.function(autograph=False)  # with AutoGraph the conditional expression is a tf.cond
    def g(x):
        return x if x > 0 else -x

    with pytest.raises(jaxtape.errors.OperatorNotAllowedInGraphError) as got:
        g(jaxtape.constant(1.0))
    assert str(got.value) == str(want.value)
    assert issubclass(jaxtape.errors.OperatorNotAllowedInGraphError, TypeError)
    # eager bool still works
    assert bool(jaxtape.constant(1.0) > 0)


def test_print_of_traced_tensor_at_trace_time(capsys):
    @jaxtape.function
    def f(x):
        print("tracing", x)
        return x + 1

    f(jaxtape.constant([1.0, 2.0]))
    f(jaxtape.constant([1.0, 2.0]))
    out = capsys.readouterr().out
    assert out.count("tracing") == 1 and "shape=(2,), dtype=float32" in out


def test_input_signature_messages_match_tf():
    def make(tf):
        return tf.function(lambda x: x * 2, input_signature=[tf.TensorSpec([None], tf.float32)])

    tf = real_tf()
    cases = [
        lambda tf: (tf.constant([1, 2]),),
        lambda tf: (tf.constant([[1.0, 2.0]]),),
        lambda tf: (tf.constant([1.0]), tf.constant([1.0])),
        lambda tf: (1.0,),
    ]
    for case in cases:
        with pytest.raises(TypeError) as want:
            make(tf)(*case(tf))
        with pytest.raises(TypeError) as got:
            make(jaxtape)(*case(jaxtape))
        assert str(got.value) == str(want.value)
    for fw in (tf, jaxtape):
        f = make(fw)
        np.testing.assert_allclose(f([1.0, 2.0]).numpy(), [2.0, 4.0])   # converted to the spec
        np.testing.assert_allclose(f(fw.constant([1.0, 2.0, 3.0])).numpy(), [2.0, 4.0, 6.0])


def test_tensor_spec():
    tf = real_tf()
    for fw in (tf, jaxtape):
        s = fw.TensorSpec([None, 3], fw.float32)
        assert repr(s) == "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)"
        assert s.shape.as_list() == [None, 3]
        assert s.is_compatible_with(fw.TensorSpec([2, 3], fw.float32))
        assert not s.is_compatible_with(fw.TensorSpec([2, 3], fw.int32))
    assert repr(jaxtape.TensorSpec((), jaxtape.int64, name="n")) == repr(
        tf.TensorSpec((), tf.int64, name="n"))


def test_get_concrete_function_and_nesting():
    v = jaxtape.Variable(2.0)

    @jaxtape.function
    def inner(x):
        return x * v

    @jaxtape.function
    def outer(x):
        return inner(x) + 1.0

    cf = outer.get_concrete_function(jaxtape.TensorSpec([2], jaxtape.float32))
    assert outer.experimental_get_tracing_count() == 1
    np.testing.assert_allclose(cf(jaxtape.constant([1.0, 2.0])).numpy(), [3.0, 5.0])
    assert outer.experimental_get_tracing_count() == 1
    assert inner.experimental_get_tracing_count() == 0  # inlined into the outer trace
    assert [x is v for x in cf.variables] == [True]


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_values_read_before_an_in_place_update_keep_their_value(name):
    # jaxtape's compiled call gives a written variable's array to its new value
    # (donation) unless something else holds that array: a tensor read from the
    # variable, or a variable created from it (which starts with the same array).
    tf = framework(name)
    v = tf.Variable([1.0, 2.0])
    twin = tf.Variable(v)
    held = v.read_value()

    @tf.function
    def bump():
        v.assign_add([1.0, 1.0])
        return v.read_value()

    outs = [bump().numpy().tolist() for _ in range(3)]
    assert outs == [[2.0, 3.0], [3.0, 4.0], [4.0, 5.0]]
    assert held.numpy().tolist() == [1.0, 2.0] and twin.numpy().tolist() == [1.0, 2.0]
    assert v.numpy().tolist() == [4.0, 5.0]
