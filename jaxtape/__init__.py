"""jaxtape: TensorFlow's GradientTape programming model, running on JAX.

`import jaxtape as tf` gives the TensorFlow names jaxtape implements (listed,
with where each is defined, in docs/API.md); any other `tf.X` raises
`NotImplementedInJaxtape` naming it. Beyond TensorFlow, jaxtape's own public
names are `op` (record any JAX function as one op), the module
`jaxtape.numpy` (all of `jax.numpy` as recorded ops) and `__version__`.
Everything under `jaxtape._src` is private.
"""
import sys as _sys

# Before JAX allocates anything: freed large buffers stay in the process
# instead of being unmapped and page-faulted back (see allocator.py).
from jaxtape._src.framework import allocator as _allocator
_allocator.keep_freed_buffers()

import jax as _jax  # noqa: E402

# TensorFlow has float64 and int64 tensors; JAX needs x64 mode to hold them.
# Python values still convert to float32/int32, as in TF.
_jax.config.update("jax_enable_x64", True)

from jaxtape._src.api import build as _build  # noqa: E402

__version__ = "0.1.0"

# The TF names (`tf.constant`, `tf.math`, ...), straight from the export registry.
_tf_names = _build.populate(_sys.modules[__name__])

# `sys.modules["tensorflow"] = jaxtape` then makes `import tensorflow.math` work too.
from jaxtape._src.api import alias as _alias  # noqa: E402
_alias.install(_sys.modules[__name__])

# jaxtape's own names.
from jaxtape._src.api.interop import op  # noqa: E402
from jaxtape import numpy  # noqa: E402

__all__ = [*_tf_names, "op", "numpy"]

# What the import left lives as long as the process: out of the collector's full passes (collector.py).
from jaxtape._src.framework import collector as _collector  # noqa: E402
_collector.freeze_import_time_objects()

del _sys, _jax, _allocator, _build, _tf_names, _alias, _collector
