"""tf.math elementwise ops against real TensorFlow: values, dtypes, gradients, errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from difftest import check, check_raises

rng = np.random.default_rng(3)
X = rng.uniform(-2, 2, size=(2, 3)).astype(np.float32)
POS = rng.uniform(0.2, 0.9, size=(2, 3)).astype(np.float32)
Y = rng.uniform(0.5, 2, size=(3,)).astype(np.float32)
X64 = rng.normal(size=(4,))
C = (rng.normal(size=(3,)) + 1j * rng.normal(size=(3,))).astype(np.complex64)
KINKS = np.array([0., -1., 1., 2.5, -0.5, 0.5, 1.5], np.float32)

UNARY_ANY = ["sin", "cos", "tan", "atan", "sinh", "cosh", "tanh", "asinh", "exp", "expm1",
             "square", "negative", "abs", "sign", "sigmoid", "log_sigmoid", "erf", "erfc",
             "bessel_i0e", "bessel_i1e", "bessel_i0", "bessel_i1", "floor", "ceil", "round",
             "rint", "is_finite", "is_inf", "is_nan", "real", "imag", "angle", "conj"]
UNARY_UNIT = ["asin", "acos", "atanh", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "erfinv",
              "lgamma", "digamma", "ndtri", "erfcinv"]


@pytest.mark.parametrize("names,x", [(UNARY_ANY, X), (UNARY_UNIT, POS), (UNARY_ANY, X64)])
def test_unary(names, x):
    check(lambda tf, a: [getattr(tf.math, n)(a) for n in names], x, rtol=2e-5, atol=1e-5)


def test_special_namespace_and_acosh():
    check(lambda tf, a: (tf.math.special.bessel_i0e(a), tf.math.special.bessel_i1(a),
                         tf.math.special.dawsn(a), tf.math.special.expint(a),
                         tf.math.special.fresnel_cos(a), tf.math.special.fresnel_sin(a),
                         tf.math.special.spence(a), tf.math.acosh(a + 1.5), tf.math.lbeta(a)),
          POS, rtol=1e-4, atol=1e-5)


def test_top_level_aliases():
    check(lambda tf, a: (tf.abs(a), tf.sqrt(tf.abs(a)), tf.exp(a), tf.round(a), tf.sign(a),
                         tf.floor(a), tf.tanh(a), tf.nn.tanh(a), tf.nn.sigmoid(a), tf.atan2(a, a),
                         tf.cumsum(a), tf.reduce_logsumexp(a), tf.add_n([a, a])), X)


def test_complex():
    check(lambda tf, c: (tf.math.real(c), tf.math.imag(c), tf.math.angle(c), tf.math.conj(c),
                         tf.abs(c), tf.sign(c), tf.sqrt(c), tf.exp(c)), C, grad=False)


def test_gradients_at_kinks():
    # abs/sign at 0, rounding ops (None), sqrt/rsqrt/reciprocal under a masked zero gradient.
    check(lambda tf, a: (tf.abs(a), tf.sign(a), tf.floor(a), tf.round(a), tf.math.rint(a),
                         tf.where(a > 0, tf.sqrt(a), 0.), tf.where(a > 0, tf.math.rsqrt(a), 0.),
                         tf.where(a > 0, tf.math.reciprocal(a), 0.), tf.maximum(a, 0.),
                         tf.minimum(a, 0.5)), KINKS)
    check(lambda tf, a: tf.sqrt(a), np.array([0., 4.], np.float32))


def test_integer_and_bool_results_have_no_gradient():
    check(lambda tf, a: (tf.math.is_nan(a), tf.math.floordiv(a, 0.7), tf.truncatediv(a, 0.7),
                         tf.math.imag(a), tf.math.angle(a), tf.argmax(a)), X)


BINARY = ["add", "subtract", "multiply", "divide", "truediv", "maximum", "minimum", "pow",
          "squared_difference", "floormod", "mod", "floordiv", "atan2", "xlogy", "xdivy",
          "xlog1py", "divide_no_nan", "multiply_no_nan", "igamma", "igammac"]


def test_binary_float():
    a = rng.uniform(0.5, 3, size=(2, 3)).astype(np.float32)
    a[0, 0] = 0.0
    b = rng.uniform(0.5, 3, size=(3,)).astype(np.float32)
    b[1] = 0.0

    def ops(tf, a, b):
        # (TF's igamma at a = 0 is NaN with NaN gradients; that edge is left out.)
        out = [getattr(tf.math, n)(a + 0.25 if n.startswith("igamma") else a, b + 1.) for n in BINARY]
        out += [tf.math.divide_no_nan(a, b), tf.math.multiply_no_nan(a, b), tf.math.xdivy(a, b),
                tf.math.scalar_mul(2., a), tf.realdiv(a, b + 1.),
                tf.math.zeta(a + 1.5, b + 1.), tf.math.polygamma(tf.round(a), b + 1.)]
        return out
    check(ops, a, b, rtol=1e-4, atol=1e-5)
    # TF registers no gradient for TruncateMod (a LookupError there); values only.
    check(lambda tf, a, b: tf.truncatemod(a, b + 1.), a, b, grad=False)


def test_betainc_and_ties():
    a = np.array([0.5, 1., 2.], np.float32)
    check(lambda tf, a: tf.math.betainc(a, a + 1., a / 3.), a, rtol=1e-4, atol=1e-5)
    t = np.array([1., 2., 3.], np.float32)
    check(lambda tf, a, b: (tf.maximum(a, b), tf.minimum(a, b)), t, t.copy())


INTS = [np.array([-7, 7, -7, 6], np.int32), np.array([2, -2, -3, 3], np.int32)]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int16, np.uint8])
def test_integer_arithmetic(dtype):
    a = np.abs(INTS[0]).astype(dtype) if dtype == np.uint8 else INTS[0].astype(dtype)
    b = np.abs(INTS[1]).astype(dtype) if dtype == np.uint8 else INTS[1].astype(dtype)

    def ops(tf, a, b):
        out = [tf.add(a, b), tf.subtract(a, b), tf.multiply(a, b), tf.math.truediv(a, b),
               tf.divide(a, b), tf.math.floordiv(a, b), tf.math.floormod(a, b),
               tf.maximum(a, b), tf.minimum(a, b), tf.math.divide_no_nan(a, b), tf.round(a),
               tf.math.conj(a), a // b, a % b, a / b]
        if dtype in (np.int32, np.int64):  # kernels TF has for wide integers only
            out += [tf.math.squared_difference(a, b), tf.pow(a, tf.abs(b)), tf.abs(a), tf.sign(a),
                    tf.truncatediv(a, b), tf.truncatemod(a, b)]
        return out
    check(ops, a, b)


def test_int_truediv_dtypes():
    check(lambda tf: [tf.math.truediv(tf.constant(7, d), tf.constant(2, d))
                      for d in (tf.int8, tf.uint8, tf.int16, tf.uint16, tf.int32, tf.int64)]
          + [tf.math.divide(1, 2), tf.math.divide(1., tf.constant(4.)), tf.math.scalar_mul(2, tf.constant([1, 2]))])


@settings(max_examples=4, deadline=None)
@given(st.data())
def test_floor_division_and_rounding_signs(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    ints = st.integers(-9, 9)
    a = data.draw(hnp.arrays(np.int32, shapes.input_shapes[0], elements=ints))
    b = data.draw(hnp.arrays(np.int32, shapes.input_shapes[1], elements=ints.filter(bool)))
    fa = data.draw(hnp.arrays(np.float32, shapes.input_shapes[0],
                              elements=st.integers(-12, 12).map(lambda i: i / 4)))
    check(lambda tf, a, b, fa: (tf.math.floordiv(a, b), tf.math.floormod(a, b), tf.truncatediv(a, b),
                                tf.truncatemod(a, b), tf.round(fa), tf.math.rint(fa),
                                tf.math.floormod(fa, tf.cast(b, tf.float32)),
                                tf.math.floordiv(fa, tf.cast(b, tf.float32)), tf.add(fa, fa)),
          a, b, fa)


def test_nan_propagation():
    nan = np.float32("nan")
    a = np.array([nan, 1., nan], np.float32)
    b = np.array([1., nan, nan], np.float32)
    check(lambda tf, a, b: (tf.maximum(a, b), tf.minimum(a, b), tf.math.is_nan(a), tf.argmax(a),
                            tf.argmin(b)), a, b, grad=False)


@pytest.mark.parametrize("fn,match", [
    (lambda tf: tf.math.truediv(tf.constant(1), tf.constant(1.)),
     "`x` and `y` must have the same dtype, got tf.int32 != tf.float32."),
    (lambda tf: tf.math.divide(tf.constant(1), 2.5), "must have the same dtype"),
    (lambda tf: tf.pow(tf.constant([2, 3]), tf.constant([-1, 2])),
     "Integers to negative integer powers are not allowed"),
    (lambda tf: tf.constant(2) ** -1, "Integers to negative integer powers are not allowed"),
    (lambda tf: tf.add(tf.constant(True), tf.constant(False)),
     "Value for attr 'T' of bool is not in the list of allowed values"),
    (lambda tf: tf.multiply(tf.constant(True), tf.constant(False)), "Value for attr 'T' of bool"),
    (lambda tf: tf.maximum(tf.constant(True), tf.constant(False)), "Value for attr 'T' of bool"),
    (lambda tf: tf.add(tf.constant(1), 2.5), "cannot compute AddV2 as input #1(zero-based)"),
    (lambda tf: tf.multiply(tf.constant(1), 2.5), "Cannot convert 2.5 to EagerTensor of dtype int32"),
    (lambda tf: tf.add(tf.ones([2, 3]), tf.ones([3, 2])), "Incompatible shapes: [2,3] vs. [3,2]"),
    (lambda tf: tf.sqrt(tf.constant(4)),
     "Value for attr 'T' of int32 is not in the list of allowed values: bfloat16, half, float, "
     "double, complex64, complex128\n\t; NodeDef: {{node Sqrt}}; Op<name=Sqrt; signature=x:T -> y:T"),
    (lambda tf: tf.sin(tf.constant(4)), "Value for attr 'T' of int32"),
    (lambda tf: tf.math.lgamma(tf.constant(4)), "Value for attr 'T' of int32"),
    (lambda tf: tf.math.is_nan(tf.constant(4)), "Value for attr 'T' of int32"),
    (lambda tf: tf.floor(tf.constant(4)), "Value for attr 'T' of int32"),
    (lambda tf: tf.math.xlogy(tf.constant(1), tf.constant(2)), "Value for attr 'T' of int32"),
    (lambda tf: tf.negative(tf.constant(1, tf.uint8)), "Value for attr 'T' of uint8"),
    (lambda tf: tf.truncatemod(tf.constant(1, tf.int16), tf.constant(1, tf.int16)),
     "Value for attr 'T' of int16"),
    (lambda tf: tf.pow(tf.constant(1, tf.uint8), tf.constant(1, tf.uint8)), "Value for attr 'T' of uint8"),
    (lambda tf: tf.math.floordiv(tf.constant([7]), tf.constant([0])), "Integer division by zero"),
    (lambda tf: tf.math.floormod(tf.constant([7]), tf.constant([0])), "Integer division by zero"),
    (lambda tf: tf.truncatediv(tf.constant([7]), tf.constant([0])), "Unexpected error in binary"),
    (lambda tf: tf.math.scalar_mul(tf.constant([2.]), tf.constant([1., 2.])),
     "The input scalar must be a 0-D value. Received shape (1,)."),
    (lambda tf: tf.add_n([tf.ones([2]), tf.ones([3])]),
     "Inputs to operation AddN of type AddN must have the same size and shape.  Input 0: [2] != input 1: [3]"),
    (lambda tf: tf.add_n([]), "Inputs must be an iterable of at least one Tensor"),
    (lambda tf: tf.add_n([tf.ones([2]), tf.ones([2], tf.float64)]),
     "cannot compute AddN as input #1(zero-based) was expected to be a float tensor but is a double tensor"),
    (lambda tf: tf.math.polyval(3., tf.constant(2.)), "Argument coeffs must be list type."),
])
def test_errors(fn, match):
    check_raises(fn, match=match)


def test_add_n_and_polyval():
    check(lambda tf, a, b: (tf.add_n([a, b, a]), tf.add_n([a]), tf.math.accumulate_n([a, b]),
                            tf.math.polyval([a, b, 2.], a), tf.math.polyval([], a),
                            tf.math.polyval([1, 2], tf.constant(3))), X, X * 2)


def test_saturate_cast():
    """Clamped to the range the two dtypes share (float32's int32 max nudged down
    as TF's), complex parts clamped apiece; the clamp's gradient passes in range."""
    from difftest import same_values
    big = np.array([-1e10, -3., 0.4, 2.6, 300., 1e10, np.inf, -np.inf], np.float32)
    same_values(lambda tf: [tf.dtypes.saturate_cast(tf.constant(big), d) for d in ("uint8", "int32", "float16")]
                + [tf.saturate_cast(tf.constant([300, -5]), tf.uint8),
                   tf.saturate_cast(tf.constant([1e40 + 3e40j, 5 - 1e40j], tf.complex128), tf.complex64)])
    check(lambda tf, a: tf.saturate_cast(a * 1e5, tf.float16), X)
