"""dynamic_partition, dynamic_stitch, bitcast, invert_permutation, parallel_stack, required_space_to_batch_paddings, fingerprint, edit_distance, is_non_decreasing, reciprocal_no_nan against real TensorFlow."""
import numpy as np
import pytest

from difftest import check, real_tf, same_outcome

rng = np.random.default_rng(0)



real = real_tf()


def so(f, message=True):
    same_outcome(f, message=message)


@pytest.mark.filterwarnings('ignore')
def test_partition_0():
    import sys; sys.path.insert(0,'tests')
    x=np.arange(12,dtype=np.float32).reshape(4,3)
    check(lambda tf,x: tf.dynamic_partition(x,[1,0,1,1],2), x)
    check(lambda tf,x: tf.dynamic_partition(x,[[1,0,2],[1,1,0],[2,2,2],[0,0,0]],3), x)
    check(lambda tf,x: tf.dynamic_stitch([[0,3],[3,1]], [x[:2], x[1:3]]), x)
    check(lambda tf,x: tf.dynamic_stitch([tf.constant([0,3]),tf.constant(5)], [x[:2], x[3]]), x)
    check(lambda tf,x: tf.function(lambda x: tf.dynamic_stitch([[0,3],[3,1]], [x[:2], x[1:3]]))(x), x)
    check(lambda tf,x: tf.function(lambda x: tf.dynamic_partition(x,[1,0,1,1],3))(x), x)
    for f in [lambda tf: tf.dynamic_stitch([[0,1]],[[1.,2,3]]), lambda tf: tf.dynamic_stitch([[0,-1]],[[1.,2]]),lambda tf: tf.dynamic_stitch([[0,1],[2]],[[[1.,2],[3,4]], [[1.]]]), lambda tf: tf.dynamic_stitch([[0.,1]],[[1.,2]]), lambda tf: tf.dynamic_stitch([[0,1]],[[1.,2],[3.,4]]), lambda tf: tf.dynamic_stitch([tf.constant([],tf.int32)],[tf.zeros([0,3])]), lambda tf: tf.dynamic_stitch([[0,1]],[[True,False]]), lambda tf: tf.dynamic_stitch([tf.constant([0,1])],[tf.constant([1,2],tf.int64)]),lambda tf: tf.dynamic_stitch([tf.constant([0,1]), tf.constant(3)],[tf.constant([1.,2]), tf.constant([5.])]),
      lambda tf: tf.dynamic_stitch([tf.constant([0,1],tf.int64)],[tf.constant([1.,2])]), lambda tf: tf.dynamic_stitch([tf.constant([0,1]),tf.constant([2])],[tf.constant([1.,2]), tf.constant([1])]),
      lambda tf: tf.dynamic_partition(x,[0,2,0,1],2), lambda tf: tf.dynamic_partition(x,[0,1],2), lambda tf: tf.dynamic_partition(x,tf.constant([0,1,0,1],tf.int64),2), lambda tf: tf.dynamic_partition(x,[0,1,0,0],0), lambda tf: tf.dynamic_partition(x,tf.constant([[0,1,0],[1,5,0],[0,0,0],[1,1,1]]),3), lambda tf: tf.dynamic_partition(['a','b'],[1,0],2), lambda tf: tf.dynamic_partition(x,[0.,1,0,0],2), lambda tf: tf.dynamic_partition(x,tf.constant(1),2)]:
      so(f)


@pytest.mark.filterwarnings('ignore')
def test_partition_1():
    for f in [lambda tf: tf.bitcast(tf.constant([1.,2.]), tf.uint8), lambda tf: tf.bitcast(tf.constant([[1,2,3,4]],tf.uint8), tf.float32), lambda tf: tf.bitcast(tf.constant([1,2,3],tf.uint8), tf.float32),lambda tf: tf.bitcast(tf.constant(1,tf.uint8), tf.float32),lambda tf: tf.bitcast(tf.constant([1.,2.]), tf.complex64),lambda tf: tf.bitcast(tf.constant([1j, 2-1j]), tf.float64),lambda tf: tf.bitcast(tf.constant([1j, 2-1j]), tf.int8), lambda tf: tf.bitcast(tf.constant([1j, 2-1j],tf.complex64), tf.uint64), lambda tf: tf.bitcast(tf.constant([True]), tf.int8), lambda tf: tf.bitcast(tf.constant(['a']), tf.int8), lambda tf: tf.bitcast([1,2],tf.int16), lambda tf: tf.bitcast(tf.constant([1.,2.],tf.bfloat16),tf.float16), lambda tf: tf.bitcast(tf.constant([1,2,3,4],tf.uint8),tf.bool), lambda tf: tf.bitcast(tf.constant(np.zeros((2,0),np.uint8)),tf.int16), lambda tf: tf.bitcast(tf.constant([-1, 5], tf.int32), tf.uint32), lambda tf: tf.bitcast(tf.constant([[-1, 5]], tf.int8), tf.uint16), lambda tf: tf.bitcast(tf.constant([-1, 5], tf.int8), tf.uint8)]:
        so(f)
    so(lambda tf: tf.function(lambda x: tf.bitcast(x, tf.float32))(tf.constant([1,2,3],tf.uint8)), message=False)
    def g(tf):
        x=tf.constant([1.,2.])
        with tf.GradientTape(persistent=True) as t:
            t.watch(x); y=tf.bitcast(x, tf.int32); z = tf.bitcast(x, tf.float32)
        return t.gradient(z, x)
    so(g)


@pytest.mark.filterwarnings('ignore')
def test_partition_2():
    for f in [lambda tf: tf.math.invert_permutation([2,0,1]), lambda tf: tf.math.invert_permutation(tf.constant([2,0,1],tf.int64)),lambda tf: tf.math.invert_permutation(tf.constant([2,0,0])), lambda tf: tf.math.invert_permutation(tf.constant([3,0,1])),lambda tf: tf.math.invert_permutation(tf.constant([-1,0,1])), lambda tf: tf.math.invert_permutation(tf.constant([[0]])), lambda tf: tf.math.invert_permutation(tf.constant([0.])),lambda tf: tf.math.invert_permutation(tf.constant([],tf.int32)), lambda tf: tf.function(lambda x: tf.math.invert_permutation(x))(tf.constant([1,2,0])),
     lambda tf: tf.parallel_stack([tf.constant(1.)]), lambda tf: tf.function(lambda x: tf.parallel_stack([x, 2*x]))(tf.constant([1.,2])),
     lambda tf: tf.required_space_to_batch_paddings([5,7],[2,3]), lambda tf: tf.required_space_to_batch_paddings([5,7],[2,3],[[1,0],[2,2]]), lambda tf: tf.required_space_to_batch_paddings([5],[[2]]), lambda tf: tf.required_space_to_batch_paddings([5,4],[2]),lambda tf: tf.required_space_to_batch_paddings([5,4],[2,2],[1,2]), lambda tf: tf.required_space_to_batch_paddings([5,4],[]), lambda tf: tf.required_space_to_batch_paddings([5.,4],[2,2]), lambda tf: tf.function(lambda s: tf.required_space_to_batch_paddings(s, [2,3], [[1,0],[2,2]]))(tf.constant([5,7])),
     lambda tf: tf.math.is_non_decreasing([1,1,2]), lambda tf: tf.math.is_non_decreasing(tf.constant([[1,2],[0,3]])), lambda tf: tf.math.is_strictly_increasing([1.]), lambda tf: tf.math.is_strictly_increasing(tf.constant(['a'])),lambda tf: tf.math.is_strictly_increasing(tf.constant([True])),lambda tf: tf.math.is_strictly_increasing(tf.constant([1+2j, 3j])), lambda tf: tf.function(tf.math.is_strictly_increasing)(tf.constant([1.,2,2])),
     lambda tf: tf.math.reciprocal_no_nan(tf.constant([0., 2.])), lambda tf: tf.math.reciprocal_no_nan(tf.constant([0, 2])), lambda tf: tf.math.reciprocal_no_nan([0., 2]),lambda tf: tf.math.reciprocal_no_nan(tf.constant([0j, 2]))]:
        so(f)
    def g(tf):
        @tf.function
        def f(x):
          with tf.GradientTape() as t:
            t.watch(x); y=tf.parallel_stack([x, 2*x])
          return y, t.gradient(y, x)
        return f(tf.constant([1.,2]))
    with pytest.raises(Exception, match='gradient registry has no entry for: ParallelConcat'):
        g(real)
    import jaxtape
    with pytest.raises(LookupError, match='ParallelConcat'):
        g(jaxtape)
    check(lambda tf, x: tf.math.reciprocal_no_nan(x), np.array([0., 2., -0.5], np.float32))


@pytest.mark.filterwarnings('ignore')
def test_partition_3():
    for f in [lambda tf: tf.fingerprint(tf.constant(1)), lambda tf: tf.fingerprint([1,2],method='x'), lambda tf: tf.fingerprint(tf.constant([[1,2],[3,4]],tf.int64)), lambda tf: tf.fingerprint(tf.constant([['a','bc'],['d','']])), lambda tf: tf.fingerprint(tf.constant(['a','bc'])), lambda tf: tf.fingerprint(tf.constant([True])), lambda tf: tf.fingerprint(tf.zeros([0,3])), lambda tf: tf.fingerprint(tf.zeros([2,0])), lambda tf: tf.fingerprint(tf.constant(np.arange(60.).reshape(3,4,5))), lambda tf: tf.fingerprint(tf.constant([[b'x'*70, b'yy'*20, b'']])), lambda tf: tf.fingerprint(tf.constant([1.5, -2], tf.bfloat16)), lambda tf: tf.fingerprint(tf.constant([1+1j]))]:
        so(f)


@pytest.mark.filterwarnings('ignore')
def test_partition_4():
    def sp(tf, i, v, s, dt=None): return tf.SparseTensor(i, v if dt is None else tf.constant(v, dt), s)
    H=([[0,0,0],[0,0,1],[1,0,0]], ['a','b','c'], [2,1,2]); T=([[0,0,0],[0,1,0],[1,0,0],[1,0,1]], ['a','c','c','d'], [2,2,2])
    for f in [lambda tf: tf.edit_distance(sp(tf,*H),sp(tf,*T)), lambda tf: tf.edit_distance(sp(tf,*H),sp(tf,*T),normalize=False), lambda tf: tf.edit_distance(sp(tf,*T),sp(tf,*H)), lambda tf: tf.edit_distance(sp(tf,*H), sp(tf,[[0,0]],['a'],[1,1])), lambda tf: tf.edit_distance(sp(tf,*H), sp(tf,[[0,0,0]],[1],[1,1,1])), lambda tf: tf.edit_distance(sp(tf,*H), 1), lambda tf: tf.edit_distance(sp(tf,[[0,0,0]],[1.5],[1,1,1]), sp(tf,[[0,0,0]],[1.5],[1,1,1])), lambda tf: tf.edit_distance(sp(tf,[[0,1]],[1],[1,2]), tf.SparseTensor(tf.zeros([0,2],tf.int64),tf.zeros([0],tf.int32),[1,2])), lambda tf: tf.edit_distance(sp(tf,[[1]],[1],[2]), sp(tf,[[0]],[1],[2])),
      lambda tf: tf.edit_distance(sp(tf,[[0,3],[0,1],[1,0],[1,2]],[1,2,3,4],[3,5]), sp(tf,[[0,0],[0,1],[0,2],[2,0]],[2,1,2,3],[2,3]))]:
        so(f)



def test_stitch_without_inputs():
    so(lambda tf: tf.dynamic_stitch([], []), message=False)  # TF's text names a random debug link
