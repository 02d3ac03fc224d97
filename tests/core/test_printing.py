"""Printed forms, character for character against TensorFlow."""
import numpy as np
import pytest

import jaxtape
from difftest import real_tf

CASES = {
    "scalar_float": lambda tf: tf.constant(1.5),
    "scalar_third": lambda tf: tf.constant(1 / 3),
    "scalar_large": lambda tf: tf.constant(123456789.),
    "scalar_nan": lambda tf: tf.constant(np.nan),
    # A NumPy scalar: TF caches Python scalars and would hand back a cached 0.0 here.
    "scalar_neg_zero": lambda tf: tf.constant(np.float32(-0.)),
    "scalar_int": lambda tf: tf.constant(3),
    "scalar_bool": lambda tf: tf.constant(True),
    "scalar_float64": lambda tf: tf.constant(np.float64(2.5)),
    "scalar_uint8": lambda tf: tf.constant(np.uint8(3)),
    "scalar_complex": lambda tf: tf.constant(1 + 2j),
    "scalar_bfloat16": lambda tf: tf.constant(1., tf.bfloat16),
    "vector": lambda tf: tf.constant([1., 2.]),
    "vector_small_and_large": lambda tf: tf.constant([1e-10, 1.]),
    "vector_inf": lambda tf: tf.constant([np.inf, -0.]),
    "vector_half": lambda tf: tf.constant([1.5], tf.float16),
    "vector_bool": lambda tf: tf.constant([True, False]),
    "vector_int64": lambda tf: tf.constant([1, 2, 3], dtype=tf.int64),
    "vector_float64": lambda tf: tf.constant([1 / 3, 2 / 3], tf.float64),
    "vector_summarized": lambda tf: tf.constant(np.arange(2000.)),
    "matrix": lambda tf: tf.constant([[1., 2.], [3., 4.]]),
    "matrix_int": lambda tf: tf.constant([[1, 2], [3, 4]]),
    "matrix_empty": lambda tf: tf.constant(np.zeros((0, 3))),
    "rank3": lambda tf: tf.constant(np.arange(24.).reshape(2, 3, 4)),
    "rank3_column": lambda tf: tf.constant(np.arange(6.).reshape(3, 2, 1)),
    "op_result": lambda tf: tf.constant([[1., 2.]]) * 3 + 1,
    "variable_scalar": lambda tf: tf.Variable(1.),
    "variable_named": lambda tf: tf.Variable([1., 2.], name="x0"),
    "variable_int_matrix": lambda tf: tf.Variable([[1, 2], [3, 4]]),
    "variable_rank3": lambda tf: tf.Variable(np.zeros((2, 2, 2))),
    "variable_bool": lambda tf: tf.Variable(True),
    "variable_float64": lambda tf: tf.Variable(1.5, dtype=tf.float64),
    "shape": lambda tf: tf.constant([[1., 2., 3.], [4., 5., 6.]]).shape,
    "shape_scalar": lambda tf: tf.constant(1.).shape,
    "shape_vector": lambda tf: tf.constant([1.]).shape,
    "shape_unknown_dim": lambda tf: tf.TensorShape([None, 3]),
    "dtype": lambda tf: tf.float32,
    "dtype_of_tensor": lambda tf: tf.constant(1).dtype,
    "list_of_tensors": lambda tf: [tf.constant(1.), tf.constant([1, 2])],
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("show", [str, repr])
def test_printed_form(name, show):
    want = show(CASES[name](real_tf()))
    got = show(CASES[name](jaxtape))
    assert got == want


def test_print_writes_the_same(capsys):
    def script(tf):
        x = tf.constant([[1., 2.], [3., 4.]])
        print(x)
        print([x[0], tf.constant(3)], x.shape, x.dtype)
        print("loss:", tf.reduce_sum(x), f"{tf.reduce_mean(x)}")
        print(tf.Variable(2., name="w"))

    outputs = []
    for tf in (real_tf(), jaxtape):
        script(tf)
        outputs.append(capsys.readouterr().out)
    want, got = outputs
    assert "tf.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)" in want
    assert got == want
