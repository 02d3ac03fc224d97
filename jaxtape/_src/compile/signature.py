"""How call arguments become a trace key and traced inputs (`tf.TensorSpec`).

TF's rules: tensors (and NumPy arrays) are traced, so only their shape and
dtype pick the trace; Python values are part of the trace, so each new value
traces anew; variables by shape, dtype, trainability and aliasing (one trace
serves every variable that fits: `ConcreteFunction` reads the call's own). With an
`input_signature` every argument is converted to a tensor of its spec's
dtype and must fit the spec's shape, else TF's binding `TypeError`.
"""
from __future__ import annotations

import inspect

import jax
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.nest import flatten_with_tree
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.framework.variables import Variable


@export("TensorSpec")
class TensorSpec:
    """Describes a tensor argument: a (possibly partial) shape and a dtype."""

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._name = name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tensor.shape, tensor.dtype, name)

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def name(self):
        return self._name

    def is_compatible_with(self, other):
        if isinstance(other, TensorSpec):
            return self._dtype == other._dtype and self._shape.is_compatible_with(other._shape)
        if isinstance(other, (Tensor, Variable)):
            return self._dtype == other.dtype and self._shape.is_compatible_with(other.shape)
        return False

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self._dtype == other._dtype
                and self._shape.dims == other._shape.dims and self._name == other._name)

    def __hash__(self):
        return hash((self._shape.rank, self._dtype, self._name))

    def __repr__(self):
        name = "None" if self._name is None else repr(self._name)
        return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={name})"


# Marks where a traced tensor goes among an argument list's leaves.
TRACED = object()


def _static_key(value):
    """A Python argument's part of the key: its value, or identity if unhashable.

    By value alone, as TF: `f(2)` then `f(2.0)` (or `f(True)` after `f(1)`)
    reuses the first trace, since the values compare equal.
    """
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return ("value", value)


def bind(args, kwargs):
    """Splits a call into (key, traced tensors, rebuild info) without a signature.

    Returns (key, tensors, template, treedef): `template` is the flat leaf
    list with `TRACED` where a traced tensor goes.
    """
    leaves, treedef = flatten_with_tree((args, kwargs))
    key = [treedef]
    tensors = []
    template = []
    variables = []
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            value = leaf._value
            key.append((value.shape, value.dtype))
            tensors.append(leaf)
            template.append(TRACED)
            continue
        if isinstance(leaf, (np.ndarray, np.generic, jax.Array)):
            tensor = convert_to_tensor(leaf)
            key.append((tensor._value.shape, tensor._value.dtype))
            tensors.append(tensor)
            template.append(TRACED)
            continue
        if isinstance(leaf, Variable):
            # TF's VariableSpec: shape, dtype, trainable, and which arguments are
            # one variable; any variable fitting it reuses the trace.
            alias = next((i for i, v in enumerate(variables) if v is leaf), None)
            if alias is None:
                alias = len(variables)
                variables.append(leaf)
            shape = leaf._shape  # declared; a variable of unknown shape goes by its value's
            dims = tuple(shape._dims) if shape.is_fully_defined() else leaf._value.shape
            key.append(("var", dims, leaf.dtype, leaf.trainable, alias))
        else:
            key.append(_static_key(leaf))
        template.append(leaf)
    return tuple(key), tensors, template, treedef


class Signature:
    """An `input_signature`: the specs and the function's parameter names."""

    def __init__(self, specs, python_function):
        self.structure = list(specs)
        self.flat_specs, self.treedef = flatten_with_tree(self.structure)
        for spec in self.flat_specs:
            if not isinstance(spec, TensorSpec):
                raise TypeError("input_signature must be a possibly nested sequence of "
                                f"TensorSpec objects, got invalid args {spec!r} with "
                                f"type {type(spec)}.")
        try:
            params = list(inspect.signature(python_function).parameters.values())
        except (TypeError, ValueError):
            params = []
        self.param_names = [p.name for p in params
                            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def describe(self):
        names = self.param_names + [f"arg{i}" for i in range(len(self.param_names), len(self.structure))]
        return ", ".join(f"{n}: {s!r}" for n, s in zip(names, self.structure))

    def _fail(self, reason, args, kwargs):
        raise TypeError(
            f"Binding inputs to tf.function failed due to `{reason}`. Received args: {args!r} "
            f"and kwargs: {kwargs!r} for signature: ({self.describe()}).")

    def bind(self, args, kwargs):
        """Tensors for `args` converted and checked against the specs."""
        given = list(args)
        if kwargs:
            names = self.param_names[len(given):len(self.structure)]
            for name in kwargs:
                if name not in names:
                    self._fail(f"got an unexpected keyword argument '{name}'", args, kwargs)
            for name in names:
                if name not in kwargs:
                    break
                given.append(kwargs[name])
        if len(given) > len(self.structure):
            self._fail("too many positional arguments", args, kwargs)
        if len(given) < len(self.structure):
            missing = self.param_names[len(given)] if len(given) < len(self.param_names) \
                else f"arg{len(given)}"
            self._fail(f"missing a required argument: '{missing}'", args, kwargs)
        try:  # a spec takes a whole nested Python list as one leaf
            leaves = self.treedef.flatten_up_to(given)
        except (TypeError, ValueError):
            self._fail(f"The two structures don't have the same nested structure: {given!r} "
                       f"and {self.structure!r}", args, kwargs)
        tensors = []
        key = [self.treedef]
        for leaf, spec in zip(leaves, self.flat_specs):
            if isinstance(leaf, Tensor):
                tensor = leaf
            else:
                try:
                    tensor = convert_to_tensor(leaf, dtype_hint=spec.dtype)
                except (TypeError, ValueError) as e:
                    self._fail(str(e), args, kwargs)
            if tensor.dtype != spec.dtype or not spec.shape.is_compatible_with(tensor.shape):
                self._fail(f"Can not cast {TensorSpec(tensor.shape, tensor.dtype)!r} to {spec!r}",
                           args, kwargs)
            key.append((tensor._value.shape, tensor._value.dtype))
            tensors.append(tensor)
        return tuple(key), tensors, [TRACED] * len(tensors), self.treedef
