"""The initializers TF exports itself (TF's init_ops_v2): `tf.zeros_initializer`,
`tf.ones_initializer`, `tf.constant_initializer`, `tf.random_uniform_initializer`
and `tf.random_normal_initializer`.

Each is a class (TF's names: `Zeros`, `Ones`, `Constant`, `RandomUniform`,
`RandomNormal`) whose instances are called with a shape and dtype, with TF's
dtype checks, keyword checks, `get_config`/`from_config` and seeding: a
seeded random initializer draws from the stateless op with seed `[seed, 0]`,
so every call gives the same values; an unseeded one draws from the global
generator (`tf.random.set_seed` rules). The draws are JAX's (jaxtape's
documented difference), their shapes, dtypes and distributions TF's.
(`tf.initializers` is Keras's, not these: see jaxtape/_src/keras.)
"""
from __future__ import annotations

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.exports import export
from jaxtape._src.ops import random
from jaxtape._src.ops.array.creation import constant, ones, zeros

_PARTITION_SHAPE = "partition_shape"
_PARTITION_OFFSET = "partition_offset"


class Initializer:
    """TF's base: `__call__(shape, dtype=None, **kwargs)`, `get_config`, `from_config`."""

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config.pop("dtype", None)  # TF drops it (and edits the caller's dict, as here)
        return cls(**config)

    def _validate_kwargs(self, kwargs, support_partition=True):
        for kwarg in kwargs:
            if kwarg not in (_PARTITION_SHAPE, _PARTITION_OFFSET):
                raise TypeError("Keyword argument should be one of "
                                f"{[_PARTITION_SHAPE, _PARTITION_OFFSET]}. Received: {kwarg}")
            if not support_partition:
                raise ValueError(f"{type(self).__name__} initializer doesn't support "
                                 "partition-related arguments")


def _numeric_or_bool(dtype):
    dtype = dtypes.as_dtype(dtype)
    if dtype == dtypes.string:
        raise ValueError(f"Argument `dtype` expected to be numeric or boolean. Received {dtype}.")
    return dtype


@export("zeros_initializer")
class Zeros(Initializer):
    """Tensors of zeros."""

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        self._validate_kwargs(kwargs)
        dtype = _numeric_or_bool(dtype)
        return zeros(kwargs.get(_PARTITION_SHAPE, shape), dtype)


@export("ones_initializer")
class Ones(Initializer):
    """Tensors of ones."""

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        self._validate_kwargs(kwargs)
        dtype = _numeric_or_bool(dtype)
        return ones(kwargs.get(_PARTITION_SHAPE, shape), dtype)


@export("constant_initializer")
class Constant(Initializer):
    """Tensors of `value`: a scalar broadcasts, a list must have the shape's size
    (`tf.constant(value, dtype, shape)`'s rules and errors)."""

    def __init__(self, value=0, support_partition=False):
        if not (np.isscalar(value) or isinstance(value, (list, tuple, np.ndarray))):
            raise TypeError(f"Invalid type for initial value: {type(value).__name__}. Expected "
                            "Python scalar, list or tuple of values, or numpy.ndarray.")
        self.value = value
        self.support_partition = support_partition

    def __call__(self, shape, dtype=None, **kwargs):
        self._validate_kwargs(kwargs, support_partition=self.support_partition)
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
        return constant(self.value, dtype=dtype, shape=shape)

    def get_config(self):
        return {"value": self.value}


class _Random(Initializer):
    """Seeded: the stateless op at `[seed, 0]` (the same draw every call); else stateful."""

    def __init__(self, seed):
        self.seed = seed
        self._seed = None if seed is None else [seed, 0]


@export("random_uniform_initializer")
class RandomUniform(_Random):
    """Uniform values in [minval, maxval) (float or integer dtypes)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        self._validate_kwargs(kwargs)
        dtype = dtypes.as_dtype(dtype)
        if not dtype.is_floating and not dtype.is_integer:
            raise ValueError(f"Argument `dtype` expected to be numeric or boolean. Received {dtype}.")
        shape = kwargs.get(_PARTITION_SHAPE, shape)
        if self._seed:
            return random.stateless_uniform(shape, self._seed, self.minval, self.maxval, dtype)
        return random.uniform(shape, self.minval, self.maxval, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


@export("random_normal_initializer")
class RandomNormal(_Random):
    """Normal values with `mean` and `stddev` (floating dtypes)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=dtypes.float32, **kwargs):
        self._validate_kwargs(kwargs)
        dtype = dtypes.as_dtype(dtype)
        if not dtype.is_floating:
            raise ValueError(f"Argument `dtype` is expected to be floating point. Received: {dtype}.")
        shape = kwargs.get(_PARTITION_SHAPE, shape)
        if self._seed:
            return random.stateless_normal(shape, self._seed, self.mean, self.stddev, dtype)
        return random.normal(shape, self.mean, self.stddev, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}
