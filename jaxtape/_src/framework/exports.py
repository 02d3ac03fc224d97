"""The export registry: which jaxtape object answers to which TF name.

Op modules mark their public functions with `@export("math.add", "add")`;
`jaxtape._src.api.namespaces` builds `tf`, `tf.math`, ... from this registry, and
the API coverage table is generated from it, so neither is kept by hand.
"""
from __future__ import annotations

REGISTRY: dict[str, object] = {}


def export(*names: str):
    """Registers the decorated object under each dotted TF name (without `tf.`)."""
    def register(obj):
        for name in names:
            if name in REGISTRY and REGISTRY[name] is not obj:
                raise RuntimeError(f"tf.{name} is exported twice")
            REGISTRY[name] = obj
        return obj
    return register


def export_value(value, *names: str):
    """Registers a non-function value (a dtype, a class defined elsewhere)."""
    export(*names)(value)
    return value
