"""Name scopes, control-dependency no-ops, variable creators, tensor conversion
registration, `tf.gradients`/`tf.hessians`, the `init_ops_v2` initializers and
small utilities (`timestamp`, `get_logger`, `inside_function`), each against
TensorFlow."""
import logging

import numpy as np
import pytest

import jaxtape
from difftest import real_tf, same_error, same_outcome, same_values


def _try(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return (type(e).__name__, str(e))


# -- name scopes ---------------------------------------------------------------

def _eager_scopes(tf):
    out = [tf.get_current_name_scope()]
    with tf.name_scope("a") as s:
        out += [s, tf.get_current_name_scope(), tf.Variable(1.0, name="v").name,
                tf.Variable(1.0).name]
        with tf.name_scope("b") as s2:
            out += [s2, tf.get_current_name_scope(), tf.Variable(1.0, name="w").name]
            with tf.name_scope("") as s3:
                out += [s3, tf.get_current_name_scope(), tf.Variable(1.0, name="x").name]
            with tf.name_scope("c/") as s4:
                out += [s4, tf.get_current_name_scope(), tf.Variable(1.0, name="x").name]
            with tf.name_scope("bad name!") as s5:  # eager TF validates nothing
                out += [s5, tf.get_current_name_scope()]
        with tf.name_scope("a") as s6:  # nor makes names unique
            out.append(s6)
        for n in ["v/", "bad name!", "", "x:0", "/v", "a//b"]:
            out.append(tf.Variable(1.0, name=n).name)
    out.append(tf.get_current_name_scope())
    ns = tf.name_scope("q")
    with ns as first:
        with ns as second:  # re-entrant: each entry restores its own scope
            out += [first, second, tf.get_current_name_scope()]
        out.append(tf.get_current_name_scope())
    out += [ns.name, type(ns).__name__, tf.get_current_name_scope()]
    return out


def test_eager_name_scopes_and_variable_names():
    same_values(_eager_scopes)


@pytest.mark.parametrize("name", [None, 1, b"x"])
def test_name_scope_needs_a_string(name):
    same_error(lambda tf: tf.name_scope(name))


def _module_scopes(tf):
    class M(tf.Module):
        @tf.Module.with_name_scope
        def f(self):
            return tf.get_current_name_scope(), tf.Variable(1.0, name="q").name

    out = []
    m = tf.Module(name="mod")
    with m.name_scope as s:
        out += [s, tf.Variable(1.0, name="v").name]
        with tf.name_scope("in") as s:
            out.append(s)
    with tf.name_scope("outer"):
        m2 = M(name="m2")
    out += [m.name_scope.name, m2.name_scope.name, m2.f(), M.f.__name__, tf.get_current_name_scope()]
    return out


def test_module_name_scope_and_with_name_scope():
    same_values(_module_scopes)


def _traced_scopes(tf):
    out = []

    @tf.function(autograph=False)
    def f(x):
        out.append(tf.get_current_name_scope())  # a function graph starts at the root
        with tf.name_scope("fs") as s:
            out.extend([s, tf.get_current_name_scope()])
            with tf.name_scope("fs") as s2:
                out.append(s2)
        with tf.name_scope("fs") as s:
            out.append(s)
        with tf.name_scope("FS") as s:  # names in use are case-insensitive
            out.append(s)
        for n in ["bad name!", "", "x/", "-x", "1x", ".x", "_x"]:
            out.append(_try(lambda: _enter(tf, n)))
        with tf.name_scope("a"):
            for n in ["_x", "bad name!"]:
                out.append(_try(lambda: _enter(tf, n)))
        out.extend([tf.executing_eagerly(), tf.inside_function()])
        return x

    with tf.name_scope("outer"):
        f(tf.constant(1.0))
        f(tf.constant(2.0))  # no second trace
    return out, tf.get_current_name_scope(), tf.inside_function()


def _traced_variable_names(tf):
    made = []

    @tf.function(autograph=False)
    def f(x):
        if not made:
            with tf.name_scope("vs"):  # variables take eager names: TF lifts their creation
                made.extend([tf.Variable(1.0, name="v"), tf.Variable(2.0, name="v")])
        return x * made[0]

    with tf.name_scope("outer"):
        f(tf.constant(1.0))
    return [v.name for v in made]


def test_variables_created_in_function_take_the_scope():
    same_values(_traced_variable_names)


def _enter(tf, name):
    with tf.name_scope(name) as s:
        return s


def test_traced_name_scopes_follow_graph_rules():
    same_values(_traced_scopes)


# -- control dependencies and friends --------------------------------------------

def _eager_control(tf):
    x = tf.constant([1.0, 2.0])
    v = tf.Variable(3.0)
    calls = []
    out = []
    for arg in ([x], None, [1], [lambda: calls.append(1)]):
        with tf.control_dependencies(arg) as c:
            out.append(c)
    out += [list(calls), tf.no_op(), tf.no_op(name="n"), tf.group(x, v), tf.group(), tf.group(1),
            tf.group(x, foo=1), tf.tuple([x, x * 2]), tf.tuple([x, None]), tf.tuple([1, 2]),
            tf.tuple([]), tf.tuple((x,)), tf.tuple([x], control_inputs=[1]), tf.tuple(x)]
    out.append(_try(lambda: tf.control_dependencies(x)))
    return out


def test_eager_control_dependencies_no_op_group_tuple():
    same_values(_eager_control)


def _traced_control(tf):
    out = {}

    @tf.function(autograph=False)
    def f(x):
        out["no_op"] = repr(tf.no_op())
        out["group"] = repr(tf.group(x))
        out["group0"] = repr(tf.group())
        out["named"] = repr(tf.no_op(name="z"))
        out["group kw"] = _try(lambda: tf.group(x, foo=1))
        out["group int"] = _try(lambda: tf.group(1))
        for label, arg in [("int", [1]), ("None", None), ("[None]", [None]), ("noop", [tf.no_op()]),
                           ("fn", [lambda: 1])]:
            def enter():
                with tf.control_dependencies(arg) as c:
                    return c
            out[label] = _try(enter)
        out["tuple bad ci"] = _try(lambda: tf.tuple([x], control_inputs=[1]))
        out["tuple empty"] = _try(lambda: tf.tuple([]))
        out["inside"] = tf.inside_function()
        return tf.tuple([x, x * 2, None])

    result = f(tf.constant([1.0, 2.0]))
    return out, result, tf.inside_function()


def test_traced_control_dependencies_no_op_group_tuple():
    same_values(_traced_control)


# -- variable creators ------------------------------------------------------------

def _creators(tf):
    log = []

    def outer(next_creator, **kw):
        log.append(("outer", list(kw), kw["name"]))
        kw["name"] = "renamed"
        return next_creator(**kw)

    def inner(next_creator, **kw):
        log.append(("inner", kw["name"], kw["trainable"], kw["aggregation"].name,
                    kw["synchronization"].name, kw["dtype"]))
        return next_creator(**kw)

    with tf.variable_creator_scope(outer):
        with tf.variable_creator_scope(inner):
            v = tf.Variable(1.0, name="orig", aggregation=None)
        w = tf.Variable(2.0, False)
    with tf.variable_creator_scope(lambda next_creator, **kw: 42):
        other = tf.Variable(1.0)
    return log, v.name, v.numpy(), w.name, w.trainable, other, tf.Variable(1.0).name


def test_variable_creator_scope():
    same_values(_creators)


# -- tensor conversion registration -------------------------------------------------

class _Box:
    def __init__(self, v):
        self.v = v

    def __repr__(self):  # the same text under both (error messages show it)
        return "Box"


class _Plain:
    pass


class _Wrong:
    pass


class _Declines:
    pass


class _Sub(_Box):
    pass


def _registrations(tf):
    seen = []

    def convert(value, dtype=None, name=None, as_ref=False):
        seen.append((None if dtype is None else dtype.name, name, as_ref))
        return tf.constant(value.v, dtype=dtype)

    tf.register_tensor_conversion_function(_Box, convert)
    tf.register_tensor_conversion_function(_Plain, lambda v, dtype=None, name=None, as_ref=False: 3.0)
    tf.register_tensor_conversion_function(
        _Wrong, lambda v, dtype=None, name=None, as_ref=False: tf.constant(1.0))
    tf.register_tensor_conversion_function(
        _Declines, lambda v, dtype=None, name=None, as_ref=False: NotImplemented)
    out = [tf.convert_to_tensor(_Box([1.0, 2.0])),
           tf.convert_to_tensor(_Box([1.0, 2.0]), dtype=tf.float64),
           tf.convert_to_tensor(_Box([1, 2]), dtype_hint=tf.float32),
           tf.reduce_sum(_Box([1.0, 2.0])),
           tf.constant([1.0, 2.0]) + _Box([1.0, 2.0]),
           tf.convert_to_tensor(_Sub([5.0]))]
    out.append([s[0] for s in seen[:4]])  # (how TF's op wrappers convert differs)
    for fn in (lambda: tf.convert_to_tensor(_Plain()).numpy(),
               lambda: tf.convert_to_tensor(_Wrong(), dtype=tf.int32),
               lambda: tf.convert_to_tensor(_Wrong(), dtype_hint=tf.int32),
               lambda: tf.convert_to_tensor(_Declines())):
        out.append(_error_kind(fn))
    for base, fn in [(int, convert), (bool, convert), (np.float32, convert), (_Box(1), convert),
                     ((_Box, 3), convert), (_Plain, 3)]:
        out.append(_try(lambda: tf.register_tensor_conversion_function(base, fn)))
    return out


def _error_kind(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        # TF's messages name the function objects (their addresses differ per run).
        text = str(e)
        return type(e).__name__, text.split(" returned ")[-1] if "Conversion function" in text \
            else text.split(" with an unsupported")[-1]
    return None


def test_register_tensor_conversion_function():
    same_values(_registrations)


# -- tf.gradients and tf.hessians -------------------------------------------------------

def test_gradients_and_hessians_raise_eagerly():
    same_error(lambda tf: tf.gradients(tf.constant(1.0), tf.constant(1.0)))
    same_error(lambda tf: tf.hessians(tf.constant(1.0), tf.constant(1.0)))


def _traced_gradients(tf):
    @tf.function(autograph=False)
    def f(x, v):
        y = x * 3.0
        return [
            tf.gradients(x * x * x, x),
            tf.gradients([x * x, tf.reduce_sum(x)], [x]),
            tf.gradients(x * 2.0, [x, tf.constant(1.0)], unconnected_gradients="zero"),
            tf.gradients(x * 2.0, [x, tf.constant(1.0), tf.constant(1)]),
            tf.gradients(y * x, [x, y], stop_gradients=[y]),
            tf.gradients([x * 2.0, x * 3.0], x,
                                    grad_ys=[tf.ones_like(x), 2.0 * tf.ones_like(x)]),
            tf.gradients(v * v * x, v),
            tf.hessians(tf.reduce_sum(x * x * x), x),
            tf.hessians(tf.reduce_sum(x * x) * x[0], [x]),
        ]
    return f(tf.constant([1.0, 2.0]), tf.Variable(3.0))


def test_gradients_and_hessians_inside_function():
    same_values(_traced_gradients)


def test_aggregation_method():
    same_values(lambda tf: [(k, getattr(tf.AggregationMethod, k))
                            for k in dir(tf.AggregationMethod) if not k.startswith("_")])


# -- initializers ------------------------------------------------------------------------

def _initializer_values(tf):
    return [tf.zeros_initializer()([2, 2], tf.bool), tf.zeros_initializer()((3,)),
            tf.ones_initializer()((2,), tf.int64), tf.ones_initializer()((2, 3), partition_shape=(1, 3)),
            tf.constant_initializer([1, 2, 3, 4])((2, 2)), tf.constant_initializer(2.5)((2,), tf.float64),
            tf.constant_initializer(np.arange(4.0))([4]),
            tf.random_normal_initializer(1.0, 2.0, seed=3).get_config(),
            tf.random_uniform_initializer().get_config(), tf.constant_initializer(7).get_config(),
            tf.zeros_initializer().get_config(),
            type(tf.random_uniform_initializer.from_config(
                {"minval": 0, "maxval": 1, "seed": None, "dtype": "x"})).__name__,
            [type(c()).__name__ for c in (tf.zeros_initializer, tf.ones_initializer,
                                          tf.constant_initializer, tf.random_normal_initializer,
                                          tf.random_uniform_initializer)]]


def test_initializer_values_and_configs():
    same_values(_initializer_values)


@pytest.mark.parametrize("call", [
    lambda tf: tf.zeros_initializer()([2], tf.string),
    lambda tf: tf.ones_initializer()((2,), foo=1),
    lambda tf: tf.constant_initializer([1, 2, 3])((2, 2)),
    lambda tf: tf.constant_initializer({}),
    lambda tf: tf.constant_initializer(1)((2, 2), partition_shape=(1, 2)),
    lambda tf: tf.random_normal_initializer()([3], tf.int32),
    lambda tf: tf.random_uniform_initializer(0, 10)([3], tf.bool),
], ids=["zeros-string", "unknown-kwarg", "constant-size", "constant-type", "constant-partition",
        "normal-int", "uniform-bool"])
def test_initializer_errors(call):
    same_outcome(call)


def _random_facts(tf):
    normal = tf.random_normal_initializer(1.0, 2.0, seed=1)
    uniform = tf.random_uniform_initializer(2.0, 3.0, seed=5)
    a, b = normal([4000], tf.float64).numpy(), normal([4000], tf.float64).numpy()
    u = uniform([4000]).numpy()
    ints = tf.random_uniform_initializer(0, 10)([500], tf.int32).numpy()
    tf.random.set_seed(7)
    first = tf.random_normal_initializer()([3]).numpy()
    tf.random.set_seed(7)
    again = tf.random_normal_initializer()([3]).numpy()
    return [a.dtype.name, bool(np.array_equal(a, b)), abs(a.mean() - 1.0) < 0.15,
            abs(a.std() - 2.0) < 0.15, u.dtype.name, bool(u.min() >= 2.0 and u.max() < 3.0),
            ints.dtype.name, bool(ints.min() >= 0 and ints.max() < 10), len(set(ints.tolist())) == 10,
            bool(np.array_equal(first, again))]


def test_random_initializers_seeding_and_distributions():
    same_values(_random_facts)


# -- small utilities ------------------------------------------------------------------------

def test_timestamp_eager_and_traced():
    def run(tf):
        @tf.function
        def f():
            return tf.timestamp()
        first, second = f(), f()
        now = tf.timestamp()
        return [now.dtype.name, now.shape.as_list(), first.dtype.name,
                bool(second.numpy() >= first.numpy()), abs(now.numpy() - second.numpy()) < 60]
    same_values(run)


def test_timestamp_reads_each_call_inside_function():
    import time

    @jaxtape.function
    def f():
        return jaxtape.timestamp()
    first = f().numpy()
    time.sleep(0.01)
    assert f().numpy() > first


def test_get_logger_is_the_tensorflow_logger():
    tf = real_tf()
    assert jaxtape.get_logger() is logging.getLogger("tensorflow") is tf.get_logger()
    same_values(lambda tf: [tf.get_logger().name, tf.inside_function()])
