"""`python -m jaxtape run SCRIPT`: run a TensorFlow script on jaxtape unchanged.

An import hook answers `import tensorflow` (and `tensorflow.X.Y`) with
jaxtape's namespaces, then the script runs as `__main__` with its own argv.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import runpy
import sys


class TensorFlowAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves `tensorflow[.sub]` to the matching jaxtape namespace."""

    PREFIX = "tensorflow"

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.PREFIX or fullname.startswith(self.PREFIX + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        import jaxtape
        from jaxtape.framework.errors import NotImplementedInJaxtape
        target = jaxtape
        for part in spec.name.split(".")[1:]:
            try:
                target = getattr(target, part)
            except AttributeError:
                raise ModuleNotFoundError(
                    str(NotImplementedInJaxtape(f"jaxtape does not implement {spec.name}")),
                    name=spec.name) from None
        return target

    def exec_module(self, module):
        pass


def install() -> None:
    if not any(isinstance(f, TensorFlowAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, TensorFlowAlias())


def run(script: str, args: list[str]) -> None:
    install()
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
