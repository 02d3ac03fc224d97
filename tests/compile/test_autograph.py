"""AutoGraph: Python control flow on tensors inside tf.function, against TF's AutoGraph.

The functions are defined at module level (or in the test) so that both
frameworks can read their source.
"""
import numpy as np
import pytest

import jaxtape
from difftest import outcome, plain, real_tf, same_values


def same_autograph_error(fn):
    """Both raise the same type; TF's message ("in user code: ... <error>") ends
    with jaxtape's. Returns jaxtape's message."""
    want = outcome(fn, real_tf(), plain)
    got = outcome(fn, jaxtape, plain)
    assert want[0] == "raises", f"TF did not raise: {want}"
    assert got[0] == "raises", f"jaxtape did not raise: {got}"
    assert got[1] == want[1], (got, want)
    lines = lambda text: "\n".join(line.strip() for line in text.strip().splitlines())  # noqa: E731
    assert lines(want[2]).endswith(lines(got[2])), (got, want)
    return got[2]


# -- if ---------------------------------------------------------------------

def branches(tf, x):
    if tf.reduce_sum(x) > 1.0:
        y = x * 2.0
        z = 1
    elif tf.reduce_sum(x) > -1.0:
        y = tf.sin(x)
        z = 2
    else:
        y = -x
        z = 3
    return y, z


@pytest.mark.parametrize("scale", [1.0, 0.1, -1.0])
def test_tensor_if_elif_else(scale):
    x = np.array([1.0, 2.0, -0.5], np.float32) * scale
    same_values(lambda tf: tf.function(lambda x: branches(tf, x))(tf.constant(x)))


def python_if(tf, x, training):
    traced = []
    if training:
        y = x + 1.0
        mode = 1
    else:
        y = x[100]  # never traced: a Python condition runs one branch
        mode = 2
    traced.append(mode)
    return y, mode, len(traced)


def test_python_bool_if_stays_python():
    same_values(lambda tf: tf.function(lambda x: python_if(tf, x, True))(tf.constant([1.0])))


def test_if_expression_and_boolean_operators():
    def run(tf):
        @tf.function
        def f(x):
            a = x if x > 0 else -x
            b = 1.0 if x > 0 and x < 10 else 2.0
            c = x > 5 or not x > 0
            return a, b, c

        return [f(tf.constant(v)) for v in (3.0, -2.0, 7.0)]
    same_values(run)


def test_variable_defined_in_one_branch_raises():
    def main_only(tf):
        @tf.function
        def f(x):
            if x > 0:
                y = x * 2
            return y
        return f(tf.constant(1.0))

    def else_only(tf):
        @tf.function
        def f(x):
            if x > 0:
                pass
            else:
                y = x
            return y
        return f(tf.constant(1.0))

    assert same_autograph_error(main_only) == "'y' must also be initialized in the else branch"
    assert same_autograph_error(else_only) == "'y' must also be initialized in the main branch"


def test_name_left_undefined_by_a_python_if_raises():
    def run(tf):
        @tf.function
        def f(x, flag):
            if flag:
                y = x
            return y
        return f(tf.constant(1.0), False)
    assert same_autograph_error(run) == "'y' is used before assignment"


def test_branch_local_variable_is_not_an_output():
    def run(tf):
        @tf.function
        def f(x):
            if x > 0:
                t = x * 3.0  # read only in its branch: TF leaves it out of tf.cond
                x = t + 1.0
            return x
        return f(tf.constant(2.0)), f(tf.constant(-2.0))
    same_values(run)


def test_branch_dtype_mismatch_raises():
    def run(tf):
        @tf.function
        def f(x):
            if x > 0:
                y = 1
            else:
                y = 1.0
            return y
        return f(tf.constant(2.0))
    assert "'y' has dtype int32 in the main branch" in same_autograph_error(run)


def early_return(tf, x):
    if tf.reduce_sum(x) > 0:
        return x * 2.0
    y = x - 1.0
    return y * 3.0


def test_return_inside_tensor_if():
    def run(tf):
        f = tf.function(lambda x: early_return(tf, x))
        return f(tf.constant([1.0, 2.0])), f(tf.constant([-1.0, -2.0]))
    same_values(run)


def test_return_in_one_branch_only_raises():
    def run(tf):
        @tf.function
        def f(x):
            if x > 0:
                return x
        return f(tf.constant(1.0))
    assert same_autograph_error(run) == "the else branch must also have a return statement."


def test_autograph_false_keeps_the_bool_error():
    def run(tf):
        @tf.function(autograph=False)
        def f(x):
            if x > 0:
                return x
            return -x
        return f(tf.constant(1.0))
    want = outcome(run, real_tf(), plain)
    got = outcome(run, jaxtape, plain)
    assert want[1] == got[1] == "OperatorNotAllowedInGraphError"
    assert "Python `bool` is not allowed" in want[2] and "Python `bool` is not allowed" in got[2]


# -- loops ----------------------------------------------------------------

def test_while_on_tensor_condition():
    def run(tf):
        @tf.function
        def f(x):
            i = 0
            total = tf.zeros_like(x)
            while tf.reduce_sum(total) < 10.0 and i < 100:
                total += x
                i += 1
            return total, i
        return f(tf.constant([1.0, 0.5]))
    same_values(run)


def accumulate(tf, x, n):
    s = tf.constant(0.0)
    for i in tf.range(n):
        s = s + x * tf.cast(i, tf.float32)
    return s, i


@pytest.mark.parametrize("as_tensor", [True, False])
def test_for_over_tf_range(as_tensor):
    def run(tf):
        f = tf.function(lambda x, n: accumulate(tf, x, n))
        return f(tf.constant(2.0), tf.constant(5) if as_tensor else 5)
    same_values(run)


def test_for_over_tensor_rows():
    def run(tf):
        @tf.function
        def f(m):
            s = tf.zeros([2])
            for row in m:
                s = s + row * row
            return s, row
        return f(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    same_values(run)


def jumps(tf, x):
    s = 0.0
    for i in tf.range(10):
        if i % 2 == 0:
            continue
        s += x * tf.cast(i, tf.float32)
        if s > 20.0:
            break
    k = tf.constant(0)
    while k < 100:
        k += 1
        if tf.cast(k, tf.float32) * x > 7.0:
            break
    return s, i, k


def test_break_and_continue_in_tensor_loops():
    same_values(lambda tf: tf.function(lambda x: jumps(tf, x))(tf.constant(1.5)))


def test_nested_loops_and_loop_local_names():
    def run(tf):
        @tf.function
        def f(m):
            total = tf.constant(0.0)
            for i in tf.range(tf.shape(m)[0]):
                row = tf.gather(m, i)  # defined in the loop, not read after: not carried
                for j in tf.range(2):
                    if row[j] > 2.0:
                        total += row[j]
                    else:
                        total -= 1.0
            return total
        return f(tf.constant([[1.0, 3.0], [4.0, 0.5]]))
    same_values(run)


def test_loop_variable_changing_dtype_or_shape_raises():
    def dtype_change(tf):
        @tf.function
        def f(x):
            s = tf.constant(0)
            for _ in tf.range(3):
                s = tf.cast(s, tf.float32) + x
            return s
        return f(tf.constant(1.0))

    def shape_change(tf):
        @tf.function
        def f(x):
            s = x
            for _ in tf.range(3):
                s = tf.concat([s, x], 0)
            return s
        return f(tf.constant([1.0]))

    assert same_autograph_error(dtype_change) == (
        "'s' has dtype int32 before the loop, but dtype float32 after one iteration")
    assert same_autograph_error(shape_change).startswith(
        "'s' has shape (1,) before the loop, but shape (2,) after one iteration.")


def test_return_inside_tensor_loop_raises():
    def run(tf):
        @tf.function
        def f(x):
            for i in tf.range(3):
                if x[i] > 1.0:
                    return x[i]
            return -1.0
        return f(tf.constant([0.5, 2.0, 3.0]))
    assert same_autograph_error(run).startswith(
        "a return statement cannot be placed inside this TensorFlow loop")


def test_tensor_break_in_python_loop_raises():
    def run(tf):
        @tf.function
        def f(x):
            s = 0.0
            for _ in range(5):
                s += x
                if s > 2.0:
                    break
            return s
        return f(tf.constant(1.0))
    assert same_autograph_error(run).startswith(
        "break and return statements which depend on a TF condition are not supported")


def test_python_loops_unroll_and_return_inside_python_loop():
    def run(tf):
        @tf.function
        def f(x):
            out = []
            for k in range(3):
                if k == 2:
                    return out, x
                out.append(x * k)
            return out, x
        return f(tf.constant(2.0))
    same_values(run)


def test_loop_defined_value_read_after_the_loop():
    def run(tf):
        @tf.function
        def f(x):
            for i in tf.range(3):
                last = x * tf.cast(i, tf.float32)
            return last
        return f(tf.constant(2.0))
    same_values(run)


# -- gradients --------------------------------------------------------------

def test_gradient_through_converted_loop_tape_inside_and_outside():
    def run(tf):
        w = tf.Variable([0.5, -0.3])

        @tf.function
        def inside(x):
            with tf.GradientTape() as tape:
                h = x
                for _ in tf.range(3):  # static trip count
                    if tf.reduce_sum(h) > 0:
                        h = tf.tanh(h * w)
                    else:
                        h = h + w
            return tape.gradient(tf.reduce_sum(h), w)

        @tf.function
        def forward(x):
            h = x
            for row in tf.reshape(x, [2, 1]):
                h = h * w + row
            return tf.reduce_sum(h)

        x = tf.constant([1.0, 2.0])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = forward(x)
        return inside(x), tape.gradient(y, [x, w])
    same_values(run)


# -- recursion, directives, API ---------------------------------------------

def helper_abs(x):
    if x < 0:
        x = -x
    return x


def test_called_functions_are_converted_unless_marked():
    def run(tf):
        @tf.function
        def f(x):
            return helper_abs(x) + tf.autograph.experimental.do_not_convert(lambda v: v * 2)(x)
        return f(tf.constant(-3.0))
    same_values(run)

    @jaxtape.function
    def g(x):
        return jaxtape.autograph.experimental.do_not_convert(helper_abs)(x)
    with pytest.raises(jaxtape.errors.OperatorNotAllowedInGraphError):
        g(jaxtape.constant(-3.0))


def test_to_graph_and_set_verbosity():
    converted = jaxtape.autograph.to_graph(helper_abs)
    jaxtape.autograph.set_verbosity(0)
    f = jaxtape.function(converted, autograph=False)
    assert f(jaxtape.constant(-2.0)).numpy() == 2.0
    assert "if_stmt" in jaxtape.autograph.to_code(helper_abs)


# -- an actor-critic episode ---------------------------------------------------

def run_episode(tf, state, policy, max_steps):
    """A tiny environment in TF ops: the episode stops when the state leaves [-2, 2]."""
    rewards = tf.zeros([max_steps])
    logps = tf.zeros([max_steps])
    steps = 0
    for t in tf.range(max_steps):
        logits = tf.tensordot(policy, state, 1)
        p = tf.sigmoid(logits)
        action = tf.cast(p > 0.5, tf.float32)
        state = state + (2.0 * action - 1.0) * 0.4
        onehot = tf.one_hot(t, max_steps)
        rewards += onehot * (1.0 - tf.abs(state[0]))
        logps += onehot * tf.math.log(tf.where(action > 0, p, 1.0 - p))
        steps += 1
        if tf.reduce_max(tf.abs(state)) > 2.0:
            break
    return rewards, logps, steps


def test_actor_critic_episode_with_break():
    def run(tf):
        policy = tf.Variable([0.8, -0.2])
        opt_lr = 0.1

        @tf.function
        def train_step(state):
            with tf.GradientTape() as tape:
                rewards, logps, steps = run_episode(tf, state, policy, 12)
                loss = -tf.reduce_sum(logps * rewards)
            grad = tape.gradient(loss, policy)
            policy.assign_sub(opt_lr * grad)
            return loss, steps, rewards

        out = [train_step(tf.constant([0.3, 1.0])) for _ in range(2)]
        return out, policy
    same_values(run, rtol=1e-4, atol=1e-5)
