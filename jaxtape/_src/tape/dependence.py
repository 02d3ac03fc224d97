"""Which inputs of a traced JAX program its outputs structurally depend on.

TF gives `None`, not zeros, for a gradient through an op whose output does
not depend on the source at all (the output bias in a gradient penalty:
the input gradient of `x @ w + b` never reads `b`). JAX's VJPs return zeros
there; reading the traced program tells the two apart.

For gradients (`discrete=False`) a path through an integer or boolean value
carries no dependence: TF's gradient formulas read such values through ops
with no gradient (`maximum`'s, `clip_by_value`'s and `reduce_max`'s
comparisons, `sort`'s indices), so a second-order gradient that depends on
the source only that way is None in TF. Where TF's formula returns zeros
instead (relu's `ReluGradGrad`), the op marks its mask with `keep`.
"""
from __future__ import annotations

import jax
import numpy as np

_KEEP = "jaxtape_keep_dependence"
_DISCRETE = "jaxtape_discrete_dependence"


def _keep(value, on):
    return value * 1  # not `value` itself, which JAX would forward past the call


_keep.__name__ = _KEEP
_keep_jit = jax.jit(_keep)


def keep(value, on):
    """`value`, counted as depending on `on` (inlined by XLA: no cost)."""
    return _keep_jit(value, on)


def with_discrete_dependence(fn, *args):
    """`fn(*args)` inside a call `used_inputs` reads with integer and boolean
    paths counted (JAX-written derivatives: their masks are not TF's no-gradient ops)."""
    def jaxtape_discrete_dependence(*a):
        return fn(*a)
    return jax.jit(jaxtape_discrete_dependence)(*args)


def _is_var(v) -> bool:
    return not hasattr(v, "val")  # a Literal holds a value; a Var does not


def _inexact(v) -> bool:
    dtype = getattr(v.aval, "dtype", None)
    return dtype is not None and np.issubdtype(dtype, np.inexact)


def used_inputs(jaxpr, outputs, discrete=True) -> list:
    """Per input variable of `jaxpr` (a `Jaxpr`): whether an output in
    `outputs` (indices) depends on it. Calls of jitted functions are read
    through; any other nested program counts as using all its inputs.
    discrete: whether integer and boolean values carry dependence."""
    def wanted_var(v):
        return _is_var(v) and (discrete or _inexact(v))

    needed = {jaxpr.outvars[i] for i in outputs if wanted_var(jaxpr.outvars[i])}
    for eqn in reversed(jaxpr.eqns):
        wanted = [i for i, o in enumerate(eqn.outvars) if o in needed]
        if not wanted:
            continue
        jitted = eqn.primitive.name in ("pjit", "jit", "closed_call")
        if jitted and eqn.params.get("name") == _KEEP:
            needed.update(v for v in eqn.invars if _is_var(v))
            continue
        inner = eqn.params.get("jaxpr") if jitted else None
        inner = getattr(inner, "jaxpr", inner)
        if inner is not None and len(inner.invars) == len(eqn.invars):
            flags = used_inputs(inner, wanted, discrete or eqn.params.get("name") == _DISCRETE)
            needed.update(v for v, f in zip(eqn.invars, flags) if f and wanted_var(v))
        else:
            needed.update(v for v in eqn.invars if wanted_var(v))
    return [v in needed for v in jaxpr.invars]
