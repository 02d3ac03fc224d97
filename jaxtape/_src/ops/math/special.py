"""Special functions (`tf.math.erf`, `tf.math.lgamma`, `tf.math.special.*`, `xlogy`, ...).

Arguments TF gives no gradient (polygamma's order, zeta's `x`, betainc's `a`
and `b`) are detached before the op, so their gradient is None as in TF
rather than JAX's zeros or its missing rule.
"""
from __future__ import annotations

import jax.numpy as jnp
import jax.scipy.special as jss

from jaxtape._src.framework.exports import export
from jaxtape._src.ops.support import kernel_dtypes as math_kernels
from jaxtape._src.ops.support.args import elementwise, tensor
from jaxtape._src.ops.math.unary import unary
from jaxtape._src.tape.primitive import Primitive

_detach = Primitive(lambda x: x, "StopGradient", differentiable=False)

erf = unary(jss.erf, "Erf", "math.erf")
erfc = unary(jss.erfc, "Erfc", "math.erfc")
erfinv = unary(jss.erfinv, "Erfinv", "math.erfinv")
ndtri = unary(jss.ndtri, "Ndtri", "math.ndtri")
lgamma = unary(jss.gammaln, "Lgamma", "math.lgamma")
digamma = unary(jss.digamma, "Digamma", "math.digamma")
bessel_i0 = unary(jss.i0, "BesselI0", "math.bessel_i0", "math.special.bessel_i0")
bessel_i0e = unary(jss.i0e, "BesselI0e", "math.bessel_i0e", "math.special.bessel_i0e")
bessel_i1 = unary(jss.i1, "BesselI1", "math.bessel_i1", "math.special.bessel_i1")
bessel_i1e = unary(jss.i1e, "BesselI1e", "math.bessel_i1e", "math.special.bessel_i1e")
dawsn = unary(jss.dawsn, "Dawsn", "math.special.dawsn")
expint = unary(jss.expi, "Expint", "math.special.expint")
spence = unary(jss.spence, "Spence", "math.special.spence")
fresnel_sin = unary(lambda x: jss.fresnel(x)[0], "FresnelSin", "math.special.fresnel_sin")
fresnel_cos = unary(lambda x: jss.fresnel(x)[1], "FresnelCos", "math.special.fresnel_cos")

_erfcinv = Primitive(lambda x: -jss.ndtri(0.5 * x) / jnp.sqrt(jnp.asarray(2, x.dtype)), "Erfcinv")


@export("math.erfcinv")
def erfcinv(x, name=None):
    """Inverse of erfc, as TF computes it: -ndtri(x / 2) / sqrt(2)."""
    x = tensor(x)
    math_kernels.check("Ndtri", x)
    return _erfcinv(x)


def _binary(jfn, op, *names, no_grad=(), doc=None):
    prim = Primitive(jfn, op)

    def op_fn(x, y, name=None):
        x, y = elementwise(x, y, op)
        math_kernels.check(op, x)
        args = [_detach(a) if i in no_grad else a for i, a in enumerate((x, y))]
        return prim(*args)

    op_fn.__name__ = names[0].rpartition(".")[2]
    op_fn.__doc__ = doc or f"Elementwise `{op_fn.__name__}` with broadcasting (TF op {op})."
    return export(*names)(op_fn)


def _xlogy(x, y):
    safe = jnp.where(x == 0, jnp.ones_like(y), y)
    return jnp.where(x == 0, jnp.zeros_like(x), x * jnp.log(safe))


def _xlog1py(x, y):
    safe = jnp.where(x == 0, jnp.zeros_like(y), y)
    return jnp.where(x == 0, jnp.zeros_like(x), x * jnp.log1p(safe))


def _xdivy(x, y):
    safe = jnp.where(x == 0, jnp.ones_like(y), y)
    return jnp.where(x == 0, jnp.zeros_like(x), x / safe)


xlogy = _binary(_xlogy, "Xlogy", "math.xlogy", doc="x * log(y), and 0 where x is 0.")
xlog1py = _binary(_xlog1py, "Xlog1py", "math.xlog1py", doc="x * log1p(y), and 0 where x is 0.")
xdivy = _binary(_xdivy, "Xdivy", "math.xdivy", doc="x / y, and 0 where x is 0.")
def _nan_unless_positive(fn):
    # TF's incomplete gamma is NaN for a <= 0, where JAX returns a limit.
    return lambda a, x: jnp.where(a > 0, fn(a, x), jnp.nan)


igamma = _binary(_nan_unless_positive(jss.gammainc), "Igamma", "math.igamma", doc="Regularized lower incomplete gamma P(a, x).")
igammac = _binary(_nan_unless_positive(jss.gammaincc), "Igammac", "math.igammac",
                  doc="Regularized upper incomplete gamma Q(a, x).")
def _polygamma(a, x):
    # JAX wants an integer order; TF gives NaN for a non-integer one.
    whole = jnp.floor(a)
    return jnp.where(whole == a, jss.polygamma(whole.astype(jnp.int32), x), jnp.nan)


polygamma = _binary(_polygamma, "Polygamma", "math.polygamma", no_grad=(0,),
                    doc="The `a`-th derivative of digamma at `x`; no gradient for `a`, as TF.")
zeta = _binary(jss.zeta, "Zeta", "math.zeta", no_grad=(0,),
               doc="Hurwitz zeta(x, q); no gradient for `x`, as TF.")

_betainc = Primitive(jss.betainc, "Betainc")


@export("math.betainc")
def betainc(a, b, x, name=None):
    """Regularized incomplete beta I_x(a, b); TF differentiates in `x` only."""
    a, b = elementwise(a, b, "Betainc")
    a, x = elementwise(a, x, "Betainc")
    math_kernels.check("Betainc", a)
    return _betainc(_detach(a), _detach(b), x)


def _lbeta(x):
    return jnp.sum(jss.gammaln(x), axis=-1) - jss.gammaln(jnp.sum(x, axis=-1))


_lbeta_prim = Primitive(_lbeta, "Lbeta")


@export("math.lbeta")
def lbeta(x, name=None):
    """log|Beta(x)| over the last axis: sum(lgamma(x)) - lgamma(sum(x))."""
    x = tensor(x)
    math_kernels.check("Lgamma", x)
    return _lbeta_prim(x)
