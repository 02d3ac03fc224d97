"""`backward.config["force"]` really pins the way a plan runs (the
`backward_mode` fixture relies on it), and the three ways agree."""
import numpy as np

import jaxtape as tf
from jaxtape._src.tape import backward


def _grad_and_plan_key():
    x = tf.constant([0.3, 1.7])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.sin(x) * x * 1.25)
    plan = backward.build_plan(tape._tape.nodes, [y], [x])
    return tape.gradient(y, x), plan.key


# mode -> (compiled whole, run as a recorded primitive)
_EXPECTED = {"steps": (False, False), "compiled": (True, False), "recorded": (False, True)}


def test_force_selects_the_way_a_plan_runs(backward_mode):
    compiled, recorded = _EXPECTED[backward_mode]
    backward._compiled.clear()
    backward._recorded.clear()
    grad, key = _grad_and_plan_key()
    assert any(k[0] == key for k in backward._compiled) is compiled
    assert any(k[0] == key for k in backward._recorded) is recorded
    x = np.array([0.3, 1.7], np.float32)
    np.testing.assert_allclose(grad.numpy(), 1.25 * (np.cos(x) * x + np.sin(x)), rtol=1e-6)
