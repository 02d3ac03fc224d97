"""Complex gradients in TF's convention, against TF.

TF's gradient with respect to a complex tensor is the conjugate of JAX's
cotangent; jaxtape converts at the boundary of the backward pass, so every
op, output_gradients, jacobians, nested tapes, custom gradients and
tf.function agree with TF (they did not: each was the conjugate).
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.difftest import same_values

Z = np.array([1 + 2j, 0.5 - 1j, -0.3 + 0.2j], np.complex64)
W = np.array([[1 - 1j, 2j, 0.5], [0.3, 1 + 1j, -1j], [2, 0.1j, 1]], np.complex64)

OPS = [
    ("multiply", lambda tf, z: z * tf.constant(2 + 1j, tf.complex64)),
    ("exp", lambda tf, z: tf.exp(z)),
    ("abs", lambda tf, z: tf.abs(z)),
    ("real", lambda tf, z: tf.math.real(z)),
    ("imag", lambda tf, z: tf.math.imag(z)),
    ("conj", lambda tf, z: tf.math.conj(z) * z * z),
    ("angle", lambda tf, z: tf.math.angle(z)),
    ("matvec", lambda tf, z: tf.linalg.matvec(tf.constant(W), z)),
    ("matmul_adjoint", lambda tf, z: tf.matmul(tf.reshape(z, [3, 1]), tf.constant(W), adjoint_a=True)),
    ("sqrt", lambda tf, z: tf.sqrt(z)),                 # a TF-formula twin
    ("reciprocal", lambda tf, z: tf.math.reciprocal(z)),
    ("square_log_sin", lambda tf, z: tf.sin(tf.math.log(tf.square(z)))),
    ("reduce_sum_abs", lambda tf, z: tf.reduce_sum(tf.abs(z * z))),
]


def _grad(tf, op, og=None):
    z = tf.constant(Z)
    with tf.GradientTape() as t:
        t.watch(z)
        y = op(tf, z)
    return t.gradient(y, z, output_gradients=og)


@pytest.mark.parametrize("op", [o for _, o in OPS], ids=[n for n, _ in OPS])
def test_gradient_is_tfs_conjugate(op):
    same_values(lambda tf: _grad(tf, op))


def test_output_gradients_complex():
    def fn(tf):
        og = tf.constant([1j, 1 + 1j, -2], tf.complex64)
        return _grad(tf, lambda tf, z: tf.exp(z) * z, og)
    same_values(fn)


def test_complex_of_real_parts():
    def fn(tf):
        x = tf.constant([1.0, 2.0, -0.5])
        with tf.GradientTape(persistent=True) as t:
            t.watch(x)
            c = tf.complex(x, 3 * x) * tf.constant(1 - 2j, tf.complex64)
            y = tf.abs(c)
        og = tf.constant([1j, 1.0, 1 - 1j], tf.complex64)
        return t.gradient(y, x), t.gradient(c, x), t.gradient(c, x, output_gradients=og)
    same_values(fn)


def test_jacobians_and_forward_mode():
    def fn(tf):
        z = tf.constant(Z)
        m = tf.constant(W)
        with tf.GradientTape(persistent=True) as t:
            t.watch([z, m])
            y = tf.exp(z) * tf.math.conj(z)
            rows = tf.matmul(m, m)
        with tf.autodiff.ForwardAccumulator(z, tf.constant([1j, 1.0, 1 - 1j], tf.complex64)) as acc:
            f = tf.exp(z) * tf.math.conj(z)
        return t.jacobian(y, z), t.batch_jacobian(rows, m), acc.jvp(f)
    same_values(fn)


def test_second_order():
    def fn(tf):
        z = tf.constant(Z)
        with tf.GradientTape() as outer:
            outer.watch(z)
            with tf.GradientTape() as inner:
                inner.watch(z)
                y = tf.abs(z * z * z)
            g = inner.gradient(y, z)
            gg = tf.reduce_sum(tf.abs(g) + tf.math.real(g * z))
        return g, outer.gradient(gg, z)
    same_values(fn)


def test_tf_function_both_sides():
    def fn(tf):
        z = tf.constant(Z)

        @tf.function
        def inside(z):
            with tf.GradientTape() as t:
                t.watch(z)
                y = tf.exp(z) * z
            return t.gradient(y, z)

        @tf.function
        def body(z):
            return tf.abs(tf.sqrt(z) * z)

        with tf.GradientTape() as t:
            t.watch(z)
            y = body(z)
        return inside(z), t.gradient(y, z)
    same_values(fn)


def test_custom_gradient_sees_tfs_convention():
    def fn(tf):
        @tf.custom_gradient
        def scaled(z):
            def grad(dy):
                return dy * tf.constant(2j, tf.complex64) + tf.math.conj(dy)
            return z * tf.constant(-2j, tf.complex64) + tf.math.conj(z), grad

        z = tf.constant(Z)
        with tf.GradientTape() as t:
            t.watch(z)
            y = tf.abs(scaled(z) * tf.constant(1 + 1j, tf.complex64))
        in_function = tf.function(lambda z: _grad(tf, lambda tf, z: tf.abs(scaled(z))))(z)
        return t.gradient(y, z), in_function
    same_values(fn)
