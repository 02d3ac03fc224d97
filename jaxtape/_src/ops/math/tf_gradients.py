"""Primitives whose reverse-mode gradient follows TF's kernel, not JAX's rule.

TF's SqrtGrad, RsqrtGrad and ReciprocalGrad return 0 wherever the incoming
gradient is 0, so `tf.where(x > 0, tf.sqrt(x), 0.)` has gradient 0 at x = 0
where JAX's `0 * inf` gives NaN. No linear tangent rule can do that, so the
reverse pass runs a `custom_vjp` twin while forward mode (ForwardAccumulator)
keeps differentiating the plain function. `with_tangent` is the simpler
form for TF rules that are linear in the tangent (clip bounds, ties, NaN).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape._src.tape.primitive import Primitive


def with_tangent(fn, tangent):
    """`fn` differentiated by TF's rule `tangent(primals, tangents, out)`.

    For rules linear in the tangents: reverse mode is JAX's transpose of the
    rule (so a `where` in it keeps an infinite cotangent out of the unselected
    branch, as TF's `where`-based gradients do) and forward mode uses it as is.
    """
    f = jax.custom_jvp(fn)

    @f.defjvp
    def jvp(primals, tangents):
        out = fn(*primals)
        return out, tangent(primals, tangents, out)

    return f


def zero_where_no_gradient(fn, grad_of_output):
    """`fn` with VJP `grad_of_output(y, g)`, forced to 0 where `g` is 0."""
    @jax.custom_vjp
    def f(x):
        return fn(x)

    def fwd(x):
        y = fn(x)
        return y, y

    def bwd(y, g):
        # `grad_of_output` is TF's formula, in TF's complex convention (tape/gradients.py).
        grad = jnp.conj(grad_of_output(y, jnp.conj(g))) if jnp.iscomplexobj(g) else grad_of_output(y, g)
        return (jnp.where(g == 0, jnp.zeros_like(g), grad),)

    f.defvjp(fwd, bwd)
    return f


class TFGradPrimitive(Primitive):
    """A primitive whose VJP comes from `grad_fn` (same values as `fn`)."""

    def __init__(self, fn, grad_fn, name, **options):
        super().__init__(fn, name, **options)
        self._grad_twin = Primitive(grad_fn, name, **options)
        self.graph_twin = self._grad_twin  # traced into a tf.function, JAX differentiates the twin

    def raw_vjp(self, skey, static, mask):
        return self._grad_twin.raw_vjp(skey, static, mask)


def tf_grad_primitive(fn, grad_of_output, name):
    """A primitive computing `fn` whose VJP is `grad_of_output(y, g)`, 0 where `g` is 0."""
    return TFGradPrimitive(fn, zero_where_no_gradient(fn, grad_of_output), name)


# TF's Sqrt with its SqrtGrad (0 where the upstream is 0), for the reverse-mode
# twins of adapters that compose a square root (norms, standard deviations).
tf_sqrt = zero_where_no_gradient(jnp.sqrt, lambda y, g: g * 0.5 / jnp.conj(y))
