"""tf.map_fn, tf.vectorized_map, tf.scan, tf.foldl, tf.foldr against TensorFlow:
values, dtypes, shapes, gradients (which are None too), eagerly and in tf.function."""
import collections

import numpy as np
import pytest

import jaxtape
from difftest import check, real_tf, same_error, same_outcome, same_values

RNG = np.random.default_rng(0)
X3 = RNG.normal(size=3).astype(np.float32)
Y3 = RNG.normal(size=3).astype(np.float32)
M32 = RNG.normal(size=(3, 2)).astype(np.float32)
M34 = RNG.normal(size=(3, 4)).astype(np.float32)
IDX = np.array([2, 0, 1], np.int32)
Pair = collections.namedtuple("Pair", "u v")


@pytest.fixture(autouse=True, scope="module")
def _quiet_autograph():
    real_tf().get_logger().setLevel("ERROR")  # TF cannot parse lambdas' source; not our concern


def in_function(body):
    """`body(tf, *xs)` run inside tf.function, differentiated by an outer tape."""
    return lambda tf, *xs: tf.function(lambda *a: body(tf, *a))(*xs)


# -- map_fn: values and gradients ------------------------------------------------------

MAP_CASES = {
    "rows": lambda tf, m, x: tf.map_fn(lambda r: tf.reduce_sum(tf.sin(r) * r), m),
    "rows_shape_kept": lambda tf, m, x: tf.map_fn(lambda r: r * r + 1.0, m),
    "captures": lambda tf, m, x: tf.map_fn(lambda e: e * x * 2.0, x),
    "nested_elems_and_outputs": lambda tf, m, x: tf.map_fn(
        lambda e: (e[0] * tf.reduce_sum(e[1]), {"s": tf.sin(e[0]), "i": tf.cast(e[0] > 0, tf.int32)}),
        (x, m), fn_output_signature=(tf.float32, {"s": tf.float32, "i": tf.int32})),
    "dict_elems": lambda tf, m, x: tf.map_fn(lambda d: {"b": d["b"] * d["a"], "a": d["a"]},
                                             {"b": x, "a": x * 3.0}),
    "namedtuple_elems": lambda tf, m, x: tf.map_fn(lambda p: Pair(p.v, p.u * p.v), Pair(x, x + 1.0)),
    "unused_component": lambda tf, m, x: tf.map_fn(lambda e: e[0] * 3.0, (x, m),
                                                   fn_output_signature=tf.float32),
    "ignores_elems": lambda tf, m, x: tf.map_fn(lambda e: tf.reduce_sum(m), x),
    "python_number": lambda tf, m, x: tf.map_fn(lambda e: 1, x),
    "numpy_output": lambda tf, m, x: tf.map_fn(lambda e: np.ones(2), x),
    "dtype_argument": lambda tf, m, x: tf.map_fn(lambda e: tf.cast(e * 4.0, tf.int32), x, dtype=tf.int32),
    "int_elems_float_out": lambda tf, m, x: tf.map_fn(lambda i: tf.gather(x, i) * 2.0, tf.constant(IDX),
                                                      fn_output_signature=tf.float32),
    "tensorspec_signature": lambda tf, m, x: tf.map_fn(
        lambda r: r[:1], m, fn_output_signature=tf.TensorSpec([1], tf.float32)),
    "float64": lambda tf, m, x: tf.map_fn(lambda r: tf.reduce_prod(r), tf.cast(m, tf.float64)),
    "bool_elems": lambda tf, m, x: tf.map_fn(lambda b: tf.logical_not(b), x > 0),
    "tape_inside_fn": lambda tf, m, x: tf.map_fn(lambda r: _inner_gradient(tf, r), m),
}


def _inner_gradient(tf, r):
    with tf.GradientTape() as tape:
        tape.watch(r)
        y = tf.reduce_sum(tf.sin(r) * r)
    return tape.gradient(y, r)


@pytest.mark.parametrize("name", sorted(MAP_CASES))
def test_map_fn_eager(name):
    check(MAP_CASES[name], M32, X3)


@pytest.mark.parametrize("name", sorted(MAP_CASES))
def test_map_fn_in_function(name):
    """Traced, TF's While op gives zeros (not None) for elems fn never reads."""
    check(in_function(MAP_CASES[name]), M32, X3)


def test_map_fn_strings():
    same_values(lambda tf: tf.map_fn(lambda s: s + "!", tf.constant(["a", "bc"])))
    same_values(lambda tf: tf.map_fn(lambda s: tf.strings.length(s), tf.constant(["a", "bc"]),
                                     fn_output_signature=tf.int32))


def test_zero_length_leaves_variables_alone():
    """With no elements fn runs only to find its output shapes: its writes are dropped."""
    def run(tf):
        v = tf.Variable(1.0)
        g = tf.function(lambda m: tf.map_fn(lambda e: v.assign_add(1.0) * e, m))(tf.zeros([0, 2]))
        return g, v.read_value()

    same_values(run)
    # TF's pfor cannot vectorize a write on no elements; jaxtape drops it as above.
    v = jaxtape.Variable(1.0)
    out = jaxtape.vectorized_map(lambda e: v.assign_add(jaxtape.reduce_sum(e)) * e, jaxtape.zeros([0, 2]))
    assert out.shape == (0, 2) and v.numpy() == 1.0


def test_map_fn_variable_elems_and_writes():
    def run(tf):
        v = tf.Variable([1.0, 2.0, 3.0])
        total = tf.Variable(0.0)

        @tf.function
        def f():
            return tf.map_fn(lambda e: total.assign_add(e) * 1.0, v)

        eager = tf.map_fn(lambda e: e * 2.0, v)
        return eager, f(), total.read_value(), f(), total.read_value()

    same_values(run)


# -- vectorized_map --------------------------------------------------------------------

VMAP_CASES = {
    "elementwise": lambda tf, m, x: tf.vectorized_map(lambda e: tf.exp(e) * e, x),
    "matvec": lambda tf, m, x: tf.vectorized_map(lambda r: tf.linalg.matvec(tf.ones([4, 2]), r), m),
    "broadcast": lambda tf, m, x: tf.vectorized_map(lambda e: e[0] * e[1], (x, m[:1])),
    "nested_out": lambda tf, m, x: tf.vectorized_map(
        lambda e: (e[0], {"b": e[0] * e[1], "a": tf.cast(e[1] > 0, tf.int32)}), (m, x)),
    "list_elems": lambda tf, m, x: tf.vectorized_map(lambda e: [e[0] + e[1], e[1]], [x, x * x]),
    "python_numbers": lambda tf, m, x: tf.vectorized_map(lambda e: (1, 1.5), x),
    "captures": lambda tf, m, x: tf.vectorized_map(lambda e: e * tf.reduce_sum(m), x),
    "ignores_elems": lambda tf, m, x: tf.vectorized_map(lambda e: tf.reduce_sum(m), x),
    "per_example_gradient": lambda tf, m, x: tf.vectorized_map(lambda r: _inner_gradient(tf, r), m),
}


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_vectorized_map(name):
    check(VMAP_CASES[name], M32, X3)
    check(in_function(VMAP_CASES[name]), M32, X3)


def test_vectorized_map_outcomes():
    same_outcome(lambda tf: tf.vectorized_map(lambda e: None, tf.constant(X3)))
    same_outcome(lambda tf: tf.vectorized_map(lambda e: e * 2, tf.constant([1, 2])))
    same_outcome(lambda tf: tf.vectorized_map(lambda e: e + "!", tf.constant(["a", "b"])))
    for elems in (np.zeros([0, 3], np.float32), np.float32(1.0), np.zeros([1, 2], np.float32)):
        same_outcome(lambda tf: tf.vectorized_map(lambda e: e * 2.0, elems))
    same_outcome(lambda tf: tf.vectorized_map(lambda e: tf.reduce_sum(e), tf.zeros([0, 3])))
    same_outcome(lambda tf: tf.function(lambda m: tf.vectorized_map(lambda e: (e[1:], e > 0), m))(
        tf.zeros([0, 3])))
    same_outcome(lambda tf: tf.vectorized_map(lambda e: e, []))
    same_outcome(lambda tf: tf.vectorized_map(lambda e: e, (tf.constant(X3), 1.0)))
    # TF's text names graph nodes; the type is what can agree.
    same_outcome(lambda tf: tf.vectorized_map(lambda e: e[0] + e[1], (X3, X3[:2])), message=False)
    same_outcome(lambda tf: tf.vectorized_map(3, tf.constant(X3)), message=False)


# -- scan ---------------------------------------------------------------------------

SCAN_CASES = {
    "cumsum": lambda tf, m, x: tf.scan(lambda a, e: a + e, x),
    "reverse": lambda tf, m, x: tf.scan(lambda a, e: a * 0.5 + tf.sin(e), x, reverse=True),
    "initializer": lambda tf, m, x: tf.scan(lambda a, e: a * e + 1.0, x, initializer=tf.constant(2.0)),
    "reverse_initializer": lambda tf, m, x: tf.scan(lambda a, e: a - e * a, x, initializer=0.5,
                                                    reverse=True),
    "rows": lambda tf, m, x: tf.scan(lambda a, r: a * r, m),
    "row_to_other_shape": lambda tf, m, x: tf.scan(lambda a, r: a + tf.reduce_sum(r), m,
                                                   initializer=tf.zeros([4])),
    "nested_initializer": lambda tf, m, x: tf.scan(lambda a, e: (a[0] + e, a[1] * e), x,
                                                   initializer=(0.0, tf.constant(1.0))),
    "dict_initializer": lambda tf, m, x: tf.scan(lambda a, e: {"s": a["s"] + e, "p": a["p"] * e},
                                                 x, initializer={"s": 0.0, "p": 1.0}),
    "nested_elems": lambda tf, m, x: tf.scan(lambda a, e: a + e[0] * tf.reduce_sum(e[1]), (x, m),
                                             initializer=0.0),
    "nested_elems_no_initializer": lambda tf, m, x: tf.scan(lambda a, e: [a[0] + e[0], a[1] * e[1]],
                                                            [x, x * 2.0]),
    "ignores_accumulator": lambda tf, m, x: tf.scan(lambda a, e: e * 2.0, x),
    "unused_initializer": lambda tf, m, x: tf.scan(lambda a, e: e * x[0], x, initializer=x[1]),
    "int_initializer": lambda tf, m, x: tf.scan(lambda a, e: a * 2, x, initializer=3),
    "fibonacci_int": lambda tf, m, x: tf.scan(lambda a, _: (a[1], a[0] + a[1]), tf.constant(IDX),
                                              initializer=(np.array(0), np.array(1))),
}


@pytest.mark.parametrize("name", sorted(SCAN_CASES))
def test_scan(name):
    check(SCAN_CASES[name], M34, X3)
    check(in_function(SCAN_CASES[name]), M34, X3)


# -- folds ----------------------------------------------------------------------------

FOLD_CASES = {
    "sub": lambda tf, fold, m, x: fold(lambda a, e: a - e * e, x),
    "initializer": lambda tf, fold, m, x: fold(lambda a, e: a * 0.5 + e, x, initializer=tf.constant(2.0)),
    "python_initializer": lambda tf, fold, m, x: fold(lambda a, e: a * e, x, initializer=1.5),
    "nested": lambda tf, fold, m, x: fold(lambda a, e: (a[0] + e[0], a[1] * tf.reduce_sum(e[1])), (x, m)),
    "nested_initializer": lambda tf, fold, m, x: fold(lambda a, e: {"s": a["s"] + e, "n": a["n"] + 1},
                                                      x, initializer={"s": 0.0, "n": 0}),
    "rows": lambda tf, fold, m, x: fold(lambda a, r: a * r - r, m),
    "unused_initializer": lambda tf, fold, m, x: fold(lambda a, e: e * 2.0, x, initializer=x[0]),
    "ignores_accumulator": lambda tf, fold, m, x: fold(lambda a, e: e * 2.0, x),
    "python_result": lambda tf, fold, m, x: fold(lambda a, e: 1, x, initializer=2),
}


@pytest.mark.parametrize("right", [False, True], ids=["foldl", "foldr"])
@pytest.mark.parametrize("name", sorted(FOLD_CASES))
def test_fold(name, right):
    def body(tf, m, x):
        return FOLD_CASES[name](tf, tf.foldr if right else tf.foldl, m, x)
    check(body, M32, X3)
    check(in_function(body), M32, X3)


# -- tapes ------------------------------------------------------------------------

def _second_order(tf, x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.map_fn(lambda e: tf.sin(e) * e, x))
            z = tf.foldl(lambda a, e: a * e + tf.exp(e), x)
            w = tf.reduce_sum(tf.scan(lambda a, e: a * tf.cos(e), x, reverse=True))
        gy, gz, gw = inner.gradient([y, z, w], [x, x, x])
        total = tf.reduce_sum(gy * gy) + tf.reduce_sum(gz) + tf.reduce_sum(gw * x)
    return gy, gz, gw, outer.gradient(total, x)


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "in_function"])
def test_second_order_through_nested_tapes(traced):
    def run(tf):
        body = tf.function(lambda x: _second_order(tf, x)) if traced else lambda x: _second_order(tf, x)
        return body(tf.constant(X3))

    same_values(run, rtol=1e-4)


def _with_variable_writes(tf, m, x, y, z, w):
    """Traced, fn's variable writes make jaxtape unroll the loop (see functional.py);
    y, z and w reach the loops only as inputs fn never reads (TF: zeros, not None)."""
    v = tf.Variable(0.0)

    def count(value):
        v.assign_add(1.0)
        return value

    @tf.function
    def f(m, x, y, z, w):
        a = tf.map_fn(lambda e: count(e[0] * 3.0), (x, y), fn_output_signature=tf.float32)
        b = tf.scan(lambda acc, e: count(e * 2.0), x, initializer=w)
        c = tf.foldr(lambda acc, e: count(acc * 2.0), z, initializer=x[0])
        d = tf.foldl(lambda acc, e: count((acc[0] * e[0], acc[1])), (x, m))
        return a, b, c, d, v.read_value()

    return f(m, x, y, z, w)


def test_unrolled_loop_in_function():
    check(_with_variable_writes, M32, X3, Y3, Y3 * 2, np.float32(0.5))
    same_values(lambda tf: tf.function(lambda: tf.map_fn(
        lambda s: tf.strings.length(s), tf.constant(["a", "bc"]), fn_output_signature=tf.int32))())


def test_persistent_tape_and_tape_inside_function():
    def run(tf):
        x, m = tf.constant(X3), tf.constant(M32)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([x, m])
            a = tf.scan(lambda acc, r: acc * r + 1.0, m)
            b = tf.vectorized_map(lambda e: e[0] * tf.reduce_sum(e[1]), (x, m))
        first = tape.gradient(a, [x, m])
        second = tape.gradient(b, [x, m])

        @tf.function
        def inside(x, m):
            with tf.GradientTape() as t:
                t.watch([x, m])
                y = tf.reduce_sum(tf.map_fn(lambda e: e[0] * 2.0, (x, m), fn_output_signature=tf.float32))
            return t.gradient(y, [x, m])

        return first, second, inside(x, m)

    got = same_values(run)
    assert got[0][0] is None  # scan over m only: no gradient for x


def test_variable_gradients_through_function():
    def run(tf):
        w = tf.Variable([[1.0, -2.0], [0.5, 3.0]])
        f = tf.function(lambda m: (tf.map_fn(lambda r: tf.reduce_sum(tf.linalg.matvec(w, r) ** 2), m),
                                   tf.scan(lambda a, r: a * 0.5 + tf.linalg.matvec(w, r), m)))
        with tf.GradientTape() as tape:
            y = tf.nest.map_structure(tf.reduce_sum, f(tf.constant(M32)))
        with tf.GradientTape() as eager_tape:
            z = tf.reduce_sum(tf.foldl(lambda a, r: a + w * r, tf.constant(M32),
                                       initializer=tf.zeros([2, 2])))
        return y, tape.gradient(y, w), eager_tape.gradient(z, w)

    same_values(run, rtol=1e-4)


NESTED = {
    "map_in_map": lambda tf, m: tf.map_fn(lambda r: tf.map_fn(lambda e: e * e, r), m),
    "scan_in_map": lambda tf, m: tf.map_fn(lambda r: tf.scan(lambda a, e: a * e, r), m),
    "map_in_scan": lambda tf, m: tf.scan(lambda a, r: a + tf.map_fn(lambda e: e * a[0], r), m),
    "cond_in_map": lambda tf, m: tf.map_fn(lambda r: tf.cond(r[0] > 0, lambda: r * 2, lambda: -r), m),
    "while_in_map": lambda tf, m: tf.map_fn(lambda r: tf.while_loop(
        lambda i, v: i < 3, lambda i, v: (i + 1, v * r), (0, r))[1], m),
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_nested_control_flow_in_function(name):
    check(in_function(NESTED[name]), M32)


# -- outcomes and errors -------------------------------------------------------------

OUTCOMES = {
    # map_fn
    "scalar": lambda tf: tf.map_fn(lambda a: a, tf.constant(1.0)),
    "python_list_of_scalars": lambda tf: tf.map_fn(lambda a: a, [1.0, 2.0]),
    "later_scalar": lambda tf: tf.map_fn(lambda a: a, (X3, np.float32(1))),
    "mismatched_leading": lambda tf: tf.map_fn(lambda a: a[0], (X3, X3[:2])),
    "mismatched_leading_third": lambda tf: tf.map_fn(lambda a: a[0], (X3, X3, M34.T)),
    "empty_elems": lambda tf: tf.map_fn(lambda a: a, []),
    "none_elems": lambda tf: tf.map_fn(lambda a: a, None),
    "not_callable": lambda tf: tf.map_fn(3, X3),
    "needs_signature": lambda tf: tf.map_fn(lambda a: (a, a), X3),
    "list_vs_tuple": lambda tf: tf.map_fn(lambda a: [a, a], X3,
                                          fn_output_signature=(tf.float32, tf.float32)),
    "list_signature": lambda tf: tf.map_fn(lambda a: [a, a], X3,
                                           fn_output_signature=[tf.float32, "int32"]),
    "dtype_mismatch": lambda tf: tf.map_fn(lambda a: a, X3, fn_output_signature=tf.int32),
    "default_dtype_is_elems": lambda tf: tf.map_fn(lambda a: tf.strings.length(a),
                                                   tf.constant(["a", "bb"])),
    "python_float_into_int": lambda tf: tf.map_fn(lambda a: 1.5, IDX),
    "none_output": lambda tf: tf.map_fn(lambda a: None, X3),
    "none_in_signature": lambda tf: tf.map_fn(lambda a: (a, a), X3,
                                              fn_output_signature=(tf.float32, None)),
    "shape_changes": lambda tf: tf.map_fn(lambda a: tf.fill([tf.cast(a, tf.int32)], a),
                                          np.float32([1, 2])),
    "shape_changes_no_infer": lambda tf: tf.map_fn(lambda a: tf.fill([tf.cast(a, tf.int32)], a),
                                                   np.float32([1, 2]), infer_shape=False),
    "spec_shape_mismatch": lambda tf: tf.map_fn(lambda a: a, X3, fn_output_signature=tf.TensorSpec([2])),
    "zero_length": lambda tf: tf.map_fn(lambda a: a * 2, tf.zeros([0, 3])),
    "zero_length_signature": lambda tf: tf.map_fn(lambda a: a * 2, tf.zeros([0, 3]),
                                                  fn_output_signature=tf.TensorSpec([3], tf.float32)),
    "zero_length_nested": lambda tf: tf.map_fn(lambda a: a, (tf.zeros([0, 3]), tf.zeros([0], tf.int32))),
    "zero_length_in_function": lambda tf: tf.function(lambda e: tf.map_fn(lambda a: a[1:] * 2, e))(
        tf.zeros([0, 3])),
    "numpy_elems": lambda tf: tf.map_fn(lambda a: a * 2, np.array([1, 2])),
    # scan
    "scan_scalar": lambda tf: tf.scan(lambda a, e: a + e, tf.constant(1.0)),
    "scan_python_list": lambda tf: tf.scan(lambda a, e: a + e, [1.0, 2.0]),
    "scan_empty_list": lambda tf: tf.scan(lambda a, e: a, []),
    "scan_not_callable": lambda tf: tf.scan(3, X3),
    "scan_zero_length": lambda tf: tf.scan(lambda a, e: a + e, tf.zeros([0])),
    "scan_zero_length_reverse": lambda tf: tf.scan(lambda a, e: a + e, tf.zeros([0]), reverse=True),
    "scan_zero_length_initializer": lambda tf: tf.scan(lambda a, e: a + e, tf.zeros([0, 2]),
                                                       initializer=tf.zeros([2])),
    "scan_shorter_elem": lambda tf: tf.scan(lambda a, e: a, (X3, X3[:2])),
    "scan_shorter_elem_reverse": lambda tf: tf.scan(lambda a, e: a, (X3, X3[:2]), reverse=True),
    "scan_shortest_read_first": lambda tf: tf.scan(lambda a, e: a, (X3, X3, X3[:2], X3[:1])),
    "scan_longer_elem": lambda tf: tf.scan(lambda a, e: a, (X3, M34.T), initializer=0.0),
    "scan_list_vs_tuple": lambda tf: tf.scan(lambda a, e: [a[0] + e, a[1]], X3, initializer=(0.0, 1.0)),
    "scan_dtype_change": lambda tf: tf.scan(lambda a, e: tf.cast(e, tf.int32), X3),
    "scan_int_initializer_float_elems": lambda tf: tf.scan(lambda a, e: a + e, X3, initializer=10),
    "scan_shape_change": lambda tf: tf.scan(lambda a, e: tf.stack([a, a]), X3, initializer=0.0),
    "scan_none_output": lambda tf: tf.scan(lambda a, e: None, X3),
    "scan_variable_elems": lambda tf: tf.scan(lambda a, e: a + e, tf.Variable([1.0, 2.0])),
    # folds
    "foldl_zero_length": lambda tf: tf.foldl(lambda a, e: a, tf.zeros([0])),
    "foldr_zero_length": lambda tf: tf.foldr(lambda a, e: a, tf.zeros([0])),
    "foldl_zero_length_initializer": lambda tf: tf.foldl(lambda a, e: a, tf.zeros([0]), initializer=3.0),
    "foldl_scalar": lambda tf: tf.foldl(lambda a, e: a, tf.constant(1.0)),
    "foldr_not_callable": lambda tf: tf.foldr(3, X3),
    "foldl_shorter_elem": lambda tf: tf.foldl(lambda a, e: a, (X3, X3[:2])),
    "foldr_shorter_elem": lambda tf: tf.foldr(lambda a, e: a, (np.zeros(4, np.float32), X3[:2])),
    "foldr_longer_elem": lambda tf: tf.foldr(lambda a, e: a, (X3[:2], X3)),
    "foldl_shape_change_eager": lambda tf: tf.foldl(lambda a, e: tf.stack([a, a]), X3, initializer=0.0),
    "foldl_none_output": lambda tf: tf.foldl(lambda a, e: None, X3),
    "foldl_numpy_initializer": lambda tf: tf.foldl(lambda a, e: a + e, X3, initializer=np.float64(0.5)),
    "foldl_variable_initializer": lambda tf: tf.foldl(lambda a, e: a + e, X3,
                                                      initializer=tf.Variable(1.0)),
}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_outcome_matches_tf(name):
    same_outcome(OUTCOMES[name])


# Where the exception types agree but the texts cannot: TF's name its graph tensors or
# its internal loop counter. (A bare tensor in a structure error is printed by
# jaxtape's nest as `type=Tensor`, TF's as `type=EagerTensor`.)
TYPE_ONLY = {
    "foldl_structure": lambda tf: tf.foldl(lambda a, e: (a, e), X3, initializer=0.0),
    "foldr_list_vs_tuple": lambda tf: tf.foldr(lambda a, e: [a[0] + e, a[1]], X3, initializer=(0.0, 1.0)),
    "scan_struct_change": lambda tf: tf.scan(lambda a, e: a + e, X3, initializer=(0.0, 1.0)),
    "signature_structure": lambda tf: tf.map_fn(lambda a: a, X3,
                                                fn_output_signature=(tf.float32, tf.float32)),
    # Traced, TF's While op wants its loop variables' dtypes and shapes kept.
    "scan_python_int_in_function": lambda tf: tf.function(lambda x: tf.scan(lambda a, e: 1, x))(X3),
    "scan_shape_in_function": lambda tf: tf.function(lambda x: tf.scan(
        lambda a, e: tf.stack([a, a]), x, initializer=0.0, infer_shape=False))(X3),
    "foldl_dtype_in_function": lambda tf: tf.function(lambda x: tf.foldl(
        lambda a, e: tf.cast(e, tf.int32), x))(X3),
    "foldr_shape_in_function": lambda tf: tf.function(lambda x: tf.foldr(
        lambda a, e: tf.stack([a, a]), x, initializer=0.0))(X3),
    "foldl_zero_length_in_function": lambda tf: tf.function(lambda x: tf.foldl(lambda a, e: a, x))(
        tf.zeros([0])),
    "scan_zero_length_in_function": lambda tf: tf.function(lambda x: tf.scan(lambda a, e: a, x))(
        tf.zeros([0])),
    "vectorized_map_mismatch_in_function": lambda tf: tf.function(lambda x, y: tf.vectorized_map(
        lambda e: e[0] + e[1], (x, y)))(X3, X3[:2]),
}


@pytest.mark.parametrize("name", sorted(TYPE_ONLY))
def test_error_type_matches_tf(name):
    same_outcome(TYPE_ONLY[name], message=False)


def test_scan_mismatch_in_function_is_static():
    same_error(lambda tf, x, y: tf.function(lambda x, y: tf.scan(lambda a, e: a, (x, y)))(x, y),
               X3, X3[:2], user_code=True)


def test_in_function_fn_is_traced_once():
    """As TF's While op, the traced program holds fn once, whatever the length."""
    def run(tf):
        calls = []

        @tf.function
        def f(x, m):
            def fn(e):
                calls.append(1)
                return e * 2.0
            return (tf.map_fn(fn, x), tf.scan(lambda a, e: fn(a) + e, x),
                    tf.foldr(lambda a, e: fn(a) - e, m, initializer=tf.zeros([2])))
        out = f(tf.constant(X3), tf.constant(M32))
        return out, len(calls)

    assert same_values(run)[1] == 3


def test_random_draws_differ_per_element_in_function():
    """jaxtape's random keys are fixed when traced: one traced body would repeat one draw."""
    for tf in (real_tf(), jaxtape):
        f = tf.function(lambda x: (tf.map_fn(lambda e: e + tf.random.uniform([]), x),
                                   tf.scan(lambda a, e: e + tf.random.normal([]), x)))
        mapped, scanned = f(tf.zeros([6]))
        assert len(set(mapped.numpy().tolist())) == 6, tf
        assert len(set(scanned.numpy().tolist())) == 6, tf


def test_eager_loops_let_accumulators_change():
    """Eagerly TF's while loop checks no dtypes: Python numbers and casts pass."""
    check(lambda tf, x: tf.scan(lambda a, e: 1, x), X3)
    check(lambda tf, x: (tf.foldl(lambda a, e: tf.cast(e > 0, tf.int32), x),
                         tf.foldr(lambda a, e: tf.stack([a, a]), x, initializer=0.5)), X3)


def test_in_function_matches_eager_values():
    def run(tf):
        @tf.function
        def f(m, x):
            return (tf.map_fn(lambda r: tf.reduce_max(r), m),
                    tf.scan(lambda a, e: a * e, x, reverse=True),
                    tf.foldr(lambda a, e: a - e, x),
                    tf.vectorized_map(lambda r: tf.reduce_min(r), m))
        return f(tf.constant(M32), tf.constant(X3))

    same_values(run)


def test_large_map_in_function():
    """Traced, a long map is one lax loop holding fn once: quick to trace and compile."""
    data = np.random.default_rng(1).normal(size=(2000, 2)).astype(np.float32)
    check(in_function(lambda tf, m: tf.map_fn(lambda r: r[0] * tf.tanh(r[1]), m)), data)


def test_v1_aliases():
    tf = real_tf()
    for name in ("map_fn", "vectorized_map", "scan", "foldl", "foldr"):
        assert hasattr(tf.compat.v1, name)
        assert getattr(jaxtape.compat.v1, name) is getattr(jaxtape, name)


def test_composite_values_are_reported_as_not_implemented():
    tf = real_tf()
    x = jaxtape.constant(X3)
    with pytest.raises(NotImplementedError, match="jaxtape does not implement tf.RaggedTensorSpec"):
        jaxtape.map_fn(lambda a: a, x, fn_output_signature=tf.RaggedTensorSpec([None], tf.float32))
    with pytest.raises(NotImplementedError, match="does not implement tf.map_fn over tf.SparseTensor"):
        jaxtape.map_fn(lambda s: s, jaxtape.sparse.from_dense([[1.0, 0.0]]))
    with pytest.raises(NotImplementedError, match="does not implement tf.scan over tf.RaggedTensor"):
        jaxtape.scan(lambda a, r: a, jaxtape.ragged.constant([[1.0, 2.0], [3.0]]), initializer=0.0)
    with pytest.raises(NotImplementedError, match="does not implement tf.RaggedTensorSpec"):
        jaxtape.RaggedTensorSpec
