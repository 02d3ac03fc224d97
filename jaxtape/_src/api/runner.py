"""`python -m jaxtape run SCRIPT`: run a TensorFlow script on jaxtape unchanged.

An import hook answers `import tensorflow` (and `tensorflow.X.Y`) with
jaxtape's namespaces, then the script runs as `__main__` with its own argv.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import re
import runpy
import sys
import types

from jaxtape._src.api.namespaces import Namespace
from jaxtape._src.framework.errors import NotImplementedInJaxtape


class TensorFlowAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves `tensorflow[.sub]` to the matching jaxtape namespace."""

    PREFIX = "tensorflow"

    def __init__(self, root: types.ModuleType):
        self.root = root  # the jaxtape package, passed in: this layer sits below it

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.PREFIX or fullname.startswith(self.PREFIX + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        target = self.root
        for part in spec.name.split(".")[1:]:
            try:
                target = getattr(target, part)
            except AttributeError:
                tf_name = "tf" + spec.name[len(self.PREFIX):]
                raise ModuleNotFoundError(f"jaxtape does not implement {tf_name}",
                                          name=spec.name) from None
        return target

    def exec_module(self, module):
        pass


def install(root: types.ModuleType) -> None:
    if not any(isinstance(f, TensorFlowAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, TensorFlowAlias(root))


def run(script: str, args: list[str], root: types.ModuleType) -> None:
    """Runs `script` as `__main__`, with `import tensorflow` answered by `root`."""
    if not os.path.isfile(script):
        # What `python SCRIPT` says and does for a missing script.
        print(f"python -m jaxtape run: can't open file {os.path.abspath(script)!r}: "
              f"[Errno 2] No such file or directory", file=sys.stderr)
        raise SystemExit(2)
    install(root)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    except ImportError as e:
        missing = _missing_name(e)
        if missing is None:
            raise
        raise NotImplementedInJaxtape(f"jaxtape does not implement {missing}") from e


def _missing_name(error: ImportError):
    """The TF name behind `from tensorflow.X import name` failing on a jaxtape namespace.

    Python turns the namespace's AttributeError into its own ImportError text,
    which names the jaxtape module; this recovers the TF name for the message.
    """
    module = sys.modules.get(error.name or "")
    match = re.match(r"cannot import name '([^']+)'", str(error))
    if not isinstance(module, Namespace) or match is None:
        return None
    return f"{module._tf_path}.{match.group(1)}"
