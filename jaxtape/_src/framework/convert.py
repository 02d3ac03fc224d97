"""Turning Python values, NumPy arrays and variables into tensors, TF's way.

TensorFlow's rules: Python floats become float32 and ints int32 (int64 when
they do not fit), NumPy arrays keep their dtype, and a requested dtype is
honoured only when the conversion loses nothing. Scalar constants are cached:
putting a fresh scalar on a device costs ~100 µs, far more than the op that
uses it (`y * 1.01` in a loop would otherwise pay it every step).
"""
from __future__ import annotations

import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes, strings
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import kernel_dtype_name
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.framework.tensor_shape import Dimension, TensorShape

# Stacks a (nested) list holding tensors into one recorded tensor, as
# `tf.constant([t, t])` does; set by the ops module that defines `stack`.
pack_nested = None

_INT32 = np.iinfo(np.int32)
_scalar_cache: dict = {}
_SCALAR_CACHE_SIZE = 4096


def _host_array(value) -> np.ndarray:
    """`np.asarray(value)`, with TF's error for a non-rectangular sequence."""
    try:
        return np.asarray(value)
    except UnicodeDecodeError:  # str beside non-ASCII bytes: NumPy decodes bytes as ASCII
        try:
            return np.array(value, dtype=object)
        except ValueError:
            pass
    except ValueError:  # NumPy's inhomogeneous-shape error
        pass
    raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")


def _python_dtype(value) -> dtypes.DType:
    """TF's dtype for a Python scalar or (nested) sequence of them."""
    arr = _host_array(value)
    kind = arr.dtype.kind
    if kind == "f":
        return dtypes.float32
    if kind in "iu":
        if arr.size and (arr.max() > _INT32.max or arr.min() < _INT32.min):
            return dtypes.int64
        return dtypes.int32
    if kind == "b":
        return dtypes.bool
    if kind == "c":
        return dtypes.complex128
    if kind in "US":
        return dtypes.string
    if kind == "O" and all(isinstance(v, int) for v in arr.reshape(-1)):
        raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.")
    if kind == "O":
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
    raise TypeError(f"Cannot convert {value!r} to a Tensor.")


_MIXED = "Can't convert Python sequence with mixed types to Tensor."
_FLOAT_RANGE = "Can't convert Python sequence with a value out of range for a double-precision float."
_INT64 = np.iinfo(np.int64)
# A float at least this large rounds to infinity in the dtype (half an ulp past its max).
_OVERFLOW = {dtypes.float16: 65520.0, dtypes.float32: float(np.finfo(np.float32).max) + 2.0 ** 103}
# The dtypes TF's sequence conversion converts to directly, and the leaf kinds
# each takes (see `_kind`); for any other it infers a dtype and casts.
_DIRECT = {**dict.fromkeys((dtypes.int32, dtypes.int64, dtypes.uint64), frozenset("bi")),
           **dict.fromkeys((dtypes.float16, dtypes.float32, dtypes.float64), frozenset("bif")),
           dtypes.complex128: frozenset("bifc"), dtypes.bool: frozenset("bB")}
_NUMPY_FLOATS = {np.dtype(np.float16): dtypes.float16, np.dtype(np.float32): dtypes.float32,
                 np.dtype(np.float64): dtypes.float64}


def _leaves(value, out):
    """The leaves of nested lists and tuples in order; a NumPy array is one leaf."""
    for v in value:
        if isinstance(v, (list, tuple)):
            _leaves(v, out)
        else:
            out.append(v)
    return out


def _kind(leaf) -> str:
    """A leaf's kind as TF's sequence conversion sees it: "b" a Python bool, "B" a
    NumPy bool, "i", "f", "c", "s" (text) or "?"."""
    if isinstance(leaf, bool):
        return "b"
    if isinstance(leaf, (np.ndarray, np.generic)):
        kind = leaf.dtype.kind
        return {"b": "B", "u": "i", "U": "s", "S": "s"}.get(kind, kind if kind in "ifc" else "?")
    if isinstance(leaf, numbers.Integral):
        return "i"
    if isinstance(leaf, float):
        return "f"
    if isinstance(leaf, complex):
        return "c"
    return "s" if strings.is_text(leaf) else "?"


def _first_leaf(value):
    """The leaf TF samples to infer a sequence's dtype: first elements all the way down."""
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    while isinstance(value, np.ndarray) and value.ndim and value.size:
        value = value[0]
    return value[()] if isinstance(value, np.ndarray) and not value.ndim else value


def _sequence_dtype(value, requested) -> dtypes.DType:
    """TF's dtype for a (nested) list, or its error.

    With no dtype requested, the first leaf decides the kind (a NumPy float also
    its width) and the other leaves must convert to it: a leading int gives int32
    (int64 when a value needs it) until a float turns the rest into float32; a
    Python bool converts to a number, a NumPy bool does not; a float may not round
    to infinity in the chosen width. A requested dtype converts every number;
    the kind found only decides which requests TF refuses (see `_python_to_array`).
    """
    arr = _host_array(value)
    if arr.dtype == object and strings._ragged(value):
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
    first = _first_leaf(value)
    if isinstance(first, (list, tuple, np.ndarray)):  # no leaf: TF's float32
        return dtypes.float32
    fast = _plain_dtype(arr, _leaf_types(value), type(first), requested)
    if fast is not None:
        return fast
    leaves = _leaves(value, [])
    kinds = {_kind(v) for v in leaves}
    kind = _kind(first)
    if kind == "s" or requested is dtypes.string:
        return _python_dtype(arr) if arr.dtype != object else dtypes.string
    if kind == "?":
        raise ValueError(f"Attempt to convert a value ({first!r}) with an unsupported type "
                         f"({type(first)}) to a Tensor.")
    if "?" in kinds or "s" in kinds:
        raise ValueError(_MIXED)
    if requested is not None:
        direct = _DIRECT.get(requested)
        if direct is not None and kinds <= direct:
            return requested  # TF converts straight to it
        try:  # else TF infers a dtype, then casts
            inferred = _sequence_dtype(value, None)
        except ValueError as e:
            if str(e) != _FLOAT_RANGE:
                raise
            inferred = dtypes.float32  # TF's cast refuses it (to an integer) or keeps inf
        if inferred is dtypes.bool and requested is not dtypes.bool:
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {kernel_dtype_name(requested)}")
        return inferred
    if kind in "bB":
        if kinds - {"b", "B"}:
            raise ValueError(_MIXED)
        return dtypes.bool
    if kind == "c":
        if "B" in kinds:
            raise ValueError(_MIXED)
        return dtypes.complex128
    if kind == "i":
        wide = False
        for i, v in enumerate(leaves):
            k = _kind(v)
            if k == "f":
                return _float_leaves(leaves[i:], dtypes.float32)
            if k == "i":
                lo, hi = (int(v.min()), int(v.max())) if isinstance(v, np.ndarray) else (int(v), int(v))
                if lo < _INT64.min or hi > _INT64.max:
                    raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.")
                wide = wide or lo < _INT32.min or hi > _INT32.max
            elif k != "b":
                raise ValueError(_MIXED)
        return dtypes.int64 if wide else dtypes.int32
    dtype = _NUMPY_FLOATS.get(first.dtype, dtypes.float32) if isinstance(first, np.generic) \
        else dtypes.float32
    return _float_leaves(leaves, dtype)


def _leaf_types(value) -> set:
    """The types of a nested list's leaves, found by C-level `map` per list."""
    types = set(map(type, value))
    if list in types or tuple in types:
        types -= {list, tuple}
        for v in value:
            if type(v) is list or type(v) is tuple:
                types |= _leaf_types(v)
    return types


_PLAIN_KINDS = {float: "f", int: "i", bool: "b"}


def _plain_dtype(arr, types, first, requested):
    """`_sequence_dtype`'s answer for leaves that are all Python floats, ints or
    bools, from NumPy's array of them (one vectorised range check, where the
    per-leaf rules cost ~1 us a leaf: a 1e5-float list converted 4.7x slower);
    None when the per-leaf rules must decide."""
    if not types <= _PLAIN_KINDS.keys():
        return None
    if requested is not None:
        direct = _DIRECT.get(requested)
        kinds = {_PLAIN_KINDS[t] for t in types}
        return requested if direct is not None and kinds <= direct else None
    if types == {bool}:
        return dtypes.bool
    if bool in types:
        return None
    if types == {int}:
        if arr.dtype != np.int64:  # beyond int64: the per-leaf error
            return None
        return dtypes.int64 if arr.size and (arr.min() < _INT32.min or arr.max() > _INT32.max) \
            else dtypes.int32
    if arr.dtype != np.float64:
        return None
    big = float(np.abs(arr).max()) if arr.size else 0.0
    if not big < (2.0 ** 63 if first is int else _OVERFLOW[dtypes.float32]):
        return None  # inf, NaN, a float out of range, a leading int past int64: the per-leaf rules
    return dtypes.float32


def _float_leaves(leaves, dtype):
    """`dtype` if every leaf converts to it: no complex or NumPy bool, and no
    finite float that rounds to infinity (ints may)."""
    limit = _OVERFLOW.get(dtype)
    for v in leaves:
        k = _kind(v)
        if k == "f":
            if limit is not None:
                big = float(np.max(np.abs(v), initial=0.0, where=np.isfinite(v))) \
                    if isinstance(v, np.ndarray) else abs(float(v))
                if limit <= big < math.inf:
                    raise ValueError(_FLOAT_RANGE)
        elif k not in "ib":
            raise ValueError(_MIXED)
    return dtype


def _contains_tensor(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v) for v in value)
    return is_tensor(value)


def constant_array(value, dtype=None):
    """A host value on the device: concrete even inside a `tf.function` trace, so
    that what TF knows statically there (a shape, a Python list) stays readable."""
    with jax.ensure_compile_time_eval():
        return jnp.asarray(value, dtype=dtype)


def _python_to_array(value, dtype: dtypes.DType | None):
    if isinstance(value, (list, tuple)):
        inferred = _sequence_dtype(value, dtype)
    elif dtype is not None and isinstance(value, int) and not isinstance(value, bool):
        inferred = dtypes.int64  # converted straight to the dtype: no range of its own
    else:
        inferred = _python_dtype(value)
        if dtype is None and type(value) is float and _OVERFLOW[dtypes.float32] <= abs(value) < math.inf:
            raise ValueError(_FLOAT_RANGE)
    if inferred is dtypes.string or dtype is dtypes.string:
        return _text(value, dtype, inferred)
    if dtype is None:
        dtype = inferred
    elif np.size(value) and (inferred.is_floating and (dtype.is_integer or dtype.is_bool)
                             or inferred.is_complex and not dtype.is_complex
                             or inferred.is_integer and dtype.is_bool):
        # An empty list has no value that could fail to fit: `constant([], tf.int32)`.
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {kernel_dtype_name(dtype)}")
    try:
        return constant_array(np.asarray(value, dtype=dtype.as_numpy_dtype))
    except OverflowError:
        objects = np.asarray(value, dtype=object)
        if any(not _INT64.min <= v <= _INT64.max for v in objects.reshape(-1).tolist()):
            raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.") from None
        # A requested integer dtype wraps around, as TF's C cast does.
        wrapped = np.asarray(objects % (1 << 64), dtype=np.uint64)
        return constant_array(wrapped.astype(dtype.as_numpy_dtype))


def _text(value, dtype, inferred):
    """A (nested) list holding text: bytes on the host, or TF's errors."""
    if inferred is not dtypes.string and np.size(value):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string")
    if dtype is not None and dtype is not dtypes.string:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {kernel_dtype_name(dtype)}")
    return strings.bytes_array(value)


def _scalar(value, dtype):
    """A cached device scalar for a Python number."""
    key = (type(value), value, dtype)
    hit = _scalar_cache.get(key)
    if hit is not None:
        return hit
    with jax.ensure_compile_time_eval():  # a concrete array even inside a trace: it is cached
        array = _python_to_array(value, dtype)
    if value == value and not (value == 0 and isinstance(value, float)):  # NaN and -0.0 skip the cache
        if len(_scalar_cache) >= _SCALAR_CACHE_SIZE:
            _scalar_cache.clear()
        _scalar_cache[key] = array
    return array


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None) -> Tensor:
    """`tf.convert_to_tensor`: a Tensor for `value`, in `dtype` if given."""
    if isinstance(value, Tensor):
        if dtype is not None and dtypes.as_dtype(dtype) != value.dtype:
            raise ValueError(
                ("" if name is None else f"{name}: ") +  # TF names the argument when given one
                f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} "
                f"for Tensor with dtype {value.dtype.name}: {value!r}")
        return value
    read = getattr(value, "_read_for_op", None)
    if read is not None:  # a Variable
        tensor = read()
        if dtype is not None and dtypes.as_dtype(dtype) != tensor.dtype:
            raise ValueError(
                ("" if name is None else f"{name}: ") +
                f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} "
                f"for Tensor with dtype {tensor.dtype.name}: {tensor!r}")
        return tensor
    if _registered:  # empty unless a script registered a conversion
        funcs = _registered_for(type(value))
        if funcs:
            return _registered_conversion(value, funcs, dtype, dtype_hint, name)
    dtype = None if dtype is None else dtypes.as_dtype(dtype)
    if dtype is None and dtype_hint is not None:
        try:
            return convert_to_tensor(value, dtype_hint)
        except (TypeError, ValueError):
            pass
    if isinstance(value, (bool, numbers.Number)) and not isinstance(value, (np.generic, np.ndarray)):
        return Tensor(_scalar(value, dtype))
    if isinstance(value, (np.ndarray, np.generic)):
        if dtype is dtypes.string or value.dtype.kind in "USO" and dtype is None:
            return strings.string_tensor(value, dtype)
        if value.dtype.kind in "USO":  # text to a number: NumPy's parse and errors, as TF
            value = value.astype(dtype.as_numpy_dtype)
        target = dtypes.as_dtype(value.dtype) if dtype is None else dtype
        return Tensor(constant_array(value, target.as_numpy_dtype))
    if isinstance(value, jax.Array):
        if dtype is not None and value.dtype != dtype.as_numpy_dtype:
            value = value.astype(dtype.as_numpy_dtype)
        return Tensor(value)
    if isinstance(value, TensorShape):
        return _shape_tensor(value, dtype)
    if isinstance(value, (list, tuple)):
        return _sequence_tensor(value, dtype)
    if isinstance(value, (str, bytes)):
        return _text_tensor(value, dtype)
    if hasattr(value, "__jax_array__"):
        return convert_to_tensor(value.__jax_array__(), dtype)
    if hasattr(value, "__array__"):
        return convert_to_tensor(np.asarray(value), dtype)
    dense = getattr(value, "_dense_for_conversion", None)  # an IndexedSlices
    if dense is not None:
        return convert_to_tensor(dense(name), dtype)
    if value is None:
        raise ValueError("Attempt to convert a value (None) with an unsupported type "
                         "(<class 'NoneType'>) to a Tensor.")
    raise ValueError(f"Attempt to convert a value ({value!r}) with an unsupported type "
                     f"({type(value)}) to a Tensor.")


def _sequence_tensor(value, dtype):
    if _contains_tensor(value):
        packed = pack_nested(value)
        return packed if dtype is None else convert_to_tensor(packed, dtype)
    array = _python_to_array(value, dtype)
    return strings.StringTensor(array) if array.dtype == object else Tensor(array)


def _text_tensor(value, dtype):
    if dtype is not None and dtype is not dtypes.string:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {kernel_dtype_name(dtype)}")
    return strings.string_tensor(value)


# `tf.register_tensor_conversion_function`: {priority: [(base_type, fn), ...]}, and
# per queried type the types it is registered for (`_registered_for`'s cache).
_registered: dict = {}
_registered_types: dict = {}
# TF's catch-all conversion (the unsupported-type ValueError) sits at this
# priority, registered first: functions at it or after it never run.
_FALLBACK_PRIORITY = 200


@export("register_tensor_conversion_function")
def register_tensor_conversion_function(base_type, conversion_func, priority=100):
    """Makes `convert_to_tensor` (and so ops) accept instances of `base_type`:
    `conversion_func(value, dtype=None, name=None, as_ref=False)` returns a
    Tensor or NotImplemented; lower priorities are tried first, then
    registration order. Tensors and variables are converted before any."""
    base_types = base_type if isinstance(base_type, tuple) else (base_type,)
    if any(not isinstance(t, type) for t in base_types):
        raise TypeError("Argument `base_type` must be a type or a tuple of types. "
                        f"Obtained: {base_type}")
    if any(issubclass(t, (int, float, np.generic, np.ndarray)) for t in base_types):
        raise TypeError("Cannot register conversions for Python numeric types and "
                        "NumPy scalars and arrays.")
    if not callable(conversion_func):
        raise TypeError(f"Argument `conversion_func` must be callable. Received {conversion_func}.")
    _registered.setdefault(priority, []).append((base_type, conversion_func))
    _registered_types.clear()


def _registered_for(kind) -> list:
    """The (base_type, fn) pairs that apply to `kind`, in TF's order (cached per type).

    TF registers its own conversions of lists and tuples, shapes and dimensions
    at priority 100 when it is imported, so they come before any function a
    script registers at that priority or after it for those types."""
    hit = _registered_types.get(kind)
    if hit is None:
        if issubclass(kind, (int, float, np.generic, np.ndarray)):
            limit = 0  # TF's own conversion of numbers and arrays is registered at priority 0
        elif issubclass(kind, (list, tuple, TensorShape, Dimension)):
            limit = 100
        else:
            limit = _FALLBACK_PRIORITY
        hit = _registered_types[kind] = [
            (base, fn) for priority, entries in sorted(_registered.items())
            if priority < limit for base, fn in entries if issubclass(kind, base)]
    return hit


def is_registered(value) -> bool:
    """Whether a function registered for `value`'s type would convert it."""
    return bool(_registered) and bool(_registered_for(type(value)))


def convert_unregistered(value, dtype=None) -> Tensor:
    """What TF's own conversion (the one `tf.constant` uses, which never calls
    a function from `register_tensor_conversion_function`) makes of a `value`
    whose type has one: sequences, text, numbers and arrays by their kind,
    anything else TF's unsupported-type ValueError."""
    if hasattr(value, "_read_for_op"):  # a variable (its conversion comes before any)
        return convert_to_tensor(value, dtype)
    dtype = None if dtype is None else dtypes.as_dtype(dtype)
    if isinstance(value, (list, tuple)):
        return _sequence_tensor(list(value), dtype)
    if isinstance(value, (str, bytes)):
        return _text_tensor(str(value) if isinstance(value, str) else bytes(value), dtype)
    if isinstance(value, numbers.Complex):
        return Tensor(_scalar(complex(value), dtype))
    if hasattr(value, "__array__"):  # arrays never go through the registry
        return convert_to_tensor(np.asarray(value), dtype)
    raise ValueError(f"Attempt to convert a value ({value!r}) with an unsupported type "
                     f"({type(value)}) to a Tensor.")


def _registered_conversion(value, funcs, dtype, dtype_hint, name):
    """TF's registry walk: the first function not returning NotImplemented."""
    prefix = "" if name is None else f"{name}: "
    dtype = None if dtype is None else dtypes.as_dtype(dtype)
    hint = None if dtype_hint is None else dtypes.as_dtype(dtype_hint)
    for base, fn in funcs:
        result = None
        if dtype is None and hint is not None:
            try:
                result = fn(value, dtype=hint, name=name, as_ref=False)
            except (TypeError, ValueError):
                result = None
            else:
                if isinstance(result, Tensor) and result.dtype != hint:
                    raise RuntimeError(
                        f"{prefix}Conversion function {fn!r} for type {base} returned "
                        f"incompatible dtype: requested = {hint.name}, "
                        f"actual = {result.dtype.name}")
        if result is None:
            result = fn(value, dtype=dtype, name=name, as_ref=False)
        if result is NotImplemented:
            continue
        if not isinstance(result, Tensor):
            raise RuntimeError(f"{prefix}Conversion function {fn!r} for type {base} returned "
                               f"non-Tensor: {result!r}")
        if dtype is not None and result.dtype != dtype:
            raise RuntimeError(f"{prefix}Conversion function {fn} for type {base} returned "
                               f"incompatible dtype: requested = {dtype.name}, "
                               f"actual = {result.dtype.name}")
        return result
    raise ValueError(f"Attempt to convert a value ({value!r}) with an unsupported type "
                     f"({type(value)}) to a Tensor.")


def _shape_tensor(shape, dtype):
    """A fully known TensorShape converts to its dims: int32 unless too large, as TF."""
    if not shape.is_fully_defined():
        raise ValueError(f"Cannot convert a partially known TensorShape {shape} to a Tensor.")
    dims = shape.as_list()
    if dtype is None:
        dtype = dtypes.int64 if any(d >= 2**31 for d in dims) else dtypes.int32
    elif dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Cannot convert TensorShape {shape} to dtype {dtype}. "
                        "Allowed dtypes are tf.int32 and tf.int64.")
    return Tensor(constant_array(np.asarray(dims, dtype=dtype.as_numpy_dtype).reshape(len(dims))))


_tensor_cache: dict = {}


def scalar_tensor(value, np_dtype):
    """A cached constant Tensor for a Python int/float in a tensor's dtype.

    The hot path of `y * 1.01`: no conversion rules to re-run, no device
    transfer, one dict lookup. Returns None where TF would not convert
    silently (a float into an integer dtype), so the caller falls back to
    the general path and its errors.
    """
    key = (type(value), value, np_dtype)
    if not value and type(value) is float:
        key += (math.copysign(1.0, value),)  # 0.0 == -0.0, but they differ
    hit = _tensor_cache.get(key)
    if hit is not None:
        return hit
    if type(value) is float and np_dtype.kind not in "fc":
        return None
    if value != value:  # NaN never finds itself in a dict
        return Tensor(jnp.asarray(np.asarray(value, np_dtype)))
    if len(_tensor_cache) >= _SCALAR_CACHE_SIZE:
        _tensor_cache.clear()
    try:
        # device_put, not jnp.asarray: no XLA compile per dtype (a fresh process's
        # first `x ** 2` paid one); concrete even inside a trace: it is cached.
        with jax.ensure_compile_time_eval():
            array = jax.device_put(np.asarray(value, np_dtype))
    except OverflowError:
        return None
    hit = _tensor_cache[key] = Tensor(array)
    return hit


def cached_scalar_ids() -> set:
    """The ids of `scalar_tensor`'s cached Tensors: Python numbers, not captured tensors."""
    return {id(t) for t in _tensor_cache.values()}
