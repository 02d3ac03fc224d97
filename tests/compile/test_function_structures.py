"""The structures `tf.function` (and tf.cond / tf.while_loop / AutoGraph loops in
it) returns and passes in keep their dicts' written key order, as TF's do;
JAX's tree utilities would sort them."""
import collections

import pytest

from tests.difftest import requires_tf, same_outcome, same_values

pytestmark = requires_tf

Pair = collections.namedtuple("Pair", ["z", "a"])


def _keys(x):
    """The containers and key order of `x`, leaves as dots."""
    if isinstance(x, dict):
        return (type(x).__name__, [(k, _keys(v)) for k, v in x.items()])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_keys(v) for v in x])
    return "."


def test_returned_dict_keeps_insertion_order():
    def fn(tf):
        @tf.function
        def f(x):
            return {"b": x, "a": x + 1, "c": {"z": x * 2, "y": [x, {"q": x, "p": 3}]}}
        c = tf.constant(1.0)
        return [f(c), f(c)]  # the second call is the compiled call path
    same_values(fn)


def test_returned_ordered_dict_namedtuple_and_defaultdict():
    def fn(tf):
        @tf.function
        def f(x):
            d = collections.defaultdict(list)
            d["y"], d["x"] = x, x + 1
            return (collections.OrderedDict([("b", x), ("a", x)]),
                    Pair(z={"q": x, "p": x}, a=(x, None)), d)
        out = f(tf.constant(2.0))
        return _keys(out), type(out[1]).__name__, tf.nest.flatten(out)
    assert same_values(fn)[0][1][2][0] == "dict"  # TF gives a defaultdict back as a dict


def test_returned_dict_order_per_trace():
    def fn(tf):
        @tf.function
        def f(x, flip):
            return {"b": x, "a": x} if flip else {"a": x, "b": x}
        c = tf.constant(1.0)
        return [_keys(f(c, True)), _keys(f(c, False)), _keys(f(c, True))]
    same_values(fn)


def test_dict_argument_keeps_first_trace_order():
    def fn(tf):
        @tf.function
        def f(d):
            return d
        c = tf.constant(1.0)
        out = [_keys(f({"b": c, "a": c})), _keys(f({"a": c, "b": c}))]
        return out, f.experimental_get_tracing_count()
    same_values(fn)


def test_dict_argument_with_input_signature():
    def fn(tf):
        spec = tf.TensorSpec([], tf.float32)
        seen = []

        @tf.function(input_signature=[{"b": spec, "a": spec}])
        def f(d):
            seen.append(list(d))
            return {"d": d}
        c = tf.constant(1.0)
        return [_keys(f({"a": c, "b": c})), _keys(f({"b": c, "a": c})), seen]
    same_values(fn)


def test_dict_output_under_tape_and_gradient():
    def fn(tf):
        @tf.function
        def f(x):
            return {"b": x * x, "a": x * 3}
        x = tf.constant(2.0)
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = f(x)
            loss = out["b"] + out["a"]
        return _keys(out), tape.gradient(loss, x)
    same_values(fn)


def test_cond_in_function_takes_true_branch_order():
    def fn(tf):
        @tf.function
        def f(x):
            return [tf.cond(x > 0, lambda: {"b": x, "a": x}, lambda: {"a": x, "b": x}),
                    tf.cond(x < 0, lambda: {"b": x, "a": x}, lambda: {"a": x, "b": x})]
        return _keys(f(tf.constant(1.0)))
    same_values(fn)


def test_switch_case_in_function():
    def fn(tf):
        @tf.function
        def f(x):
            return tf.switch_case(tf.constant(1), [lambda: {"b": x, "a": x},
                                                   lambda: {"b": x + 1, "a": x}])
        return f(tf.constant(1.0))
    same_values(fn)


def test_while_loop_dict_order_in_function_and_eager():
    def fn(tf):
        seen = []

        def body(d):
            seen.append(list(d))
            return [{"b": d["b"] + 1, "a": d["a"]}]

        def cond(d):
            return d["b"] < 3

        c = tf.constant(1.0)
        eager = tf.while_loop(cond, body, [{"b": c, "a": c}])
        staged = tf.function(lambda x: tf.while_loop(cond, body, [{"b": x, "a": x}]))(c)
        return eager, staged, seen[0], seen[-1]
    same_values(fn)


def test_autograph_loop_and_if_keep_dict_order():
    def fn(tf):
        @tf.function
        def f(x):
            out = {"b": x, "a": x}
            for _ in tf.range(2):
                out = {"b": out["b"] + 1, "a": out["a"]}
            other = {"y": x, "x": x}
            if x > 0:
                other = {"y": x + 1, "x": x}
            return out, other
        return f(tf.constant(1.0))
    same_values(fn)


@pytest.mark.parametrize("keys", [["a", "b"], ["b", "a"], [2, 1], []])
def test_plain_dicts_round_trip(keys):
    def fn(tf):
        f = tf.function(lambda d: {k: v * 2 for k, v in d.items()})
        return f({k: tf.constant(float(i)) for i, k in enumerate(keys)})
    same_outcome(fn)
