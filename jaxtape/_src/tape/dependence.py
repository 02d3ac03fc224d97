"""Which inputs of a traced JAX program its outputs structurally depend on.

TF gives `None`, not zeros, for a gradient through an op whose output does
not depend on the source at all (the output bias in a gradient penalty:
the input gradient of `x @ w + b` never reads `b`). JAX's VJPs return zeros
there; reading the traced program tells the two apart.
"""
from __future__ import annotations


def _is_var(v) -> bool:
    return not hasattr(v, "val")  # a Literal holds a value; a Var does not


def used_inputs(jaxpr, outputs) -> list:
    """Per input variable of `jaxpr` (a `Jaxpr`): whether an output in
    `outputs` (indices) depends on it. Calls of jitted functions are read
    through; any other nested program counts as using all its inputs."""
    needed = {jaxpr.outvars[i] for i in outputs if _is_var(jaxpr.outvars[i])}
    for eqn in reversed(jaxpr.eqns):
        wanted = [i for i, o in enumerate(eqn.outvars) if o in needed]
        if not wanted:
            continue
        inner = eqn.params.get("jaxpr") if eqn.primitive.name in ("pjit", "jit", "closed_call") else None
        inner = getattr(inner, "jaxpr", inner)
        if inner is not None and len(inner.invars) == len(eqn.invars):
            flags = used_inputs(inner, wanted)
            needed.update(v for v, f in zip(eqn.invars, flags) if f and _is_var(v))
        else:
            needed.update(v for v in eqn.invars if _is_var(v))
    return [v in needed for v in jaxpr.invars]
