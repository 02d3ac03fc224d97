"""Advanced autodiff guide, part 4: Jacobians.

tape.jacobian gives the gradient of every target element separately;
batch_jacobian skips the cross-batch blocks. Inputs and weights are small
integers (instead of random values and Keras layers) so the printed numbers
are exact.
"""
import tensorflow as tf

# Scalar source: the Jacobian has the target's shape.
x = tf.linspace(-10.0, 10.0, 200 + 1)
delta = tf.Variable(0.0)
with tf.GradientTape() as tape:
    y = tf.nn.sigmoid(x + delta)
dy_dx = tape.jacobian(y, delta)
print(y.shape)
print(dy_dx.shape)

# An exact variant: y = (x + d)^2 gives dy/dd = 2(x + d).
x = tf.constant([-1.0, 0.0, 1.0, 2.0])
d = tf.Variable(0.5)
with tf.GradientTape() as tape:
    y = (x + d) * (x + d)
print(tape.jacobian(y, d))

# Vector source: element i of y = x^2 only depends on x[i], so the Jacobian is diagonal.
x = tf.constant([1.0, 2.0, 3.0])
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x * x
print(tape.jacobian(y, x))

# Tensor source: a relu layer with a (5, 10) kernel applied to a (7, 5) batch.
x = tf.reshape(tf.range(35, dtype=tf.float32) % 7.0 - 3.0, [7, 5])
kernel = tf.Variable(tf.reshape(tf.range(50, dtype=tf.float32) % 5.0 - 2.0, [5, 10]))
bias = tf.Variable(tf.zeros([10]))
with tf.GradientTape(persistent=True) as tape:
    y = tf.nn.relu(x @ kernel + bias)
print(y.shape)
print(kernel.shape)
# The Jacobian's shape is the target's shape followed by the source's.
j = tape.jacobian(y, kernel)
print(j.shape)
# Summing over the target dimensions recovers the ordinary gradient.
g = tape.gradient(y, kernel)
print('g.shape:', g.shape)
j_sum = tf.reduce_sum(j, axis=[0, 1])
delta = tf.reduce_max(abs(g - j_sum)).numpy()
print('delta:', delta)
# Several sources at once, as a list.
jk, jb = tape.jacobian(y, [kernel, bias])
print(jk.shape, jb.shape)
print(jb[0])
del tape

# Hessian of a small two-layer relu network's loss with respect to the first
# kernel, by taking the Jacobian of a gradient.
x = tf.constant([[1.0, 2.0, -1.0], [0.0, 1.0, 1.0]])
w1 = tf.Variable([[1.0, 0.0, -1.0, 1.0], [0.0, 1.0, 1.0, -1.0], [1.0, 1.0, 0.0, 0.0]])
w2 = tf.Variable([[1.0, -1.0, 2.0, 0.0], [0.0, 1.0, 1.0, 1.0],
                  [2.0, 0.0, -1.0, 1.0], [1.0, 1.0, 0.0, -2.0]])
with tf.GradientTape() as t2:
    with tf.GradientTape() as t1:
        h = tf.nn.relu(x @ w1)
        out = tf.nn.relu(h @ w2)
        # 8 outputs: dividing by a power of two keeps the loss exact.
        loss = tf.reduce_mean(out ** 2)
    g = t1.gradient(loss, w1)
hess = t2.jacobian(g, w1)
print(loss)
print(g)
print(f'w1.shape: {w1.shape}')
print(f'hess.shape: {hess.shape}')

# Flatten into a matrix and a vector, as a Newton step would need.
n_params = tf.reduce_prod(w1.shape)
print(n_params)
g_vec = tf.reshape(g, [n_params, 1])
h_mat = tf.reshape(hess, [n_params, n_params])
print(h_mat.shape)
print(bool(tf.reduce_all(h_mat == tf.transpose(h_mat))))
print(tf.linalg.diag_part(h_mat))
eye_eps = tf.eye(h_mat.shape[0]) * 1e-3
update = tf.linalg.solve(h_mat + eye_eps, g_vec)
print(update.shape)
_ = w1.assign_sub(tf.reshape(update, w1.shape))
print(w1.shape)

# Batch Jacobian: each row of the output depends only on the same row of x.
x = tf.reshape(tf.range(14, dtype=tf.float32) % 5.0 - 2.0, [7, 2])
wa = tf.constant([[1.0, -1.0, 2.0], [2.0, 1.0, -1.0]])
wb = tf.constant([[1.0, 0.0], [-1.0, 1.0], [1.0, 2.0]])
with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
    tape.watch(x)
    y = tf.nn.relu(x @ wa) @ wb
print(y.shape)
j = tape.jacobian(y, x)
print(j.shape)
# Every (batch, batch) slice is diagonal.
print(j[:, 0, :, 0])
j_sum = tf.reduce_sum(j, axis=2)
print(j_sum.shape)
j_select = tf.einsum('bxby->bxy', j)
print(j_select.shape)
jb = tape.batch_jacobian(y, x)
print(jb.shape)
error = tf.reduce_max(abs(jb - j_sum))
print(error.numpy())
print(jb[1])
del tape

# batch_jacobian only checks shapes: when rows interact (here each row is
# scaled by the column sums) it still returns something of the expected shape,
# but it is not the per-example Jacobian. Column sums are [3, 12].
x = tf.constant([[1.0, 2.0], [3.0, 5.0], [-1.0, 1.0], [0.0, 4.0]])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = x * tf.reduce_sum(x, axis=0)
j = tape.jacobian(y, x)
print(f'j.shape: {j.shape}')
print(j[:, 0, :, 0])
jb = tape.batch_jacobian(y, x)
print(f'jb.shape: {jb.shape}')
print(jb[0])
print(tf.einsum('bxby->bxy', j)[0])
del tape
