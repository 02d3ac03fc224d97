"""Special functions (`tf.math.erf`, `tf.math.lgamma`, `tf.math.special.*`, `xlogy`, ...).

Arguments TF gives no gradient (polygamma's order, zeta's `x`, betainc's `a`
and `b`) are detached before the op, so their gradient is None as in TF
rather than JAX's zeros or its missing rule.
"""
from __future__ import annotations

import jax.numpy as jnp
import jax.scipy.special as jss
from jax import lax

from jaxtape._src.framework.messages import dims, op_error
from jaxtape._src.ops.math.tf_gradients import with_tangent
from jaxtape._src.ops.support import kernel_dtypes
from jaxtape._src.ops.support.args import binary as same_dtype_pair
from jaxtape._src.ops.support.define import binary, defined, elementwise, kernel_input, kernel_inputs
from jaxtape._src.tape.primitive import Primitive

_detach = Primitive(lambda x: x, "StopGradient", differentiable=False)


def _plus_zero(fn, at_zero_input=True):
    """`fn` giving +0 where TF's kernel does: at x = -0, or (not `at_zero_input`)
    wherever the result is a zero (dawsn's at -3e38 and -inf). The derivative
    is `fn`'s: only the zero's sign changes, by adding its negation."""
    def f(x):
        y = fn(x)
        where = (x == 0) if at_zero_input else (y == 0)
        return jnp.where(where, y + lax.stop_gradient(-y), y)
    return f


_i1 = _plus_zero(jss.i1)

erf = elementwise("Erf", jss.erf, "math.erf")
erfc = elementwise("Erfc", jss.erfc, "math.erfc")
erfinv = elementwise("Erfinv", _plus_zero(jss.erfinv), "math.erfinv")
# TF's NdtriGrad sqrt(2 pi) exp(y^2 / 2): infinite at 0 and 1, where JAX's gives 0.
_ndtri = with_tangent(jss.ndtri, lambda p, t, y: t[0] * jnp.sqrt(jnp.asarray(2 * jnp.pi, y.dtype))
                      * jnp.exp(y * y / 2))
ndtri = elementwise("Ndtri", _ndtri, "math.ndtri")


def _tf_polygamma_of(n):
    """x -> polygamma(n, x) as TF's kernel at +inf (0; -0 for even n, where JAX's
    gives NaN), differentiated by TF's PolygammaGrad polygamma(n + 1, x)."""
    def at_inf(x):
        return jnp.where(x == jnp.inf, jnp.asarray(-0.0 if n % 2 == 0 else 0.0, x.dtype),
                         jss.polygamma(n, jnp.where(x == jnp.inf, 1, x)))
    # Differentiable to the order the sweep checks (second), then JAX's rule.
    return with_tangent(at_inf, lambda p, t, y: t[0] * _tf_polygamma_of(n + 1)(p[0])) if n < 3 else at_inf


# TF's DigammaGrad polygamma(1, x): 0 at +inf, where JAX's rule gives NaN.
digamma = elementwise("Digamma", with_tangent(jss.digamma, lambda p, t, y: t[0] * _tf_polygamma_of(1)(p[0])),
                      "math.digamma")
# TF's LgammaGrad g * digamma(x): second order is TF's DigammaGrad (0 at +inf, where JAX's is NaN).
lgamma = elementwise("Lgamma", with_tangent(jss.gammaln, lambda p, t, y: t[0] * digamma.primitive.fn(p[0])),
                     "math.lgamma")
# d/dx i0 = i1, as TF's gradient; JAX's rule through exp(|x|) * i0e(x) gives 1 at 0.
bessel_i0 = elementwise("BesselI0", with_tangent(jss.i0, lambda p, t, out: t[0] * _i1(p[0])),
                        "math.bessel_i0", "math.special.bessel_i0")
bessel_i1 = elementwise("BesselI1", _i1, "math.bessel_i1", "math.special.bessel_i1")


def _beyond_rounding(x, partial):
    """`partial` (a difference of i0e and i1e), 0 where |x| > 2 / eps: the
    true difference, about i0e(x) / 2|x|, is below half an ulp there, where
    TF's kernels give i0e and |i1e| the same float and JAX's differ in the last
    bit (so an infinite upstream gives TF's NaN, not inf). `0 * partial` keeps
    a NaN cotangent of `partial` in the second order, as TF's formula has it."""
    return jnp.where(jnp.abs(x) > 2 / jnp.finfo(x.dtype).eps, jnp.zeros_like(partial), partial) + 0 * partial


# TF's BesselI0eGrad i1e(x) - sign(x) y and BesselI1eGrad i0e(x) - y (sign(x) + 1 / x) (0.5 at 0),
# each through the other, so second order is TF's formulas too.
_tf_i0e = with_tangent(jss.i0e, lambda p, t, y: t[0] * _beyond_rounding(p[0], _tf_i1e(p[0]) - jnp.sign(p[0]) * y))
_tf_i1e = with_tangent(_plus_zero(jss.i1e), lambda p, t, y: t[0] * jnp.where(
    p[0] == 0, jnp.asarray(0.5, y.dtype), _beyond_rounding(p[0], _tf_i0e(p[0]) - y * (jnp.sign(p[0]) + 1 / p[0]))))
bessel_i0e = elementwise("BesselI0e", _tf_i0e, "math.bessel_i0e", "math.special.bessel_i0e")
bessel_i1e = elementwise("BesselI1e", _tf_i1e, "math.bessel_i1e", "math.special.bessel_i1e")
dawsn = elementwise("Dawsn", _plus_zero(jss.dawsn, at_zero_input=False), "math.special.dawsn")


def _expint(x):
    # TF's Expint is -inf at 0 and NaN for x < 0 (JAX's expi is Ei there: finite).
    return jnp.where(x == 0, jnp.asarray(-jnp.inf, x.dtype), jnp.where(x < 0, jnp.nan, jss.expi(x)))


# TF's ExpintGrad exp(x) / x, also where the value is NaN.
expint = elementwise("Expint", with_tangent(_expint, lambda p, t, y: t[0] * (jnp.exp(p[0]) / p[0])),
                     "math.special.expint")
# TF's SpenceGrad log(x) / (1 - x), -1 at x = 1; JAX's rule is 0 or NaN at x <= 1 and x >= 2.
spence = elementwise("Spence", with_tangent(jss.spence, lambda p, t, y: t[0] * jnp.where(
    p[0] == 1, -1, jnp.log(p[0]) / (1 - p[0])).astype(y.dtype)), "math.special.spence")


def _fresnel(part, trig):
    # TF's FresnelSinGrad / FresnelCosGrad: sin / cos((pi / 2) x^2) in the input's precision (NaN past
    # sqrt(float max)), where JAX's rule rounds differently far from 0.
    return with_tangent(lambda x: jss.fresnel(x)[part], lambda p, t, y: t[0] * trig(
        jnp.asarray(jnp.pi / 2, y.dtype) * (p[0] * p[0])))


fresnel_sin = elementwise("FresnelSin", _fresnel(0, jnp.sin), "math.special.fresnel_sin")
fresnel_cos = elementwise("FresnelCos", _fresnel(1, jnp.cos), "math.special.fresnel_cos")
# TF computes erfcinv as -ndtri(x / 2) / sqrt(2), with Ndtri's dtype check.
erfcinv = elementwise(
    "Ndtri", None, "math.erfcinv", doc="Inverse of erfc, as TF computes it: -ndtri(x / 2) / sqrt(2).",
    prim=Primitive(lambda x: -_ndtri(0.5 * x) / jnp.sqrt(jnp.asarray(2, x.dtype)), "Erfcinv"))


# Where x is 0 these give x itself, -0 for -0, as TF's kernels.
def _xlogy(x, y):
    safe = jnp.where(x == 0, jnp.ones_like(y), y)
    return jnp.where(x == 0, x, x * jnp.log(safe))


def _xlog1py(x, y):
    safe = jnp.where(x == 0, jnp.zeros_like(y), y)
    return jnp.where(x == 0, x, x * jnp.log1p(safe))


def _xdivy(x, y):
    safe = jnp.where(x == 0, jnp.ones_like(y), y)
    return jnp.where(x == 0, x, x / safe)


def _igamma_grad_a(a, x):
    """TF's IgammaGradA (Eigen's): 0 at x = 0 for any a, NaN for x < 0, a <= 0
    or NaN; where JAX's gives NaN inside the domain (a or x infinite or huge) the
    limit 0, -0 from the continued fraction (x > 1 and x > a), as underflows."""
    a, x = jnp.broadcast_arrays(a, x)  # the kernel takes no broadcasting
    d = lax.igamma_grad_a(a, x)
    fraction = (x > 1) & (x > a)
    zero = jnp.where(fraction, jnp.asarray(-0.0, d.dtype), jnp.asarray(0.0, d.dtype))
    d = jnp.where((d == 0) | jnp.isnan(d), zero, d)
    return jnp.where(x == 0, jnp.zeros_like(d), jnp.where((a > 0) & (x > 0), d, jnp.nan))


def _igamma_tangent(sign):
    """TF's IgammaGrad (igammac's negated): IgammaGradA in a and
    exp(-x + (a - 1) log x - lgamma(a)) in x, so an infinite upstream meeting a
    zero partial gives NaN as in TF."""
    def tangent(p, t, y):
        a, x = p
        dx = jnp.exp(-x + (a - 1) * jnp.log(x) - jss.gammaln(a))
        return sign * (t[0] * _igamma_grad_a(a, x) + t[1] * dx)
    return tangent


def _nan_unless_positive(fn, lower):
    # TF's incomplete gamma is NaN for a <= 0, where JAX returns a limit; its P
    # is 0 at x = 0 for any a, and P is 0 (Q 1) for an infinite a with x > 0.
    def f(a, x):
        y = fn(a, x)
        edge = jnp.where((x == 0) & lower, jnp.zeros_like(y), jnp.nan)  # where a <= 0 or NaN
        infinite_a = (a == jnp.inf) & (x > 0) & (lower | (x < jnp.inf))
        return jnp.where(infinite_a, jnp.asarray(0 if lower else 1, y.dtype), jnp.where(a > 0, y, edge))
    return f


def _zeta(x, q):
    """Hurwitz zeta with the rules of TF's (Eigen's) kernel around JAX's series:
    inf at x = 1, NaN for x < 1; for q <= 0 an integer q is a pole (inf for an
    even integer x, else NaN) and a fractional q needs an integer x; an x too
    large for JAX's series (NaN there) gives the limit of q^-x (1, 0 or inf)."""
    y = jss.zeta(x, q)
    one = jnp.ones_like(y)
    limit = jnp.where(q == 1, one, jnp.where(q > 1, 0 * one, jnp.inf * one))
    y = jnp.where(jnp.isnan(y) & (x > 1) & ~jnp.isnan(q), limit, y)
    whole_x = jnp.floor(x) == x
    # Eigen tests `long(x) % 2`: past 2^63 that cast gives LONG_MIN, even.
    even_x = whole_x & ((jnp.fmod(x, 2) == 0) | (jnp.abs(x) >= 2.0 ** 63))
    pole = jnp.where(even_x, jnp.inf * one, jnp.nan * one)
    y = jnp.where(q <= 0, jnp.where(jnp.floor(q) == q, pole, jnp.where(whole_x, y, jnp.nan)), y)
    return jnp.where(x == 1, jnp.inf, jnp.where(x < 1, jnp.nan, y))


# TF's ZetaGrad in q: -x zeta(x + 1, q), TF's zeta (NaN, inf and 0 where JAX's rule differs).
_tf_zeta = with_tangent(_zeta, lambda p, t, y: t[1] * (-p[0] * _tf_zeta(p[0] + 1, p[1])))


def _polygamma_value(n, x):
    # Eigen's: NaN unless n is a whole number >= 0, digamma for n = 0, else (-1)^(n+1) n! zeta(n + 1, x).
    one = jnp.ones_like(x)
    sign = jnp.where(jnp.fmod(n + 1, 2) == 1, -one, one)
    y = jnp.where(n == 0, jss.digamma(x), sign * jnp.exp(jss.gammaln(n + 1)) * _zeta(n + 1, x))
    return jnp.where((jnp.floor(n) != n) | (n < 0), jnp.nan, y)


# TF's PolygammaGrad in x: polygamma(n + 1, x).
_polygamma = with_tangent(_polygamma_value, lambda p, t, y: t[1] * _polygamma(p[0] + 1, p[1]))


def _first_without_gradient(x, y, op):
    """TF's operands, the first detached: TF registers no gradient for it."""
    x, y = kernel_inputs(x, y, op)
    return _detach(x), y


def _x_times(fn, dfn_dy):
    """TF's gradients of `x * fn(y)` (0 where x is 0): the partials are 0
    there and multiply the upstream, so an infinite upstream gives NaN."""
    def tangent(p, t, out):
        x, y = p
        nonzero = jnp.where(x == 0, jnp.zeros_like(x), jnp.ones_like(x))
        return t[0] * fn(nonzero, y) + t[1] * dfn_dy(x, y)
    return tangent


xlogy = binary("Xlogy", with_tangent(_xlogy, _x_times(_xlogy, _xdivy)), "math.xlogy",
               doc="x * log(y), and 0 where x is 0.")
xlog1py = binary("Xlog1py", with_tangent(_xlog1py, _x_times(_xlog1py, lambda x, y: _xdivy(x, 1 + y))),
                 "math.xlog1py", doc="x * log1p(y), and 0 where x is 0.")
xdivy = binary("Xdivy", with_tangent(_xdivy, _x_times(_xdivy, lambda x, y: _xdivy(-x, y * y))),
               "math.xdivy", doc="x / y, and 0 where x is 0.")
igamma = binary("Igamma", with_tangent(_nan_unless_positive(jss.gammainc, True), _igamma_tangent(1)), "math.igamma",
                doc="Regularized lower incomplete gamma P(a, x).")
igammac = binary("Igammac", with_tangent(_nan_unless_positive(jss.gammaincc, False), _igamma_tangent(-1)),
                 "math.igammac",
                 doc="Regularized upper incomplete gamma Q(a, x).")
polygamma = binary("Polygamma", _polygamma, "math.polygamma", convert=_first_without_gradient,
                   doc="The `a`-th derivative of digamma at `x`; no gradient for `a`, as TF.")
zeta = binary("Zeta", _tf_zeta, "math.zeta", convert=_first_without_gradient,
              doc="Hurwitz zeta(x, q); no gradient for `x`, as TF.")


def _betainc_dx(p, t, y):
    # TF's BetaincGrad in x: exp(xlog1py(b - 1, -x) + xlogy(a - 1, x) - log B(a, b)), finite at
    # x = 1 for b = 1 (JAX's rule: 0 * -inf = NaN); `a` and `b` get none (detached).
    a, b, x = p
    log_beta = jss.gammaln(a) + jss.gammaln(b) - jss.gammaln(a + b)
    return t[2] * jnp.exp(_xlog1py(b - 1, -x) + _xlogy(a - 1, x) - log_beta)


_betainc = Primitive(with_tangent(jss.betainc, _betainc_dx), "Betainc")


@defined("math.betainc", primitive=_betainc)
def betainc(a, b, x, name=None):
    """Regularized incomplete beta I_x(a, b); TF differentiates in `x` only."""
    a, b = same_dtype_pair(a, b, "Betainc")
    a, x = same_dtype_pair(a, x, "Betainc")
    kernel_dtypes.check("Betainc", a)
    # Betainc broadcasts scalars only: any two non-scalar operands must agree exactly.
    shapes = {"a": a._value.shape, "b": b._value.shape, "x": x._value.shape}
    for p, q in (("a", "b"), ("a", "x"), ("b", "x")):
        if shapes[p] and shapes[q] and shapes[p] != shapes[q]:
            raise op_error(f"Shapes of {p} and {q} are inconsistent: {dims(shapes[p])} vs. "
                           f"{dims(shapes[q])}", "Betainc")
    return _betainc(_detach(a), _detach(b), x)


def _lbeta(x):
    return jnp.sum(jss.gammaln(x), axis=-1) - jss.gammaln(jnp.sum(x, axis=-1))


_lbeta_prim = Primitive(_lbeta, "Lbeta")


@defined("math.lbeta", primitive=_lbeta_prim)
def lbeta(x, name=None):
    """log|Beta(x)| over the last axis: sum(lgamma(x)) - lgamma(sum(x))."""
    return _lbeta_prim(kernel_input(x, "Lgamma"))
