"""Primitives whose reverse-mode gradient follows TF's kernel, not JAX's rule.

TF's SqrtGrad, RsqrtGrad and ReciprocalGrad return 0 wherever the incoming
gradient is 0, so `tf.where(x > 0, tf.sqrt(x), 0.)` has gradient 0 at x = 0
where JAX's `0 * inf` gives NaN. No linear tangent rule can do that, so the
reverse pass runs a `custom_vjp` twin while forward mode (ForwardAccumulator)
keeps differentiating the plain function. `with_tangent` is the simpler
form for TF rules that are linear in the tangent (clip bounds, ties, NaN).
Both read the op's output through the op itself and compose their formulas
of ops with TF's gradients (`tf_reciprocal`, ...), so second order is TF's
gradient of its gradient kernel, as TF computes it.
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
        # The output through `f` itself: a rule reading it (TanhGrad, EluGrad) is
        # then differentiated through this rule again, as TF differentiates
        # its gradient kernels (their second order is TF's, not JAX's of `fn`).
        out = f(*primals)
        return out, tangent(primals, tangents, out)

    return f


def zero_where_no_gradient(fn, grad_of_output, grad_grad):
    """`fn` with VJP `grad_of_output(y, g)`, forced to 0 where `g` is 0.

    `grad_grad(y, g, dx, ct) -> (ct_y, ct_g)` is that kernel's own VJP (TF's
    SqrtGradGrad, ...; real dtypes), and `y` comes from `f` itself, so second
    order is TF's: `ct_y` goes back through TF's kernel again.
    """
    @jax.custom_vjp
    def kernel(y, g):
        return jnp.where(g == 0, jnp.zeros_like(g), grad_of_output(y, g))

    def kernel_fwd(y, g):
        dx = kernel(y, g)
        return dx, (y, g, dx)

    kernel.defvjp(kernel_fwd, lambda res, ct: grad_grad(*res, ct))

    @jax.custom_vjp
    def f(x):
        return fn(x)

    def fwd(x):
        y = f(x)
        return y, y

    def bwd(y, g):
        if jnp.iscomplexobj(g):  # TF's formula, in TF's complex convention (tape/gradients.py)
            grad = jnp.conj(grad_of_output(y, jnp.conj(g)))
            return (jnp.where(g == 0, jnp.zeros_like(g), grad),)
        return (kernel(y, g),)

    f.defvjp(fwd, bwd)
    f.kernel = kernel
    return f


class TFGradPrimitive(Primitive):
    """A primitive whose VJP comes from `grad_fn` (same values as `fn`)."""

    def __init__(self, fn, grad_fn, name, **options):
        super().__init__(fn, name, **options)
        self._grad_twin = Primitive(grad_fn, name, **options)
        self.graph_twin = self._grad_twin  # traced into a tf.function, JAX differentiates the twin

    def raw_vjp(self, skey, static, mask):
        return self._grad_twin.raw_vjp(skey, static, mask)


# TF's Sqrt, Rsqrt and Reciprocal with their gradient kernels (0 where the
# upstream is 0) and those kernels' own gradients (TF's *GradGrad), for ops
# and gradient formulas composed of them (norms, standard deviations, LogGrad).
def _sqrt_grad_grad(y, g, dx, ct):
    ga = ct / y
    return -ga * dx, 0.5 * ga


tf_sqrt = zero_where_no_gradient(jnp.sqrt, lambda y, g: g * 0.5 / jnp.conj(y), _sqrt_grad_grad)
tf_rsqrt = zero_where_no_gradient(
    jax.lax.rsqrt, lambda y, g: -0.5 * g * jnp.conj(y * y * y),
    lambda y, g, dx, ct: (-1.5 * ct * g * (y * y), tf_rsqrt.kernel(y, ct)))
tf_reciprocal = zero_where_no_gradient(
    jnp.reciprocal, lambda y, g: -g * jnp.conj(y * y),
    lambda y, g, dx, ct: (ct * -2 * g * y, tf_reciprocal.kernel(y, ct)))
# TF's Square with SquareGrad g * (2 x): NaN under a zero upstream where 2 x overflows.
# The barrier keeps XLA from reassociating g * (2 x) into (g * 2) * x (0 there).
tf_square = with_tangent(jnp.square, lambda p, t, y: t[0] * jax.lax.optimization_barrier(2 * p[0]))
# TF's Softplus: SoftplusGrad g * sigmoid(x), whose own gradient (SoftplusGradGrad)
# is g / (exp(-x) + 2 + exp(x)). JAX's derivative of logaddexp rounds differently
# in float32 (0.9999542 against TF's 0.9999546 at 10).
_softplus_slope = with_tangent(jax.lax.logistic, lambda p, t, y: t[0] / (jnp.exp(-p[0]) + 2 + jnp.exp(p[0])))
tf_softplus = with_tangent(jax.nn.softplus, lambda p, t, y: t[0] * _softplus_slope(p[0]))
