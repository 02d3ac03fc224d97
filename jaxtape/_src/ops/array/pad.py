"""`tf.pad`: CONSTANT, REFLECT and SYMMETRIC padding."""
from __future__ import annotations

import jax.numpy as jnp

from jaxtape._src.framework.messages import dims, named_by, op_error
from jaxtape._src.ops.support.args import number_as
from jaxtape._src.ops.support.args import tensor as _as_tensor  # TF's argument is `tensor`
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import primitive


@primitive(name="PadV2")
def _pad(x, *, paddings, mode, constant_value):
    if mode == "constant":
        return jnp.pad(x, paddings, mode="constant", constant_values=constant_value)
    return jnp.pad(x, paddings, mode=mode)


@defined("pad", primitive=_pad)
def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """CONSTANT, REFLECT or SYMMETRIC padding; `constant_values` gets no gradient, as in TF."""
    x = _as_tensor(tensor)
    named = named_by(paddings)
    mode_ = str(mode).upper()
    if mode_ not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", '
                         f'or "SYMMETRIC". Received `mode` = {mode}')
    p = _as_tensor(paddings).numpy()
    op = "Pad" if mode_ == "CONSTANT" else "MirrorPad"
    if p.ndim != 2 or p.shape[0] != x.ndim or p.shape[1] != 2:
        sep = " " if op == "Pad" else ", "  # TF's two kernels word it apart by a comma
        raise op_error(f"The first dimension of paddings must be the rank of inputs"
                       f"{dims(p.shape)}{sep}{dims(x._value.shape)}", op, named)
    pairs = tuple((int(a), int(b)) for a, b in p)
    for i, (a, b) in enumerate(pairs):
        if a < 0 or b < 0:
            raise op_error(f"Paddings must be non-negative: {a} {b}", op, named)
        dim = x._value.shape[i]
        limit = dim if mode_ == "SYMMETRIC" else dim - 1
        if mode_ != "CONSTANT" and (a > limit or b > limit):
            word = "no greater than" if mode_ == "SYMMETRIC" else "less than"
            raise op_error(f"paddings must be {word} the dimension size: {a}, {b} not {word} "
                           f"{dim}", op, named)
    cv = number_as(constant_values, x.dtype)
    return _pad(x, paddings=pairs, mode=mode_.lower(), constant_value=cv.numpy().item())
