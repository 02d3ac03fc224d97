"""Matrix and tensor products (`tf.matmul`, `tf.linalg.matvec`, `tf.tensordot`, `tf.einsum`)."""
from __future__ import annotations

import string

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.messages import dims, dtype_mismatch, op_error, unequal_dimensions
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.linalg.matrices import adjoint_of
from jaxtape._src.ops.support.args import binary, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import READS_OTHER, primitive


@primitive(name="MatMul", vjp_reads=READS_OTHER)
def _matmul(a, b, *, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False):
    if transpose_a or adjoint_a:
        a = jnp.swapaxes(a, -1, -2)
        if adjoint_a:
            a = jnp.conj(a)
    if transpose_b or adjoint_b:
        b = jnp.swapaxes(b, -1, -2)
        if adjoint_b:
            b = jnp.conj(b)
    return jnp.matmul(a, b)


@defined("linalg.matmul", "matmul")
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    """Batched matrix product with TF's rank and size checks."""
    a, b = binary(a, b, "MatMul")
    sa, sb = a._meta.shape, b._meta.shape  # `_meta`: a deferred operand stays pending
    if len(sa) < 2 or len(sb) < 2:
        raise op_error(f"In[0] and In[1] has different ndims: {dims(sa)} vs. {dims(sb)}"
                       if len(sa) != len(sb) else f"In[0] and In[1] ndims must be == 2: {len(sa)}",
                       "MatMul")
    if (len(sa) > 2 or len(sb) > 2) and not local.tracing:  # TF's kernel: batch dims first
        try:
            jnp.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise op_error(f"In[0] and In[1] must have compatible batch dimensions: {dims(sa)} vs. "
                           f"{dims(sb)}", "BatchMatMulV2") from None
    k_a = sa[-2] if (transpose_a or adjoint_a) else sa[-1]
    k_b = sb[-1] if (transpose_b or adjoint_b) else sb[-2]
    if k_a != k_b:
        op = "MatMul" if len(sa) == 2 and len(sb) == 2 else "BatchMatMulV2"
        if local.tracing:  # TF's shape inference, at trace time
            raise unequal_dimensions(op, k_a, k_b, sa, sb)
        msg = f"Matrix size-incompatible: In[0]: {dims(sa)}, In[1]: {dims(sb)}"
        raise op_error(msg, op)
    flags = {}
    if transpose_a:
        flags["transpose_a"] = True
    if transpose_b:
        flags["transpose_b"] = True
    if adjoint_a:
        flags["adjoint_a"] = True
    if adjoint_b:
        flags["adjoint_b"] = True
    return _matmul(a, b, **flags)


@primitive(name="MatVec")
def _matvec(a, b, *, adjoint):
    if adjoint:
        a = adjoint_of(a)
    return jnp.matmul(a, b[..., None])[..., 0]


@defined("linalg.matvec")
def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    a, b = binary(a, b, "MatMul")
    sa, sb = a._value.shape, b._value.shape
    k = sa[-2] if (transpose_a or adjoint_a) else sa[-1]
    if len(sa) < 2 or len(sb) < 1 or k != sb[-1]:
        op = "MatMul" if len(sa) == 2 and len(sb) == 1 else "BatchMatMulV2"
        raise op_error(f"Matrix size-incompatible: In[0]: {dims(sa)}, In[1]: "
                       f"{dims(sb + (1,))}", op)
    if transpose_a and not adjoint_a and a.dtype.is_complex:
        a = Tensor(jnp.conj(a._value))  # transpose == adjoint of the conjugate
    return _matvec(a, b, adjoint=bool(transpose_a or adjoint_a))


@primitive(name="Tensordot")
def _tensordot(a, b, *, axes):
    return jnp.tensordot(a, b, axes)


@defined("tensordot", "linalg.tensordot")
def tensordot(a, b, axes, name=None):
    """Contracts `axes` of `a` with `axes` of `b` (an int n: last n of a, first n of b)."""
    a, b = binary(a, b, "MatMul")
    sa, sb = a._value.shape, b._value.shape
    if isinstance(axes, Tensor):
        axes = axes.numpy().tolist()
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n > a.ndim:
            raise ValueError(f"`axes` must not be larger than the number of dimensions of tensor "
                             f"{a.numpy()}.  Received {n}, vs tensor dimensions {a.ndim}.")
        if n < 0:
            raise ValueError(f"`axes` must be at least 0. Received: {n}.")
        ax_a, ax_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        axes = list(axes)
        if len(axes) != 2:
            raise ValueError(f"`axes` must be an integer or have length 2. Received {axes}.")
        ax_a, ax_b = axes
        ax_a = [int(ax_a)] if isinstance(ax_a, (int, np.integer)) else [int(v) for v in ax_a]
        ax_b = [int(ax_b)] if isinstance(ax_b, (int, np.integer)) else [int(v) for v in ax_b]
        if len(ax_a) != len(ax_b):
            raise ValueError(f"Different number of contraction axes `a` and `b`, {len(ax_a)} != "
                             f"{len(ax_b)}.")
    ax_a = [x % a.ndim for x in ax_a]
    ax_b = [x % b.ndim for x in ax_b]
    if any(sa[i] != sb[j] for i, j in zip(ax_a, ax_b)):
        # TF reshapes both operands to matrices and multiplies; its error names those.
        free_a = [d for i, d in enumerate(sa) if i not in ax_a]
        free_b = [d for i, d in enumerate(sb) if i not in ax_b]
        ma = (int(np.prod(free_a)), int(np.prod([sa[i] for i in ax_a])))
        mb = (int(np.prod([sb[i] for i in ax_b])), int(np.prod(free_b)))
        raise op_error(f"Matrix size-incompatible: In[0]: {dims(ma)}, In[1]: {dims(mb)}",
                       "MatMul")
    return _tensordot(a, b, axes=(tuple(ax_a), tuple(ax_b)))


@primitive(name="Einsum")
def _einsum(*xs, equation):
    return jnp.einsum(equation, *xs)


_LABELS = set(string.ascii_letters)


def _parse_subscripts(equation, n_inputs):
    eq = equation.replace(" ", "")
    if eq.count("->") > 1 or any(c not in _LABELS and c not in ",.->" for c in eq):
        raise ValueError(f"Subscripts have incorrect format: {equation}")
    lhs, arrow, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != n_inputs:
        raise ValueError(f'Got {n_inputs} inputs for equation "{equation}", expecting {len(inputs)}')
    if arrow:
        seen = set("".join(inputs))
        for c in rhs:
            if c in _LABELS and c not in seen:
                raise ValueError(f"Output subscripts contain the label {c} not present in the "
                                 "input subscripts.")
    return inputs


@defined("einsum", "linalg.einsum")
def einsum(equation, *inputs, **kwargs):
    """Einstein summation, with TF's checks of subscripts against the inputs' shapes."""
    kwargs.pop("name", None)
    kwargs.pop("optimize", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments for this function: {', '.join(kwargs)}. "
                        "Expected: name.")
    xs = [tensor(x) for x in inputs]
    if len(xs) > 1:
        first = xs[0].dtype
        for i, x in enumerate(xs[1:], 1):
            if x.dtype != first:
                raise dtype_mismatch("Einsum", i, first, x.dtype)
    subs = _parse_subscripts(equation, len(xs))
    sizes = {}
    for i, (sub, x) in enumerate(zip(subs, xs)):
        shape = x._value.shape
        labels = sub.replace("...", "")
        if "..." in sub:
            if len(labels) > len(shape):
                raise op_error(f"Expected input {i} to have rank at least {len(labels)} but got: "
                               f"{len(shape)}", "Einsum")
            head, _, tail = sub.partition("...")
            labelled = list(shape[:len(head)]) + list(shape[len(shape) - len(tail):])
        else:
            if len(labels) != len(shape):
                raise op_error(f"Expected input {i} to have rank {len(labels)} but got: "
                               f"{len(shape)}", "Einsum")
            labelled = list(shape)
        for axis, (c, d) in enumerate(zip(labels, labelled)):
            want = sizes.setdefault(c, d)
            if want != d and want != 1 and d != 1:
                raise op_error(f"Expected dimension {want} at axis {axis} of the input shaped "
                               f"{dims(shape)} but got dimension {d}", "Einsum")
    return _einsum(*xs, equation=equation.replace(" ", ""))
