"""The tf.keras bridge's own promises (no TensorFlow needed), each in a fresh
subprocess: Keras picks its backend once per process, and importing it must
stay out of the pytest process and out of `import jaxtape`."""
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(code, **env):
    full_env = dict(os.environ, JAX_PLATFORMS="cpu", **env)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full_env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_import_jaxtape_does_not_import_keras_and_missing_keras_names_the_extra():
    out = run("""
        import sys
        import jaxtape as tf
        assert "keras" not in sys.modules
        assert "keras" in dir(tf) and tf.keras.__name__ == "jaxtape.keras"
        sys.modules["keras"] = None  # as if Keras were not installed
        try:
            tf.keras.layers
        except ModuleNotFoundError as e:
            print(e)
        """)
    assert "pip install 'jaxtape[keras]'" in out


def test_keras_imported_with_another_backend_is_refused():
    pytest.importorskip("keras")
    out = run("""
        import keras
        import jaxtape as tf
        try:
            tf.keras.layers
        except RuntimeError as e:
            print(e)
        """, KERAS_BACKEND="numpy")
    assert "already imported with the 'numpy' backend" in out


def test_float32_as_under_tf_and_no_float64_op_in_a_traced_step():
    pytest.importorskip("keras")
    out = run("""
        import jax, numpy as np
        import jaxtape as tf
        from jaxtape._src.framework.tensor import Tensor

        def f64_ops(jaxpr):
            n = 0
            for eqn in jaxpr.eqns:
                n += any(getattr(v.aval, "dtype", None) == np.float64 for v in eqn.outvars)
                for p in eqn.params.values():
                    for sub in (p if isinstance(p, (list, tuple)) else [p]):
                        inner = getattr(sub, "jaxpr", sub)
                        if hasattr(inner, "eqns"):
                            n += f64_ops(inner)
            return n

        # The counter sees float64 inside nested programs.
        assert f64_ops(jax.make_jaxpr(jax.jit(lambda x: x * 2.0))(np.ones(2))) > 0

        def make_model():
            return tf.keras.Sequential([
                tf.keras.Input((4,)), tf.keras.layers.Dense(8, activation="relu"),
                tf.keras.layers.BatchNormalization(), tf.keras.layers.Dropout(0.2),
                tf.keras.layers.Dense(3)])

        model = make_model()
        loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        y = np.array([0, 1, 2, 1])

        def step(x):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(Tensor(x), training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            return [g._value for g in grads] + [loss._value]

        print("f64", f64_ops(jax.make_jaxpr(step)(np.ones((4, 4), np.float32)).jaxpr))

        # The same model in a tf.function train step: one compiled program, no float64
        # in it, no compile on later calls, every variable updated in place.
        compiles = []
        jax.monitoring.register_event_duration_secs_listener(
            lambda name, _, **kw: compiles.append(name)
            if name == "/jax/core/compile/backend_compile_duration" else None)
        model = make_model()  # the one above holds tracers: make_jaxpr ran its eager step
        optimizer = tf.keras.optimizers.Adam(0.01)
        mean = tf.keras.metrics.Mean()

        @tf.function
        def compiled_step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            mean.update_state(loss)
            return loss

        x = tf.constant(np.ones((4, 4), np.float32))
        compiled_step(x, y)
        before = len(compiles)
        moving_mean = model.layers[1].moving_mean.numpy()
        for _ in range(3):
            compiled_step(x, y)
        concrete, = compiled_step._cache.values()
        arrays = [v._value for v in concrete.in_vars] + [x._value, np.asarray(y)]
        print("compiled f64", f64_ops(jax.make_jaxpr(concrete.jitted)(*arrays).jaxpr),
              "later compiles", len(compiles) - before, "traces", compiled_step.experimental_get_tracing_count())
        print("updated", int(optimizer.iterations.numpy()), float(mean.count.numpy()),
              bool((model.layers[1].moving_mean.numpy() != moving_mean).any()),
              len(concrete.written) == len(concrete.in_vars))
        print("variables", sorted({v.dtype for v in model.variables}))
        print("python values", tf.keras.Variable([1.0]).dtype, tf.keras.Variable(2).dtype,
              tf.keras.ops.convert_to_tensor(np.float32(1)).dtype)

        # fit / evaluate / predict: Keras's own jitted steps, no float64 in them either
        # (the cross-entropy's one-hot targets were float64 under x64).
        from keras.src.backend.jax import trainer
        programs, jit = [], trainer.jit

        def recording_jit(fn, **kwargs):
            jitted = jit(fn, **kwargs)
            def call(*args):
                programs.append(jitted.lower(*args).as_text())
                return jitted(*args)
            return call

        trainer.jit = recording_jit
        model = make_model()
        model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss=loss_fn, metrics=["accuracy"])
        model.fit(np.ones((8, 4), np.float32), np.tile(y, 2), batch_size=4, verbose=0)
        model.evaluate(np.ones((4, 4), np.float32), y, verbose=0)
        print("trainer steps", len(programs), "f64", sum(p.count("f64") for p in programs),
              model.optimizer.iterations.dtype)

        # Batch-end callbacks: called with Python-number logs when a callback has
        # the hook; with only default hooks, no logs are dispatched at all.
        from keras.src.callbacks.callback_list import CallbackList
        dispatched, seen = [], []
        keras_own = CallbackList._on_train_batch_end
        CallbackList._on_train_batch_end = lambda self, *a: (dispatched.append(1), keras_own(self, *a))

        class Batches(tf.keras.callbacks.Callback):
            def on_batch_end(self, batch, logs=None):  # reached through on_train_batch_end
                seen.append((batch, type(logs["loss"]).__name__))

            def on_test_batch_end(self, batch, logs=None):
                seen.append(("test", batch))

        x8, y8 = np.ones((8, 4), np.float32), np.tile(y, 2)
        model.fit(x8, y8, batch_size=4, verbose=0)
        print("default hooks dispatched", len(dispatched))
        model.fit(x8, y8, batch_size=4, verbose=0, callbacks=[Batches()])
        model.evaluate(x8, y8, batch_size=4, verbose=0, callbacks=[Batches()])
        print("hooks dispatched", len(dispatched), "seen", seen)
        """)
    assert "f64 0" in out
    assert "compiled f64 0 later compiles 0 traces 1" in out, out
    assert "updated 4 4.0 True True" in out, out
    assert "variables ['float32', 'int64', 'uint32']" in out or "variables ['float32'" in out, out
    assert "python values float32 int32 float32" in out
    assert "trainer steps 3 f64 0 int64" in out, out
    assert "default hooks dispatched 0" in out, out
    assert "hooks dispatched 2 seen [(0, 'float'), (1, 'float'), ('test', 0), ('test', 1)]" in out, out


def test_plain_import_keras_under_the_runner_is_the_bridged_keras(tmp_path):
    pytest.importorskip("keras")
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import keras
        import tensorflow as tf
        layer = keras.layers.Dense(2, kernel_initializer="ones")
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(layer(tf.constant(np.ones((1, 3), np.float32))))
        print(keras.backend.backend(), tf.keras.layers.Dense is keras.layers.Dense,
              [g.numpy().tolist() for g in tape.gradient(y, layer.trainable_variables)])
        """))
    out = run(f"import runpy, sys; sys.argv = ['jaxtape', 'run', {str(script)!r}]; "
              f"runpy.run_module('jaxtape', run_name='__main__')")
    assert out.strip() == "jax True [[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [1.0, 1.0]]"


def test_steps_have_plain_keras_jax_convolutions_and_nested_tapes_still_work():
    """Inside tf.function a layer call keeps its pullback: the compiled CNN step
    holds as many convolutions as JAX's own autodiff of Keras's stateless call
    (no forward re-run in the backward). Eagerly the call keeps its residuals:
    the compiled backward holds only the backward's convolutions, and gives what
    the step-by-step and recorded (recomputing) backward passes give. Nested
    tapes and a tape outside the function give what the eager (TF-tested) path
    gives."""
    pytest.importorskip("keras")
    out = run("""
        import re, jax, numpy as np
        import jaxtape as tf

        keras = tf.keras
        L = keras.layers
        model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(4, 3, use_bias=False),
                                  L.BatchNormalization(), L.ReLU(), L.Conv2D(4, 3), L.Flatten(),
                                  L.Dense(3)])
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        x = np.random.default_rng(0).normal(size=(4, 8, 8, 1)).astype(np.float32)
        y = np.array([0, 1, 2, 1], np.int32)

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            return tape.gradient(loss, model.trainable_variables)

        xs, ys = tf.constant(x), tf.constant(y)
        step(xs, ys)
        concrete, = step._cache.values()
        arrays = [v._value for v in concrete.in_vars] + [xs._value, ys._value]
        convs = lambda hlo: len(re.findall(r" convolution\\(", hlo))
        ours = convs(concrete.jitted.lower(*arrays).compile().as_text())

        def plain(trainable, non_trainable, x, y):
            out, _ = model.stateless_call(trainable, non_trainable, x, training=True)
            return loss_fn(y, out)
        values = [[v.value for v in model.trainable_variables],
                  [v.value for v in model.non_trainable_variables], x, y]
        theirs = convs(jax.jit(jax.grad(plain)).lower(*values).compile().as_text())
        print("convolutions", ours, theirs)

        from jaxtape._src.tape import backward
        forward = convs(jax.jit(plain).lower(*values).compile().as_text())
        grads = {}
        for force in ("compiled", "steps", "recorded"):
            backward.config["force"] = force
            with tf.GradientTape() as tape:
                loss = loss_fn(ys, model(xs, training=True))
            grads[force] = [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]
        backward.config["force"] = None
        (key, program), = [(k, p) for k, p in backward._compiled.items()]
        spec = lambda avals: [jax.ShapeDtypeStruct(s, d) for s, d in avals]
        eager = convs(program.lower(spec(key[1]), spec(key[2])).compile().as_text())
        print("eager backward convolutions", eager, theirs - forward, forward)
        print("eager same", all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for other in ("steps", "recorded")
                                for a, b in zip(grads["compiled"], grads[other])))

        def penalty(x):
            with tf.GradientTape() as outer:
                with tf.GradientTape() as inner:
                    inner.watch(x)
                    out = model(x, training=False)
                g = inner.gradient(out, x)
                p = tf.reduce_mean(tf.square(g))
            return outer.gradient(p, model.trainable_variables)

        eager, traced = penalty(xs), tf.function(penalty)(xs)
        print("penalty", all((e is None) == (t is None) and
                             (e is None or np.allclose(e.numpy(), t.numpy(), rtol=1e-4, atol=1e-6))
                             for e, t in zip(eager, traced)))
        infer = tf.function(lambda x: model(x, training=False))
        grads = []
        for fn in (lambda x: model(x, training=False), infer):
            with tf.GradientTape() as tape:
                tape.watch(xs)
                out = tf.reduce_sum(fn(xs))
            grads.append(tape.gradient(out, xs).numpy())
        print("input gradient", np.allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6))
        """)
    convolutions = re.search(r"convolutions (\d+) (\d+)", out).groups()
    assert convolutions[0] == convolutions[1], out
    eager, backward_only, forward = re.search(r"eager backward convolutions (\d+) (\d+) (\d+)", out).groups()
    assert eager == backward_only and int(forward) > 0, out
    assert "eager same True" in out, out
    assert "penalty True" in out and "input gradient True" in out, out


def test_eager_metric_result_is_one_jitted_call_and_a_users_result_runs_as_written():
    """Keras's own metric's eager `result()` is one compiled call of its
    variables (its ops would each dispatch otherwise); a result a user's
    subclass writes runs in Python at every call, side effects included."""
    pytest.importorskip("keras")
    out = run("""
        import jax, numpy as np
        import jaxtape as tf
        from jaxtape._src.keras import training

        mean = tf.keras.metrics.Mean()
        mean.update_state(np.array([1.0, 2.0, 4.0], np.float32))
        first = mean.result()
        assert training._metric_result(mean) is not None
        calls = []
        real = training._metric_result
        training._metric_result = lambda m: calls.append(type(m).__name__) or real(m)
        print("keras", mean.result().numpy(), first.numpy(), type(first).__name__, calls)

        class Counted(tf.keras.metrics.Mean):
            seen = 0
            def result(self):
                Counted.seen += 1
                return super().result() * 2.0

        counted = Counted()
        counted.update_state(np.array([3.0], np.float32))
        print("user", counted.result().numpy(), counted.result().numpy(), Counted.seen)
        """)
    assert "keras 2.3333333 2.3333333 Tensor ['Mean']" in out, out
    assert "user 6.0 6.0 2" in out, out
