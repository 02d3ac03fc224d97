"""WGAN-GP: a critic trained with a gradient penalty, Keras models, nested tapes.

Modeled on the gradient-penalty training step of Keras's "WGAN-GP" example
(Gulrajani et al., 2017): the critic's loss adds `(||d critic / d x|| - 1)^2`
at points between real and generated samples, which needs a tape inside a
tape. Here on 2-D synthetic data, with every random number drawn by NumPy
so all frameworks see the same ones. The critic step is a `tf.function`, the
generator step eager.
"""
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(3)
batch, noise_dim, penalty_weight = 32, 4, 10.0


def real_batch():
    angle = rng.uniform(0, 2 * np.pi, size=(batch, 1))
    return np.concatenate([np.cos(angle), np.sin(angle)], axis=1).astype(np.float32) * 2.0


def mlp(inputs, outputs, name):
    model = tf.keras.Sequential([tf.keras.Input((inputs,)),
                                 tf.keras.layers.Dense(16, activation="tanh"),
                                 tf.keras.layers.Dense(16, activation="tanh"),
                                 tf.keras.layers.Dense(outputs)], name=name)
    init = np.random.default_rng(len(name))
    model.set_weights([init.normal(scale=0.4, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


critic, generator = mlp(2, 1, "critic"), mlp(noise_dim, 2, "generator")
critic_opt = tf.keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9)
generator_opt = tf.keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9)


def gradient_penalty(real, fake, alpha):
    mixed = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        score = critic(mixed, training=True)
    grads = tape.gradient(score, mixed)
    norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=1) + 1e-12)
    return tf.reduce_mean((norm - 1.0) ** 2)


@tf.function
def critic_step(real, noise, alpha):
    with tf.GradientTape() as tape:
        fake = generator(noise, training=True)
        wasserstein = tf.reduce_mean(critic(fake, training=True)) - tf.reduce_mean(
            critic(real, training=True))
        penalty = gradient_penalty(real, fake, alpha)
        loss = wasserstein + penalty_weight * penalty
    grads = tape.gradient(loss, critic.trainable_variables)
    critic_opt.apply_gradients(zip(grads, critic.trainable_variables))
    return wasserstein, penalty


def generator_step(noise):
    with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(critic(generator(noise, training=True), training=True))
    grads = tape.gradient(loss, generator.trainable_variables)
    generator_opt.apply_gradients(zip(grads, generator.trainable_variables))
    return loss


# The penalty alone does not depend on the critic's output bias: its gradient is None.
with tf.GradientTape() as tape:
    alone = gradient_penalty(tf.constant(real_batch()), tf.constant(real_batch()[::-1]),
                             tf.constant(np.full((batch, 1), 0.5, np.float32)))
bias_grad = tape.gradient(alone, critic.trainable_variables)[-1]
print("penalty at the start:", round(float(alone), 4), "; output-bias gradient:", bias_grad)

for step in range(12):
    for _ in range(3):  # three critic updates per generator update, as in WGAN-GP
        noise = rng.normal(size=(batch, noise_dim)).astype(np.float32)
        alpha = rng.uniform(size=(batch, 1)).astype(np.float32)
        wasserstein, penalty = critic_step(tf.constant(real_batch()), tf.constant(noise),
                                           tf.constant(alpha))
    g_loss = generator_step(tf.constant(rng.normal(size=(batch, noise_dim)).astype(np.float32)))
    if step % 3 == 0:
        print(f"step {step}: critic W-distance {float(wasserstein):.4f}, "
              f"penalty {float(penalty):.4f}, generator loss {float(g_loss):.4f}")

print("critic updates:", int(critic_opt.iterations.numpy()),
      "generator updates:", int(generator_opt.iterations.numpy()))
