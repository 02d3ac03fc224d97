"""`python -m jaxtape run SCRIPT`: run a TensorFlow script on jaxtape unchanged.

`tensorflow` is aliased to jaxtape (`api/alias.py` answers `tensorflow.X.Y`
with jaxtape's namespaces), then the script runs as `__main__` with its own argv.
"""
from __future__ import annotations

import os
import re
import runpy
import sys
import types

from jaxtape._src.api import alias
from jaxtape._src import keras as keras_bridge
from jaxtape._src.api.namespaces import Namespace
from jaxtape._src.framework.errors import NotImplementedInJaxtape


def run(script: str, args: list[str], root: types.ModuleType) -> None:
    """Runs `script` as `__main__`, with `import tensorflow` answered by `root`."""
    if not os.path.isfile(script):
        # What `python SCRIPT` says and does for a missing script.
        print(f"python -m jaxtape run: can't open file {os.path.abspath(script)!r}: "
              f"[Errno 2] No such file or directory", file=sys.stderr)
        raise SystemExit(2)
    alias.alias(root)
    keras_bridge.bridge_plain_import()
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
