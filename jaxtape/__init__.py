"""jaxtape: TensorFlow's GradientTape programming model, running on JAX.

`import jaxtape as tf` gives the TensorFlow names jaxtape implements; see the
API coverage table in the README for the list.
"""
import jax as _jax

# TensorFlow has float64 and int64 tensors; JAX needs x64 mode to hold them.
# Python values still convert to float32/int32, as in TF.
_jax.config.update("jax_enable_x64", True)

from jaxtape.framework.tensor import Tensor  # noqa: E402
from jaxtape.framework.variables import Variable  # noqa: E402
from jaxtape.framework.module import Module  # noqa: E402
from jaxtape.tape.gradient_tape import GradientTape  # noqa: E402
from jaxtape.tape.primitive import Primitive, primitive  # noqa: E402
from jaxtape.interop import op  # noqa: E402
from jaxtape import interop  # noqa: E402,F401

# Importing an op module registers its TF names; every module under
# jaxtape.ops and jaxtape.autodiff is imported, so a new one needs no line here.
from jaxtape.api import framework_exports as _framework_exports  # noqa: E402,F401
from jaxtape.api import loader as _loader  # noqa: E402

_loader.import_all("jaxtape.ops")
_loader.import_all("jaxtape.autodiff")
from jaxtape import nest as _nest  # noqa: E402,F401
from jaxtape import compile as _compile  # noqa: E402,F401
from jaxtape.api import namespaces as _namespaces  # noqa: E402

__version__ = "0.1.0"

_namespaces.build(__import__(__name__))


def __getattr__(name):
    from jaxtape.framework.errors import NotImplementedInJaxtape
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedInJaxtape(f"jaxtape does not implement tf.{name}")
