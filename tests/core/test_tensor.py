"""Tensor against real TF: metadata, Python operators, dtype rules, protocols.

Each case is a function of the `tf` module; it runs once with TensorFlow and
once with jaxtape, and both outcomes (value, or exception type and text) must
agree.
"""
import functools
import re

import numpy as np
import pytest

import jaxtape
from difftest import plain, real_tf, same_outcome


def _tensor(x):
    """A tensor's plain form, also saying whether it is a variable ("V") or not ("T")."""
    return ("tensor", "V" if type(x).__name__ == "ResourceVariable" else "T") + plain(x)


def same(fn, message=True):
    return same_outcome(fn, functools.partial(plain, tensor=_tensor), message)


def T(tf, *a, **k):
    return tf.constant(*a, **k)


# -- metadata ---------------------------------------------------------------------

def test_metadata_matches_tf():
    out = same(lambda tf: (T(tf, [[1., 2., 3.], [4., 5., 6.]]).numpy(),
                           str(T(tf, [[1., 2., 3.], [4., 5., 6.]]).shape),
                           repr(T(tf, [[1., 2.]]).shape),
                           T(tf, [[1.]]).ndim, T(tf, 1.).shape.as_list(),
                           T(tf, 1.).dtype.name, T(tf, 1.).dtype.is_floating,
                           T(tf, 1).dtype.is_floating, T(tf, 1).dtype.is_integer,
                           repr(T(tf, 1.).dtype), str(T(tf, 1.).dtype),
                           T(tf, 1.).dtype == tf.float32, T(tf, 1.).dtype == np.float32,
                           T(tf, 1.).dtype.as_numpy_dtype is np.float32, tf.int8.max,
                           type(T(tf, 1.).numpy()).__name__, type(T(tf, [1]).numpy()).__name__))
    assert out[1][1] == "(2, 3)"


def test_device_names_a_device():
    want = (T(real_tf(), 1.).device, T(real_tf(), 1.).backing_device)
    got = (T(jaxtape, 1.).device, T(jaxtape, 1.).backing_device)
    assert re.fullmatch(r"/job:localhost/replica:0/task:0/device:CPU:0", want[0])
    assert got == want


# -- operators ----------------------------------------------------------------------

A = [[1., -2.], [3., 4.5]]
OPERATORS = {
    "add": lambda tf: T(tf, A) + T(tf, A),
    "sub": lambda tf: T(tf, A) - 1.5,
    "mul": lambda tf: T(tf, A) * 2,
    "truediv": lambda tf: T(tf, A) / 4.,
    "int_truediv": lambda tf: T(tf, 7) / 2,
    "rtruediv_int": lambda tf: 7 / T(tf, 2),
    "floordiv": lambda tf: T(tf, [-7., 7.]) // 2,
    "rfloordiv": lambda tf: 7 // T(tf, [2, -2]),
    "mod": lambda tf: T(tf, [-7, 7]) % 3,
    "rmod": lambda tf: -7 % T(tf, 3),
    "float_mod": lambda tf: T(tf, [-7.5, 7.5]) % 2.,
    "pow": lambda tf: T(tf, A) ** 2,
    "rpow": lambda tf: 2. ** T(tf, A),
    "matmul": lambda tf: T(tf, A) @ T(tf, A),
    "int_matmul": lambda tf: T(tf, [[1, 2], [3, 4]]) @ T(tf, [[1, 2], [3, 4]]),
    "matmul_list": lambda tf: T(tf, [[1., 2.]]) @ [[1.], [2.]],
    "rmatmul_list": lambda tf: [[1., 2.]] @ T(tf, [[1.], [2.]]),
    "rmatmul_numpy": lambda tf: np.array([[1., 2.]], np.float32) @ T(tf, [[1.], [2.]]),
    "neg": lambda tf: -T(tf, A),
    "abs": lambda tf: abs(T(tf, [-2, 3])),
    "lt": lambda tf: T(tf, [1., 2.]) < 2,
    "le": lambda tf: T(tf, [1., 2.]) <= 1.,
    "gt": lambda tf: 2 > T(tf, [1., 2.]),
    "ge": lambda tf: T(tf, [1., 2.]) >= T(tf, [2., 1.]),
    "eq": lambda tf: T(tf, [1., 2.]) == [1., 3.],
    "ne": lambda tf: T(tf, [1., 2.]) != 2,
    "eq_none": lambda tf: (T(tf, 1.) == None, T(tf, 1.) != None),  # noqa: E711
    "eq_incompatible_shapes": lambda tf: (T(tf, [1., 2.]) == T(tf, [1., 2., 3.]),
                                          T(tf, [1, 2]) != [1, 2, 3]),
    "eq_mixed_dtypes": lambda tf: T(tf, 1.) == T(tf, 1),
    "radd_list": lambda tf: [1., 2.] + T(tf, [1., 2.]),
    "radd_numpy_f64": lambda tf: np.array([1., 2.]) + T(tf, [1., 2.]),
    "rmul_numpy_f32": lambda tf: np.array([1., 2.], np.float32) * T(tf, [1., 2.]),
    "rsub_numpy_int": lambda tf: np.array([1, 2]) - T(tf, [1, 2]),
    "and_bool": lambda tf: T(tf, [True, False]) & True,
    "ror_bool": lambda tf: True | T(tf, [False, False]),
    "xor_bool": lambda tf: T(tf, [True]) ^ T(tf, [True]),
    "invert_bool": lambda tf: ~T(tf, [True, False]),
    "and_int": lambda tf: (T(tf, 3) & 5, 6 & T(tf, 3), T(tf, 1) | 6, T(tf, 5) ^ 6),
    "invert_int": lambda tf: (~T(tf, [1, -2]), ~T(tf, 3, tf.uint8)),
    "and_float": lambda tf: T(tf, 1.) & T(tf, 1.),
    "invert_float": lambda tf: ~T(tf, 1.),
    "mixed_dtypes": lambda tf: T(tf, 1.) + T(tf, 1),
    "mixed_float_widths": lambda tf: T(tf, 1.) * T(tf, 1., tf.float64),
    "incompatible_matmul": lambda tf: T(tf, [[1., 2.]]) @ T(tf, [[1., 2.]]),
    "bad_getitem": lambda tf: T(tf, [1., 2.])[5],
    "mul_bool": lambda tf: T(tf, [True, False]) * T(tf, [True, True]),
    "add_bool": lambda tf: T(tf, [True]) + T(tf, [True]),
    "rtruediv_float": lambda tf: 1 / T(tf, 2.),
    "radd_float_into_int": lambda tf: 2.5 + T(tf, 1),
    "rsub_int_into_float": lambda tf: 3 - T(tf, [1., 2.]),
    "empty_list_with_dtype": lambda tf: (T(tf, [], tf.int32), T(tf, [[]], tf.bool)),
}


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator(name):
    same(OPERATORS[name])


def test_unary_plus_is_unsupported_as_in_tf():
    # The message names the class (EagerTensor vs Tensor), so compare the type only.
    assert same(lambda tf: +T(tf, A), message=False) == ("raises", "TypeError")
    assert same(lambda tf: +tf.Variable(1.), message=False) == ("raises", "TypeError")


def test_strings_do_not_convert_to_numbers():
    same(lambda tf: tf.constant("a", tf.float32))
    same(lambda tf: tf.convert_to_tensor("a", tf.int32))
    # TF names the dtype it tried; jaxtape, lacking string tensors, says so instead.
    assert same(lambda tf: T(tf, 1.) == "a", message=False) == ("raises", "TypeError")


def test_operators_on_variables_give_tensors():
    out = same(lambda tf: [tf.Variable(2.) ** 2, 2. - tf.Variable(2.), -tf.Variable(3.),
                           abs(tf.Variable(-3.)), tf.Variable(3) // 2, tf.Variable(3.) > 2,
                           tf.Variable([1., 2.])[0], tf.Variable(1.) * tf.Variable(2.),
                           tf.Variable([[1., 2.]]) @ tf.constant([[1.], [2.]])])
    assert all(o[1] == "T" for o in out[1])


def test_operator_gradients():
    # Every differentiable operator's gradient, through the harness.
    from difftest import check
    a = np.array([[1.5, -2.], [3., 4.5]], np.float32)
    b = np.array([[0.5, 2.], [-1., 2.5]], np.float32)
    check(lambda tf, x, y: [x + y, x - y, x * y, x / y, x ** 2, 2. ** x, x @ y, -x, abs(x),
                            3. - x, 1. / y, y % 2., x[0] * y[:, 1]], a, b)


# -- dtype rules ----------------------------------------------------------------------

def test_conversion_dtypes():
    same(lambda tf: [T(tf, 1.), T(tf, 1), T(tf, [1, 2.5]), T(tf, True), T(tf, 2 ** 40),
                     T(tf, np.float64(2.5)), T(tf, np.arange(3.)), T(tf, np.int64(3)),
                     T(tf, 1.0, dtype=tf.int32), T(tf, 1 + 2j)])


def test_numpy_scalars_do_not_promote_float32():
    # TF converts a NumPy operand to the tensor's dtype: no silent float64.
    out = same(lambda tf: [T(tf, 1.) * np.float64(2), np.float64(2) * T(tf, 1.),
                           T(tf, [1.]) + np.array([1.]), T(tf, 1.5) * np.float16(2),
                           T(tf, [2.]) + np.array([2.], np.float64), T(tf, 2., tf.float64) * 2.5,
                           T(tf, [1.]) + np.array([1], np.int64), T(tf, 1, tf.int8) + 2])
    assert [o[2] for o in out[1][:5]] == ["float32"] * 5


def test_mixed_dtype_error_message():
    got = same(lambda tf: T(tf, [1.]) + T(tf, [1], tf.int32))
    assert got == ("raises", "InvalidArgumentError",
                   "cannot compute AddV2 as input #1(zero-based) was expected to be a float "
                   "tensor but is a int32 tensor [Op:AddV2] name: ")


# -- Python protocols ----------------------------------------------------------------

PROTOCOLS = {
    "bool_scalar": lambda tf: (bool(T(tf, 0.)), bool(T(tf, [1.])), bool(T(tf, 2))),
    "bool_empty": lambda tf: bool(T(tf, np.zeros(0, np.float32))),
    "bool_many": lambda tf: bool(T(tf, [1., 2.])),
    "float": lambda tf: (float(T(tf, 2.5)), float(T(tf, 3)), float(tf.Variable(3.))),
    "float_vector": lambda tf: float(T(tf, [2.])),
    "int": lambda tf: (int(T(tf, 2.7)), int(T(tf, -3)), int(tf.Variable(3))),
    "int_vector": lambda tf: int(T(tf, [3])),
    "index": lambda tf: ([10, 20, 30][T(tf, 1)], list(range(T(tf, 3))), np.arange(5)[T(tf, 2)]),
    "index_float": lambda tf: [1, 2][T(tf, 1.)],
    "len": lambda tf: (len(T(tf, [1, 2])), len(T(tf, np.zeros((3, 2))))),
    "len_scalar": lambda tf: len(T(tf, 1)),
    "iter": lambda tf: list(T(tf, [[1., 2.], [3., 4.]])),
    "iter_scalar": lambda tf: iter(T(tf, 1.)),
    "complex": lambda tf: complex(T(tf, 2.)),
    "format": lambda tf: (f"{T(tf, 1.5)}", f"{T(tf, 3)}", f"{T(tf, [1.5])}",
                          f"{T(tf, 1.5):.2f}", "%s" % T(tf, 1.)),
    "format_spec_on_vector": lambda tf: format(T(tf, [1.5]), ".2f"),
    "hash": lambda tf: hash(T(tf, 1.)),
    "array": lambda tf: (np.mean(T(tf, [1., 2.])), np.asarray(T(tf, [1., 2.])),
                         np.array(T(tf, [1., 2.]), dtype=np.float64),
                         np.sum(T(tf, [[1, 2]]), axis=1), np.asarray(tf.Variable([1., 2.]))),
    "is_tensor": lambda tf: (tf.is_tensor(T(tf, 1.)), tf.is_tensor(tf.Variable(1.)),
                             tf.is_tensor(1.), tf.is_tensor(np.ones(2)),
                             isinstance(tf.Variable(1.) + 1., tf.Tensor)),
}


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_protocol(name):
    same(PROTOCOLS[name])


# -- indexing and NumPy with gradients -----------------------------------------------

def _getitem_grads(tf):
    x = T(tf, [[1., 2., 3.], [4., 5., 6.]])
    with tf.GradientTape() as g:
        g.watch(x)
        y = x[1] * x[0, 1:] [..., None] + x[:, ::-1][0, 0] * x[-1, -1]
    return y, g.gradient(y, x)


def test_getitem_with_gradient():
    same(_getitem_grads)


def _numpy_disconnects(tf):
    x = T(tf, [1., 2.])
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        via_mean = T(tf, np.mean(x * x))
        via_array = T(tf, np.asarray(x * 3.)) * 2.
        via_numpy = T(tf, (x * x).numpy())
        connected = x * x
    return [g.gradient(t, x) for t in (via_mean, via_array, via_numpy, connected)]


def test_values_through_numpy_are_disconnected():
    out = same(_numpy_disconnects)
    assert out[1][:3] == [None, None, None] and out[1][3] is not None
