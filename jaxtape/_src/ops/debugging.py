"""`tf.debugging`: eager assertions and `check_numerics`.

Everything runs eagerly, so each assertion either returns `None` or raises at
once, with the exception type and text TF's eager path produces: element-wise
conditions raise `InvalidArgumentError`, conditions on static facts (rank,
shape, dtype) raise `ValueError`/`TypeError`, as TF checks those statically.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.framework.messages import dtype_not_allowed, op_error
from jaxtape._src.framework.tensor import Tensor, is_tensor
from jaxtape._src.ops.support.args import elementwise, host_int, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_EVERYTHING = 10**9  # a negative `summarize` means "print every element"


def _prefix(message):
    return f"{message}.  " if message else ""


def _describe(x) -> str:
    return f"shape={x.shape} dtype={x.dtype.name}"


def _head(arr, n):
    """The first `n` elements of `arr` as strings, then "..." if there are more."""
    flat = arr.reshape(-1)
    parts = [str(v) for v in flat[:n]]
    if len(parts) < flat.size:
        parts.append("...")
    return parts


def _pretty(item, summarize):
    """One `data` entry as TF's eager binary asserts print it."""
    if is_tensor(item):
        arr = tensor(item).numpy()
        return str(arr) if np.ndim(arr) == 0 else str(_head(arr, summarize))
    return str(item)


def _fail(data, summarize):
    raise InvalidArgumentError(None, None, "\n".join(_pretty(d, summarize) for d in data))


def _summarize(summarize):
    if summarize is None:
        return 3
    return _EVERYTHING if summarize < 0 else int(summarize)


def _binary_assert(sym, op, compare, x, y, data, summarize, message):
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    x, y = elementwise(x, y, op)
    holds = np.asarray(compare(x._value, y._value))
    if holds.all():
        return None
    summarize = _summarize(summarize)
    if data is None:
        data = [f"Condition x {sym} y did not hold."]
        if summarize > 0:
            xv, yv = x.numpy(), y.numpy()
            if xv.shape == yv.shape and xv.ndim:
                bad = ~holds
                idx = np.argwhere(bad)
                n = min(summarize, idx.shape[0])
                data += ["Indices of first %d different values:" % n, idx[:n],
                         "Corresponding x values:", xv[bad].reshape(-1)[:n],
                         "Corresponding y values:", yv[bad].reshape(-1)[:n]]
            fx, fy = xv.reshape(-1), yv.reshape(-1)
            nx, ny = min(fx.size, summarize), min(fy.size, summarize)
            data += ["First %d elements of x:" % nx, fx[:nx], "First %d elements of y:" % ny, fy[:ny]]
    if message is not None:
        data = [message] + list(data)
    _fail(data, summarize)


def _binary(sym, op, compare, *names):
    """An `x <sym> y` element-wise assert exported as `names`."""
    def check(x, y, message=None, summarize=None, name=None):
        return _binary_assert(sym, op, compare, x, y, None, summarize, message)

    return defined(*names, doc=f"Raises InvalidArgumentError unless `x {sym} y` holds element-wise.")(check)


assert_equal = _binary("==", "Equal", jnp.equal, "debugging.assert_equal", "assert_equal")
assert_none_equal = _binary("!=", "NotEqual", jnp.not_equal, "debugging.assert_none_equal")
assert_less = _binary("<", "Less", jnp.less, "debugging.assert_less", "assert_less")
assert_less_equal = _binary("<=", "LessEqual", jnp.less_equal, "debugging.assert_less_equal")
assert_greater = _binary(">", "Greater", jnp.greater, "debugging.assert_greater", "assert_greater")
assert_greater_equal = _binary(">=", "GreaterEqual", jnp.greater_equal,
                               "debugging.assert_greater_equal")


def _unary(tf_name, condition, zero_first, compare, op, joined=False):
    """`x <sym> 0` asserts, which TF builds on the binary ones with its own data."""

    def check(x, message=None, summarize=None, name=None):
        x = convert_to_tensor(x)
        zero = convert_to_tensor(0, dtype=x.dtype)
        sep = "" if joined else None  # TF's assert_non_positive lacks one newline
        head = f"Condition {condition} did not hold element-wise:"
        body = f"x ({_describe(x)}) = "
        data = [_prefix(message)] + ([head + body] if sep == "" else [head, body]) + [x]
        a, b = (zero, x) if zero_first else (x, zero)
        return _binary_assert("", op, compare, a, b, data, summarize, None)

    return defined(tf_name, doc=f"Raises InvalidArgumentError unless `{condition}` holds element-wise.")(check)


assert_positive = _unary("debugging.assert_positive", "x > 0", True, jnp.less, "Less")
assert_negative = _unary("debugging.assert_negative", "x < 0", False, jnp.less, "Less")
assert_non_negative = _unary("debugging.assert_non_negative", "x >= 0", True, jnp.less_equal,
                             "LessEqual")
assert_non_positive = _unary("debugging.assert_non_positive", "x <= 0", False, jnp.less_equal,
                             "LessEqual", joined=True)


def _summarize_eager(value, summarize):
    """A data entry as TF's eager `Assert` prints it (strings as bytes)."""
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return str(value) if summarize != 0 else ""
    arr = tensor(value).numpy()
    summarize = 3 if summarize is None else (arr.size if summarize < 0 else summarize)
    if arr.ndim:
        parts = _head(arr, summarize)
    else:
        parts = [str(arr)] if summarize != 0 else []
    return ", ".join(parts)


@defined("debugging.Assert", "Assert")
def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TF's name
    """Raises InvalidArgumentError with the summarized `data` if `condition` is false."""
    if not bool(condition):
        text = "\n".join(_summarize_eager(d, summarize) for d in data)
        raise InvalidArgumentError(None, None, f"Expected '{condition!s}' to be true. Summarized data: {text}")
    return None


@defined("debugging.assert_near")
def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """`|x - y| < atol + rtol * |y|` element-wise; tolerances default to 10 eps."""
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype=x.dtype)
    real = x.dtype.real_dtype if x.dtype.is_complex else x.dtype
    eps = np.finfo(real.as_numpy_dtype).eps
    rtol = convert_to_tensor(10 * eps if rtol is None else rtol, dtype=real)
    atol = convert_to_tensor(10 * eps if atol is None else atol, dtype=real)
    data = [_prefix(message), f"x and y not equal to tolerance rtol = {rtol!s}, atol = {atol!s}",
            f"x ({_describe(x)}) = ", x, f"y ({_describe(y)}) = ", y]
    x, y = elementwise(x, y, "Sub")
    diff = jnp.abs(x._value - y._value)
    ok = Tensor(jnp.all(diff < atol._value + rtol._value * jnp.abs(y._value)))
    return Assert(ok, data, summarize=summarize)


# -- static checks -------------------------------------------------------------

def _rank_check(x, message, holds, wanted, what):
    x = convert_to_tensor(x)
    if not holds(x.ndim):
        raise ValueError(f"{_prefix(message)}Tensor  must have rank{what} {wanted}.  "
                         f"Received rank {x.ndim}, shape {x.shape}")


@defined("debugging.assert_rank", "assert_rank")
def assert_rank(x, rank, message=None, name=None):
    rank = host_int(rank)
    _rank_check(x, message, lambda r: r == rank, rank, "")


@defined("debugging.assert_rank_at_least")
def assert_rank_at_least(x, rank, message=None, name=None):
    rank = host_int(rank)
    _rank_check(x, message, lambda r: r >= rank, rank, " at least")


@defined("debugging.assert_rank_in")
def assert_rank_in(x, ranks, message=None, name=None):
    ranks = tuple(host_int(r) for r in ranks)
    _rank_check(x, message, lambda r: r in ranks, ranks, " in")


@defined("debugging.assert_scalar")
def assert_scalar(tensor, name=None, message=None):
    t = convert_to_tensor(tensor)
    if t.ndim != 0:
        raise ValueError(f"{_prefix(message)}Expected scalar shape, saw shape: {t.shape}.")
    # TF 2's endpoint returns None (the v1 one returned the tensor).


@defined("debugging.assert_type")
def assert_type(tensor, tf_type, message=None, name=None):
    tf_type = dtypes.as_dtype(tf_type)
    t = convert_to_tensor(tensor)
    if t.dtype != tf_type:
        raise TypeError(f"{_prefix(message)}tensor must be of type {tf_type!r}; got {t.dtype!r}")


@defined("debugging.assert_integer")
def assert_integer(x, message=None, name=None):
    x = convert_to_tensor(x)
    if not x.dtype.is_integer:
        raise TypeError(f'{_prefix(message)}Expected "x" to be integer type.  Found: tensor of '
                        f"dtype {x.dtype!s}")


@defined("debugging.assert_proper_iterable")
def assert_proper_iterable(values):
    """Rejects tensors, arrays and strings, which iterate but are not collections."""
    if is_tensor(values) or isinstance(values, (np.ndarray, str, bytes)):
        raise TypeError(f'Expected argument "values" to be a "proper" iterable.  Found: {type(values)}')
    if not hasattr(values, "__iter__"):
        raise TypeError(f'Expected argument "values" to be iterable.  Found: {type(values)}')


@defined("debugging.is_numeric_tensor")
def is_numeric_tensor(tensor):
    return isinstance(tensor, Tensor) and tensor.dtype.is_numeric and not tensor.dtype.is_bool


@defined("debugging.assert_shapes")
def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Checks ranks, then sizes: ints fix a size, strings name one that must
    agree across tensors, `None`/'.' accept any, and a leading `...`/'*'
    allows any number of outer dimensions. Scalars count as shape [1]."""
    if isinstance(shapes, dict):
        shapes = shapes.items()
    pre = _prefix(message)
    specs = []
    for x, spec in shapes:
        if spec is None:
            continue
        x = convert_to_tensor(x)
        if not (hasattr(spec, "__iter__") or hasattr(spec, "__getitem__")):
            raise ValueError(f"{pre}Tensor {_describe(x)}.  Specified shape must be an iterable.  "
                             f"An iterable has the attribute `__iter__` or `__getitem__`.  "
                             f"Received specified shape: {spec}")
        spec = tuple(spec)
        outer = False
        for i, s in enumerate(spec):
            if s is Ellipsis or s == "*":
                if i != 0:
                    raise ValueError(f"{pre}Tensor {_describe(x)} specified shape index {i}.  Symbol "
                                     "`...` or `*` for a variable number of unspecified dimensions "
                                     "is only allowed as the first entry")
                outer = True
        sizes = spec[1:] if outer else spec
        specs.append((x, outer, tuple(x.shape.as_list()) or (1,), sizes or (1,)))
    for x, outer, _, sizes in specs:
        rank = len(sizes)
        if outer:
            if rank > 1:
                assert_rank_at_least(x, rank, message=message)
        elif rank in (0, 1):
            assert_rank_in(x, (0, 1), message=message)
        else:
            assert_rank(x, rank, message=message)
    known = {}
    for x, outer, actual, sizes in specs:
        for i, sym in enumerate(sizes):
            if sym is None or sym == ".":
                continue
            dim = i - len(sizes) if outer else i
            fixed = _as_int(sym)
            if fixed is None and sym not in known:
                known[sym] = (actual[dim], x, dim)
                continue
            if fixed is not None:
                want, how = fixed, "Specified explicitly"
            else:
                want, by, at = known[sym]
                how = f"Specified by tensor {_describe(by)} dimension {at}"
            if actual[dim] != want:
                raise ValueError(f"{pre}{how}.  Tensor {_describe(x)} dimension {dim} must have "
                                 f"size {want}.  Received size {actual[dim]}, shape {x.shape}")


def _as_int(symbol):
    try:
        return int(symbol)
    except (TypeError, ValueError):
        return None


# -- numerics ------------------------------------------------------------------

_pass_through = Primitive(lambda x: x, "CheckNumerics")

_NUMERIC_KINDS = ("bfloat16", "float16", "float32", "float64")


@defined("debugging.check_numerics", primitive=_pass_through)
def check_numerics(tensor, message, name=None):
    """Returns `tensor` unchanged, or raises naming whether it held Inf/NaN."""
    t = convert_to_tensor(tensor)
    if t.dtype.name not in _NUMERIC_KINDS:
        raise dtype_not_allowed("CheckNumerics", t.dtype, "bfloat16, half, float, double")
    v = t._value
    has_inf, has_nan = bool(jnp.any(jnp.isinf(v))), bool(jnp.any(jnp.isnan(v)))
    if has_inf or has_nan:
        what = "Inf and NaN" if has_inf and has_nan else ("Inf" if has_inf else "NaN")
        raise op_error(f"{message} : Tensor had {what} values", "CheckNumerics")
    return _pass_through(t)


@defined("debugging.assert_all_finite")
def assert_all_finite(x, message, name=None):
    return check_numerics(x, message)
