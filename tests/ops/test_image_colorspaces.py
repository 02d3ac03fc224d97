"""tf.image YIQ/YUV conversions and tf.nn weighted_moments, sufficient_statistics, batch_norm_with_global_normalization against real TensorFlow."""
import numpy as np
import pytest

from difftest import check, real_tf, same_outcome

rng = np.random.default_rng(0)



def so(f, message=True):
    same_outcome(f, message=message)


@pytest.mark.filterwarnings('ignore')
def test_colorspaces_0():
    img=rng.uniform(size=(2,3,4,3)).astype(np.float32)
    check(lambda tf,x: tf.image.rgb_to_yiq(x), img, rtol=1e-4, atol=1e-4)
    for f in ["yiq_to_rgb","rgb_to_yuv","yuv_to_rgb"]:
        check(lambda tf,x: getattr(tf.image,f)(x), img)
        check(lambda tf,x: getattr(tf.image,f)(tf.cast(x, tf.float64)), img)
    so(lambda tf: tf.image.rgb_to_yuv(tf.constant([[1,2,3]])))
    so(lambda tf: tf.image.rgb_to_yuv(tf.constant([[1.,2]])), message=False)
    so(lambda tf: tf.image.rgb_to_yuv([[1.,2,3]]))


@pytest.mark.filterwarnings('ignore')
def test_colorspaces_1():
    x=rng.normal(size=(3,4,2)).astype(np.float32); w=rng.uniform(0,2,size=(3,4,1)).astype(np.float32)
    check(lambda tf,x,w: tf.nn.weighted_moments(x,[0,1],w), x, w)
    check(lambda tf,x,w: tf.nn.weighted_moments(x,[1],w, keepdims=True), x, w)
    check(lambda tf,x,w: tf.nn.weighted_moments(x,2,w[...,0:1]*0), x, w)
    check(lambda tf,x: tf.nn.weighted_moments(tf.cast(x,tf.float16),[0],tf.constant(2)), x, rtol=1e-2, atol=1e-2)
    check(lambda tf,x,s: tf.nn.sufficient_statistics(x,[0,-1],s), x, np.float32(0.3))
    check(lambda tf,x: tf.nn.sufficient_statistics(x,[1],keepdims=True), x)
    check(lambda tf,x: tf.function(lambda x: tf.nn.sufficient_statistics(x,[1,2]))(x), x)
    m=rng.normal(size=2).astype(np.float32); v=rng.uniform(0.5,2,size=2).astype(np.float32)
    check(lambda tf,x,m,v,b,g: tf.nn.batch_norm_with_global_normalization(x,m,v,b,g,1e-3,True), x,m,v,m*2,v, rtol=1e-4)
    check(lambda tf,x,m,v,b,g: tf.nn.batch_norm_with_global_normalization(x,m,v,b,g,1e-3,False), x,m,v,m*2,v, rtol=1e-4)
    so(lambda tf: tf.nn.weighted_moments(tf.constant([[1,2],[3,4]]), [0], [1,2]))
    so(lambda tf: tf.nn.sufficient_statistics(tf.constant([[1,2],[3,4]]), [0]))
    so(lambda tf: tf.nn.sufficient_statistics(tf.constant([[1.,2],[3,4]]), [2]))

