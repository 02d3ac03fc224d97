"""tf.linalg normalize, matrix_rank, tridiagonal_matmul/solve, eig/eigvals against real TensorFlow."""
import numpy as np
import pytest

from difftest import check, real_tf, same_outcome

rng = np.random.default_rng(0)



def so(f, message=True):
    same_outcome(f, message=message)


@pytest.mark.filterwarnings('ignore')
def test_linalg_0():
    d=rng.normal(size=(2,3,4)).astype(np.float32); d[:,1]+=4
    r=rng.normal(size=(2,4,2)).astype(np.float32)
    check(lambda tf,d,r: tf.linalg.tridiagonal_matmul(d,r), d, r, rtol=1e-4)
    check(lambda tf,d,r: tf.linalg.tridiagonal_solve(d,r), d, r, rtol=1e-4, atol=1e-5)
    check(lambda tf,d,r: tf.linalg.tridiagonal_solve(d,r[...,0]), d, r, rtol=1e-4, atol=1e-5)
    check(lambda tf,d,r: tf.linalg.tridiagonal_solve(d,r, transpose_rhs=True), d, np.swapaxes(r,-1,-2).copy(), rtol=1e-4, atol=1e-5)
    check(lambda tf,d,r: tf.linalg.tridiagonal_solve([d[:,0,:-1], d[:,1], d[:,2,1:]],r, diagonals_format='sequence'), d, r, rtol=1e-4, atol=1e-5)
    M=rng.normal(size=(2,4,4)).astype(np.float32)+4*np.eye(4,dtype=np.float32)
    check(lambda tf,m,r: tf.linalg.tridiagonal_solve(m,r, diagonals_format='matrix'), M, r, rtol=1e-4, atol=1e-5)
    check(lambda tf,m,r: tf.linalg.tridiagonal_matmul(m,r, diagonals_format='matrix'), M, r, rtol=1e-4, atol=1e-5)
    check(lambda tf,d,r: tf.linalg.tridiagonal_matmul([d[:,0], d[:,1], d[:,2]],r, diagonals_format='sequence'), d, r, rtol=1e-4)
    check(lambda tf,d,r: tf.function(lambda d, r: tf.linalg.tridiagonal_solve(d,r))(d, r), d, r, rtol=1e-4, atol=1e-5)
    dd=tf=None
    for f in [lambda tf: tf.linalg.tridiagonal_solve(tf.constant(d[0]), tf.constant([1,2])), lambda tf: tf.linalg.tridiagonal_solve(tf.constant([[1,2,0],[4,5,6],[0,7,8]]), tf.constant([1,2,3])), lambda tf: tf.linalg.tridiagonal_solve(tf.constant(d[0]), tf.constant([1.,2,3,4]), perturb_singular=True, partial_pivoting=False), lambda tf: tf.linalg.tridiagonal_solve(tf.zeros([2,3]), tf.constant([1.,2,3])), lambda tf: tf.linalg.tridiagonal_solve(tf.zeros([2,3]), tf.constant([1.,2,3]), diagonals_format='x'),
      lambda tf: tf.linalg.matrix_rank(tf.constant([[1.,2],[2,4]])), lambda tf: tf.linalg.matrix_rank(tf.constant(M)), lambda tf: tf.linalg.matrix_rank([[1.,2],[2,4.001]], tol=0.1), lambda tf: tf.linalg.matrix_rank(tf.constant([[1,2],[2,4]]))]:
        so(f)
    x=rng.normal(size=(3,4)).astype(np.float32)
    check(lambda tf,x: tf.linalg.normalize(x), x)
    check(lambda tf,x: tf.linalg.normalize(x, axis=1), x)
    check(lambda tf,x: tf.linalg.normalize(x, ord=1, axis=0), x)
    check(lambda tf,x: tf.linalg.normalize(x, ord='fro', axis=[0,1]), x)
    so(lambda tf: tf.linalg.normalize([1,2]))


@pytest.mark.filterwarnings('ignore')
def test_linalg_1():
    import jaxtape
    a=rng.normal(size=(2,3,3)).astype(np.float32)
    def sorted_vals(tf, x):
        e = tf.linalg.eigvals(x)
        return e
    real = real_tf()
    for x in [a, a.astype(np.float64), (a+1j*a[::-1]).astype(np.complex64)]:
        ev_tf = real.linalg.eigvals(x).numpy(); ev_j = jaxtape.linalg.eigvals(x).numpy()
        assert ev_tf.dtype == ev_j.dtype
        for p, q in zip(ev_tf, ev_j):
            np.testing.assert_allclose(np.sort_complex(p), np.sort_complex(q), rtol=1e-4, atol=1e-5)
        e, v = jaxtape.linalg.eig(x)
        np.testing.assert_allclose(np.einsum('bij,bjk->bik', x, v.numpy()), v.numpy()*e.numpy()[:,None,:], rtol=1e-4, atol=1e-4)
    # gradient of a symmetric function of the eigenvalues
    check(lambda tf, x: tf.math.real(tf.reduce_sum(tf.linalg.eigvals(x)**2)), a, rtol=1e-4, atol=1e-4)
    check(lambda tf, x: tf.math.real(tf.reduce_sum(tf.linalg.eig(x)[0]**3)), a, rtol=1e-4, atol=1e-4)
    for f in [lambda tf: tf.linalg.eig(tf.constant([[1,2],[3,4]])), lambda tf: tf.linalg.eig(tf.constant([1.,2])), lambda tf: tf.linalg.eig(tf.zeros([2,3])), lambda tf: tf.eig(tf.zeros([0,0])), lambda tf: tf.eigvals(tf.zeros([1,1]))]:
        so(f)

