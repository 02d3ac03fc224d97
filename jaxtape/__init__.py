"""jaxtape: TensorFlow's GradientTape programming model, running on JAX.

`import jaxtape as tf` gives the TensorFlow names jaxtape implements (listed
in docs/API.md); any other `tf.X` raises `NotImplementedInJaxtape` naming it.
Beyond TensorFlow, jaxtape's own public names are `op` (record any JAX
function as one op) and the module `jaxtape.numpy` (all of `jax.numpy` as
recorded ops). Everything under `jaxtape._src` is private.
"""
import jax as _jax

# TensorFlow has float64 and int64 tensors; JAX needs x64 mode to hold them.
# Python values still convert to float32/int32, as in TF.
_jax.config.update("jax_enable_x64", True)

from jaxtape._src.api import build as _build  # noqa: E402

__version__ = "0.1.0"

# jaxtape's own public names, beside the TF names the build adds.
op = _build.populate(__import__(__name__))

__getattr__ = _build.missing_name("tf")
