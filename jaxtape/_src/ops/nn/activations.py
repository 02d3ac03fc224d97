"""Activations and layer arithmetic of `tf.nn` (bias, moments, normalization, dropout).

Activations whose JAX gradient differs from TF's at a kink (relu6 at 0 and 6,
leaky_relu and selu at 0) are written with an explicit `where` so the kink
takes the branch TF's gradient kernel takes.
"""
from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.framework.exports import export
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.support.args import axis_tuple, binary, kernel_dtype_name, op_error, tensor
from jaxtape._src.tape.primitive import Primitive, primitive

FLOAT_KERNELS = "half, bfloat16, float, double"
_FLOAT_NAMES = frozenset(("float16", "bfloat16", "float32", "float64"))


def dtype_error(dtype, op: str, allowed: str = FLOAT_KERNELS, attr: str = "T"):
    """TF's kernel-registration error for a dtype an op has no kernel for."""
    return op_error(
        f"Value for attr '{attr}' of {kernel_dtype_name(dtype)} is not in the list of allowed "
        f"values: {allowed}\n\t; NodeDef: {{{{node {op}}}}}; Op<name={op}>", op)


def float_input(x, op: str, allowed: str = FLOAT_KERNELS) -> Tensor:
    """Converts `x` and rejects non-float dtypes as TF's float-only kernels do."""
    x = tensor(x)
    if x.dtype.name not in _FLOAT_NAMES:
        raise dtype_error(x.dtype, op, allowed)
    return x


def _float_unary(jfn, op, *names):
    prim = Primitive(jfn, op)

    def activation(features, name=None):
        return prim(float_input(features, op))

    activation.__name__ = names[0].rpartition(".")[2]
    activation.__doc__ = f"Elementwise `{activation.__name__}` (TF op {op}); float inputs only."
    activation.primitive = prim
    return export(*names)(activation)


# -- activations ------------------------------------------------------------------

_relu = Primitive(jax.nn.relu, "Relu")  # JAX's relu has TF's zero gradient at 0.


@export("nn.relu")
def relu(features, name=None):
    return _relu(tensor(features))


@primitive(name="Relu6")
def _relu6(x):
    # TF's gradient is 1 strictly inside (0, 6); jnp.clip would pass it at the ends.
    inside = (x > 0) & (x < 6)
    return jnp.where(inside, x, jnp.where(x <= 0, jnp.zeros_like(x), jnp.full_like(x, 6)))


@export("nn.relu6")
def relu6(features, name=None):
    return _relu6(tensor(features))


@primitive(name="LeakyRelu")
def _leaky_relu(x, *, alpha):
    # TF's kernel for every alpha (also > 1): x where x > 0, else alpha * x.
    return jnp.where(x > 0, x, x * jnp.asarray(np.float32(alpha), x.dtype))  # a float32 attr


@export("nn.leaky_relu")
def leaky_relu(features, alpha=0.2, name=None):
    x = tensor(features)
    if x.dtype.is_integer:
        from jaxtape._src.ops.math.arithmetic import cast
        x = cast(x, dtypes.float32)
    return _leaky_relu(x, alpha=float(alpha))


elu = _float_unary(lambda x: jnp.where(x > 0, x, jnp.expm1(x)), "Elu", "nn.elu")

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu_fn(x):
    # At 0 TF's SeluGrad takes the positive branch (slope `scale`).
    neg = jnp.asarray(_SELU_SCALE * _SELU_ALPHA, x.dtype) * jnp.expm1(jnp.minimum(x, 0))
    return jnp.where(x < 0, neg, jnp.asarray(_SELU_SCALE, x.dtype) * x)


selu = _float_unary(_selu_fn, "Selu", "nn.selu")
softsign = _float_unary(lambda x: x / (1 + jnp.abs(x)), "Softsign", "nn.softsign", "math.softsign")
softplus = _float_unary(jax.nn.softplus, "Softplus", "nn.softplus", "math.softplus")


@primitive(name="Gelu")
def _gelu(x, *, approximate):
    # TF casts two of its constants from float32 Python-scalar tensors, so in
    # float64 they carry float32 rounding; they are rounded the same way here.
    half = jnp.asarray(0.5, x.dtype)
    if approximate:
        c = jnp.asarray(0.7978845608028654, x.dtype)  # sqrt(2 / pi)
        coeff = jnp.asarray(np.float32(0.044715), x.dtype)
        return half * x * (1 + jnp.tanh(c * (x + coeff * x ** 3)))
    # erfc(-x / sqrt(2)), TF's form: more accurate than 1 + erf for x << 0.
    return half * x * lax.erfc(-x * jnp.asarray(np.float32(0.7071067811865476), x.dtype))


@export("nn.gelu")
def gelu(features, approximate=False, name=None):
    x = tensor(features)
    if not x.dtype.is_floating:
        raise ValueError("`features.dtype` must be a floating point tensor."
                         f"Received:features.dtype={x.dtype}")
    return _gelu(x, approximate=bool(approximate))


@primitive(name="Silu")
def _silu(x, beta):
    return x * jax.nn.sigmoid(beta * x)


@export("nn.silu", "nn.swish")
def silu(features, beta=1.0, name=None):
    x = float_input(features, "Sigmoid", "bfloat16, half, float, double, complex64, complex128")
    return _silu(x, tensor(beta, x.dtype))


@primitive(name="Softmax")
def _softmax(x, *, axis):
    return jax.nn.softmax(x, axis=axis)


@primitive(name="LogSoftmax")
def _log_softmax(x, *, axis):
    return jax.nn.log_softmax(x, axis=axis)


def _softmax_axis(x, axis, op):
    if x.ndim == 0:
        raise op_error(f"logits must have >= 1 dimension, got {_dims(x._value.shape)}", op)
    axis = -1 if axis is None else int(axis)
    if not -x.ndim <= axis < x.ndim:
        from jaxtape._src.framework.errors import InvalidArgumentError
        raise InvalidArgumentError(
            None, None, f"`dim` must be in the range [{-x.ndim}, {x.ndim}) where {x.ndim} is the "
            f"number of dimensions in the input. Received: dim={axis}")
    return axis % x.ndim


@export("nn.softmax", "math.softmax")
def softmax(logits, axis=None, name=None):
    x = float_input(logits, "Softmax")
    return _softmax(x, axis=_softmax_axis(x, axis, "Softmax"))


@export("nn.log_softmax", "math.log_softmax")
def log_softmax(logits, axis=None, name=None):
    x = float_input(logits, "LogSoftmax")
    return _log_softmax(x, axis=_softmax_axis(x, axis, "LogSoftmax"))


@primitive(name="Crelu")
def _crelu(x, *, axis):
    return jnp.concatenate([jax.nn.relu(x), jax.nn.relu(-x)], axis=axis)


@export("nn.crelu")
def crelu(features, axis=-1, name=None):
    x = tensor(features)
    from jaxtape._src.ops.support.args import single_axis
    return _crelu(x, axis=single_axis(axis, x.ndim, "ConcatV2"))


# -- bias, moments, normalization ---------------------------------------------------

@primitive(name="BiasAdd")
def _bias_add(x, b, *, channel_axis):
    shape = [1] * x.ndim
    shape[channel_axis] = b.shape[0]
    return x + b.reshape(shape)


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


@export("nn.bias_add")
def bias_add(value, bias, data_format=None, name=None):
    """`value + bias` along the channel axis: the last one, or axis 1 for `NC...`."""
    channels_first = False
    if data_format is not None:
        fmt = str(data_format)
        if fmt.startswith("NC"):
            channels_first = True
        elif not (fmt.startswith("N") and fmt.endswith("C")):
            raise ValueError("`data_format` must be of the form `N...C` or `NC...`. "
                             f"Received: data_format={data_format}")
    x, b = binary(value, bias, "BiasAdd")
    if x.ndim < 2:
        raise op_error(f"Input tensor must be at least 2D: {_dims(x._value.shape)}", "BiasAdd")
    if b.ndim != 1:
        raise op_error(f"Biases must be 1D: {_dims(b._value.shape)}", "BiasAdd")
    # TF's kernel reads NCHW channels from axis 1 only above rank 2 (and its
    # message names the last dimension either way).
    channel_axis = 1 if channels_first and x.ndim > 2 else x.ndim - 1
    if x._value.shape[channel_axis] != b._value.shape[0]:
        raise op_error("Must provide as many biases as the last dimension of the input tensor: "
                       f"{_dims(b._value.shape)} vs. {_dims(x._value.shape)}", "BiasAdd")
    return _bias_add(x, b, channel_axis=channel_axis)


def _mean(x, axes):
    if jnp.issubdtype(x.dtype, jnp.integer):
        count = int(np.prod([x.shape[a] for a in axes]))
        total = jnp.sum(x, axis=axes, keepdims=True, dtype=x.dtype)
        return lax.div(total, jnp.asarray(max(count, 1), x.dtype))
    return jnp.mean(x, axis=axes, keepdims=True)


@primitive(name="Moments", multiple_results=True)
def _moments(x, *, axes, keepdims):
    wide = x.astype(jnp.float32) if x.dtype == jnp.float16 else x
    mean = _mean(wide, axes)
    # TF stops the gradient through the mean inside the variance.
    variance = _mean(jnp.square(wide - lax.stop_gradient(mean)), axes)
    if not keepdims:
        mean, variance = jnp.squeeze(mean, axes), jnp.squeeze(variance, axes)
    return mean.astype(x.dtype), variance.astype(x.dtype)


@export("nn.moments")
def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and variance over `axes` (`shift` is unused, as in TF 2)."""
    x = tensor(x)
    return _moments(x, axes=axis_tuple(axes, x.ndim, "Mean"), keepdims=bool(keepdims))


@primitive(name="BatchNorm")
def _batch_norm(x, mean, variance, *rest, epsilon, has_offset, has_scale):
    inv = lax.rsqrt(variance + jnp.asarray(epsilon, variance.dtype))
    if has_scale:
        inv = inv * rest[-1]
    shift = (rest[0] if has_offset else 0) - mean * inv
    return x * inv + shift


@export("nn.batch_normalization")
def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    x = tensor(x)
    args = [tensor(mean, x.dtype), tensor(variance, x.dtype)]
    if offset is not None:
        args.append(tensor(offset, x.dtype))
    if scale is not None:
        args.append(tensor(scale, x.dtype))
    return _batch_norm(x, *args, epsilon=float(variance_epsilon),
                       has_offset=offset is not None, has_scale=scale is not None)


@primitive(name="NormalizeMoments", multiple_results=True)
def _normalize_moments(counts, mean_ss, variance_ss, *shift):
    divisor = 1 / counts
    shifted_mean = mean_ss * divisor
    mean = shifted_mean + shift[0] if shift else shifted_mean
    return mean, variance_ss * divisor - jnp.square(shifted_mean)


@export("nn.normalize_moments")
def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    mean_ss = tensor(mean_ss)
    args = [tensor(counts, mean_ss.dtype), mean_ss, tensor(variance_ss, mean_ss.dtype)]
    if shift is not None:
        args.append(tensor(shift, mean_ss.dtype))
    return _normalize_moments(*args)


# -- dropout ----------------------------------------------------------------------

@primitive(name="Dropout")
def _dropout(x, keep, *, scale):
    return x * jnp.asarray(scale, x.dtype) * keep.astype(x.dtype)


@export("nn.dropout")
def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zeroes each unit with probability `rate`, scaling the kept ones by 1/(1-rate)."""
    from jaxtape._src.ops import random as random_ops
    x = tensor(x)
    if not x.dtype.is_floating:
        raise ValueError("`x.dtype` must be a floating point tensor as `x` will be scaled. "
                         f"Received: x_dtype={x.dtype}")
    if isinstance(rate, numbers.Real) and not isinstance(rate, bool):
        if not 0 <= rate < 1:
            raise ValueError("`rate` must be a scalar tensor or a float in the range [0, 1). "
                             f"Received: rate={rate}")
        if rate == 0:
            return x
    rate = float(tensor(rate).numpy())
    shape = x._value.shape
    if noise_shape is not None:
        from jaxtape._src.ops.support.args import static_shape
        given = noise_shape.as_list() if hasattr(noise_shape, "as_list") else noise_shape
        given = static_shape([d if d is not None else -1 for d in given])
        shape = tuple(s if g == -1 else g for g, s in zip(given, shape)) if len(given) == len(shape) \
            else given
    u = jax.random.uniform(random_ops.next_key(seed), shape, x._value.dtype)
    return _dropout(x, Tensor(u >= jnp.asarray(rate, u.dtype)), scale=1.0 / (1.0 - rate))


# -- embeddings -------------------------------------------------------------------

@primitive(name="ClipRows")
def _clip_rows(rows, *, max_norm, rank):
    axes = tuple(range(rows.ndim - rank, rows.ndim))
    l2sum = jnp.sum(rows * rows, axis=axes, keepdims=True)
    positive = l2sum > 0
    norm = jnp.where(positive, jnp.sqrt(jnp.where(positive, l2sum, 1)), l2sum)
    clip = jnp.asarray(max_norm, rows.dtype)
    return rows * clip / jnp.maximum(norm, clip)


@export("nn.embedding_lookup")
def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of `params` (or of its shards, concatenated) at `ids`."""
    from jaxtape._src.ops.array import manipulation as array_ops
    from jaxtape._src.ops.array import indexing as index_ops
    if isinstance(params, (list, tuple)):
        params = params[0] if len(params) == 1 else array_ops.concat(list(params), 0)
    params = tensor(params) if not hasattr(params, "_read_for_op") else params
    rows = index_ops.gather(params, ids)
    if max_norm is not None:
        rows = _clip_rows(rows, max_norm=float(max_norm), rank=tensor(params).ndim - 1)
    return rows
