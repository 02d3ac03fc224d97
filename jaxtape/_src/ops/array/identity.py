"""`tf.identity`, `tf.identity_n` and `tf.stop_gradient`: the same values, new tensors."""
from __future__ import annotations

from jax import lax
from jax.core import Tracer

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_identity = Primitive(lambda x: x, "Identity")
_identity_n = Primitive(lambda *xs: xs, "IdentityN", multiple_results=True)


@defined("identity", primitive=_identity)
def identity(input, name=None):  # noqa: A002 - TF's argument name
    return _identity(tensor(input))


@defined("identity_n", primitive=_identity_n)
def identity_n(input, name=None):  # noqa: A002
    return list(_identity_n(*[tensor(x) for x in input]))


@defined("stop_gradient")
def stop_gradient(input, name=None):  # noqa: A002
    """The same value under a new id that no tape follows."""
    value = tensor(input)._value
    if isinstance(value, Tracer):  # inside tf.function JAX differentiates the whole program
        value = lax.stop_gradient(value)
    return Tensor(value)
