"""`tf.Module`: names and the order variables and submodules are found in, vs TF."""
import pytest

import jaxtape
from difftest import real_tf


def _build(tf):
    class Dense(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.w = tf.Variable(1.0, name="kernel")
            self.b = tf.Variable(2.0, trainable=False, name="bias")

    class MyModel(tf.Module):
        def __init__(self):
            super().__init__()
            self.z = tf.Variable(0.0, name="z")
            self.layers = [Dense(name="d1"), Dense()]
            self.a = Dense(name="a_layer")
            self.layers[0].inner = Dense(name="deep")
            self.shared = {"y": self.z, "x": self.a}

    return MyModel(), Dense


def _describe(tf):
    model, dense = _build(tf)
    return (model.name, model.name_scope.name, tf.Module().name, dense().name,
            [v.name for v in model.variables],
            [v.name for v in model.trainable_variables],
            [v.name for v in model.non_trainable_variables],
            [m.name for m in model.submodules])


def test_module_walk_matches_tensorflow():
    assert _describe(jaxtape) == _describe(real_tf())


def test_invalid_module_name_raises_value_error_like_tf():
    tf = real_tf()
    with pytest.raises(ValueError) as want:
        tf.Module(name="not valid")
    with pytest.raises(ValueError) as got:
        jaxtape.Module(name="not valid")
    assert str(got.value) == str(want.value)


def test_module_variables_are_differentiable_through_a_tape():
    model, _ = _build(jaxtape)
    with jaxtape.GradientTape() as tape:
        loss = sum(v * v for v in model.trainable_variables)
    grads = tape.gradient(loss, model.trainable_variables)
    assert [float(g) for g in grads] == [0.0, 2.0, 2.0, 2.0, 2.0]
