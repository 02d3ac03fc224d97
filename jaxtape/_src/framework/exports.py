"""The export registry: which jaxtape object answers to which TF name.

Op modules mark their public functions with `@export("math.add", "add")`;
`jaxtape._src.api.namespaces` builds `tf`, `tf.math`, ... from this registry, and
docs/API.md is generated from it, so neither is kept by hand.
"""
from __future__ import annotations

import sys

REGISTRY: dict[str, object] = {}

# Where each name was registered: (file, line) of the module-level statement
# that names it, so docs/API.md can point at ops built by a helper such as
# `elementwise(...)`, whose function object lives in the helper's file.
SITES: dict[str, tuple[str, int]] = {}


def _module_level_caller() -> tuple[str, int]:
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_name != "<module>":
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno


def export(*names: str):
    """Registers the decorated object under each dotted TF name (without `tf.`)."""
    site = _module_level_caller()

    def register(obj):
        for name in names:
            if name in REGISTRY and REGISTRY[name] is not obj:
                raise RuntimeError(f"tf.{name} is exported twice")
            REGISTRY[name] = obj
            SITES.setdefault(name, site)
        return obj
    return register


def export_value(value, *names: str):
    """Registers a non-function value (a dtype, a class defined elsewhere)."""
    export(*names)(value)
    return value
