"""tf.linalg, einsum and tensordot against real TensorFlow (values and gradients).

Inputs are well conditioned (symmetric positive definite where the op needs
it); eigenvectors and singular vectors are compared only through quantities
their signs cannot change.
"""
import numpy as np
import pytest

from difftest import check, check_raises

rng = np.random.default_rng(2)
M = rng.normal(size=(3, 3))
SPD = (M @ M.T + 3 * np.eye(3))
SPD_B = np.stack([SPD, SPD + np.diag([1., 2., 3.])])
G = M + 3 * np.eye(3)
R = rng.normal(size=(4, 3))
V = rng.normal(size=(3,))
RHS = rng.normal(size=(3, 2))
F32 = rng.normal(size=(3, 4)).astype(np.float32)


@pytest.mark.parametrize("fn", [
    lambda tf, a: (tf.linalg.slogdet(a), tf.linalg.logdet(a)),
    lambda tf, a: tf.linalg.inv(a, adjoint=True),
    lambda tf, a: tf.linalg.cholesky(a),
    lambda tf, a: tf.linalg.svd(a, compute_uv=False),
    lambda tf, a: tf.linalg.expm(a / 4),
    lambda tf, a: tf.linalg.pinv(a),
    lambda tf, a: tf.linalg.adjoint(a) * tf.linalg.trace(a),
])
def test_square_ops(fn):
    check(fn, SPD, rtol=1e-6, atol=1e-8)


def test_general_square():
    check(lambda tf, a: (tf.linalg.det(a), tf.linalg.qr(a),
                         tf.linalg.triangular_solve(a, tf.eye(3, dtype=tf.float64), lower=False,
                                                    adjoint=True)), G, rtol=1e-6, atol=1e-8)


def test_lu_family_has_no_gradient_in_tf():
    check(lambda tf, a: (tf.linalg.lu(a), tf.linalg.lu_reconstruct(*tf.linalg.lu(a)),
                         tf.linalg.lu_matrix_inverse(*tf.linalg.lu(a)),
                         tf.linalg.lu_solve(*tf.linalg.lu(a), tf.ones([3, 1], tf.float64))),
          G, grad=False, rtol=1e-6, atol=1e-8)


def test_batched():
    check(lambda tf, a: (tf.linalg.det(a), tf.linalg.eigvalsh(a)), SPD_B, rtol=1e-6, atol=1e-8)


def test_eigh_and_svd_sign_invariant_gradients():
    def eig(tf, a):
        e, v = tf.linalg.eigh(a)
        return e, v * v
    check(eig, SPD, rtol=1e-6, atol=1e-8)

    def sv(tf, a):
        s, u, v = tf.linalg.svd(a)
        return s, tf.matmul(u[:, :1], v[:, :1], transpose_b=True)
    check(sv, R, rtol=1e-6, atol=1e-8)
    check(lambda tf, a: [tf.shape(t) for t in tf.linalg.svd(a, full_matrices=True)], R)


def test_eigh_reads_the_lower_triangle():
    lower_only = np.tril(SPD) + np.triu(rng.normal(size=(3, 3)), 1)
    check(lambda tf, a: tf.linalg.eigvalsh(a), lower_only, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn", [
    lambda tf, a, b: tf.linalg.solve(a, b),
    lambda tf, a, b: tf.linalg.cholesky_solve(tf.linalg.cholesky(a), b),
    lambda tf, a, b: tf.linalg.triangular_solve(a, b),
    lambda tf, a, b: tf.linalg.lstsq(a, b, l2_regularizer=0.5),
    lambda tf, a, b: tf.linalg.lstsq(tf.transpose(a[:, :2]), b[:2]),
    lambda tf, a, b: tf.linalg.matvec(a, b[:, 0], transpose_a=True),
    lambda tf, a, b: tf.tensordot(a, b, [[0], [0]]),
    lambda tf, a, b: tf.tensordot(a, b, 0),
    lambda tf, a, b: tf.einsum("ij,ik", a, b),
    lambda tf, a, b: tf.linalg.einsum("ii->i", a),
    lambda tf, a, b: tf.einsum("...j,jk->...k", a, b),
    lambda tf, a, b: tf.linalg.cross(a, a[::-1] * b[:, :1]),
])
def test_two_operand_ops(fn):
    check(fn, SPD, RHS, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn", [
    lambda tf, x: tf.linalg.diag_part(x, k=(-1, 1), padding_value=9),
    lambda tf, x: tf.linalg.diag_part(tf.transpose(x), k=(-2, 1), align="LEFT_RIGHT"),
    lambda tf, x: tf.linalg.set_diag(x, tf.stack([x[:, 0], x[:, 1]]), k=(0, 1)),
    lambda tf, x: tf.linalg.diag(x[0], k=-1, num_rows=6, padding_value=1),
    lambda tf, x: tf.linalg.diag(x[:2], k=(-1, 0), num_cols=5, align="LEFT_RIGHT"),
    lambda tf, x: tf.linalg.band_part(x, 1, 0),
    lambda tf, x: tf.linalg.tensor_diag_part(tf.reshape(tf.linalg.tensor_diag(x[:, :2]), [3, 2, 3, 2])),
    lambda tf, x: tf.clip_by_global_norm([x, None, x[0]], 1.5),
    lambda tf, x: tf.clip_by_global_norm([x, x[0]], x[0, 0] * 0 + 2., use_norm=tf.constant(3.)),
])
def test_float32_structure_ops(fn):
    check(fn, F32)


def test_diagonal_layouts_values():
    def layouts(tf, x):
        return (tf.linalg.diag_part(x), tf.linalg.diag_part(x, k=(0, 2), align="RIGHT_RIGHT"),
                tf.linalg.set_diag(tf.transpose(x), tf.stack([x[0, :3], x[1, :3]]), k=(-1, 0),
                                   align="LEFT_LEFT"),
                tf.linalg.diag(x[:2, :2], k=(0, 1), num_rows=3), tf.linalg.diag(x[0], k=1),
                tf.linalg.band_part(x, -1, 1), tf.linalg.band_part(x, 0, -1),
                tf.linalg.global_norm([x, None, x[0]]), tf.clip_by_global_norm([x], 100)[0])
    check(layouts, F32, grad=False)


def test_clip_by_global_norm_infinite_norm_gives_nan():
    check(lambda tf, x: tf.clip_by_global_norm([x], 1.0), np.array([np.inf, 1.], np.float32),
          grad=False)


def _lstsq_gradient(tf, a, fast):
    with tf.GradientTape() as tape:
        tape.watch(a)
        x = tf.linalg.lstsq(tf.transpose(a), tf.ones([4, 1]), fast=fast)
    return tape.gradient(x, a)


@pytest.mark.parametrize("fn,match", [
    (lambda tf, a: tf.einsum("ij,jk->ik", a, a), "Expected dimension 4 at axis 0 of the input shaped [3,4] but got dimension 3"),
    (lambda tf, a: tf.einsum("ij,jk->iz", a, tf.transpose(a)), "Output subscripts contain the label z not present in the input subscripts."),
    (lambda tf, a: tf.einsum("ij->", a, a), 'Got 2 inputs for equation "ij->", expecting 1'),
    (lambda tf, a: tf.einsum("ijk,jk->i", a, a), "Expected input 0 to have rank 3 but got: 2"),
    (lambda tf, a: tf.einsum("i2->i", a), "Subscripts have incorrect format: i2->i"),
    (lambda tf, a: tf.tensordot(a, a, [[0], [1]]), "Matrix size-incompatible: In[0]: [4,3], In[1]: [4,3]"),
    (lambda tf, a: tf.linalg.matvec(a, tf.ones([3])), "Matrix size-incompatible: In[0]: [3,4], In[1]: [3,1]"),
    (lambda tf, a: tf.linalg.inv(tf.zeros([2, 2])), "Input is not invertible."),
    (lambda tf, a: tf.linalg.inv(a), "Input matrix must be square."),
    (lambda tf, a: tf.linalg.inv(tf.constant([[1, 2], [3, 4]])), "Value for attr 'T' of int32 is not in the list of allowed values: double, float, half, complex64, complex128"),
    (lambda tf, a: tf.linalg.det(a), "Input matrix must be square."),
    (lambda tf, a: tf.linalg.cholesky(a), "Input matrix must be square."),
    (lambda tf, a: tf.linalg.solve(tf.eye(2), tf.ones([3, 1])), "Input matrix and rhs are incompatible."),
    (lambda tf, a: tf.linalg.solve(tf.zeros([2, 2]), tf.ones([2, 1])), "Input matrix is not invertible."),
    (lambda tf, a: tf.linalg.triangular_solve(tf.eye(2), tf.ones([3, 1])), "In[0] mismatch In[1] shape: 2 vs. 3: [2,2] [3,1] 1 0"),
    (lambda tf, a: tf.linalg.cross(tf.ones([2]), tf.ones([2])), "Cross-products are only defined for 3-element vectors."),
    (lambda tf, a: _lstsq_gradient(tf, a, fast=False), "Gradient not defined for fast=False"),
    (lambda tf, a: tf.linalg.band_part(tf.ones([3]), 1, 1), "input must be at least 2-dim, received shape: [3]"),
    (lambda tf, a: tf.linalg.trace(tf.ones([3])), "input must be at least 2-dim, received shape: [3]"),
    (lambda tf, a: tf.linalg.diag_part(tf.ones([2, 3]), k=5), "lower_diag_index is out of bound: 5. It must be between -2 and 3"),
    (lambda tf, a: tf.linalg.global_norm(a), "`t_list` should be a sequence of tensors. Received <class 'tensorflow.python.framework.ops.EagerTensor'>."),
    (lambda tf, a: tf.clip_by_global_norm(a, 1.0), "`t_list` should be a sequence of tensors."),
    (lambda tf, a: tf.linalg.global_norm([a, tf.cast(a, tf.float64)]), "cannot compute Pack as input #1(zero-based) was expected to be a float tensor but is a double tensor"),
    (lambda tf, a: tf.linalg.global_norm([tf.ones([2], tf.int32)]), "Value for attr 'T' of int32 is not in the list of allowed values: half, bfloat16, float, double"),
])
def test_errors(fn, match):
    check_raises(fn, F32, match=match)
