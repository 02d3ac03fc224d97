"""`python -m jaxtape run SCRIPT ARGS`: unmodified TF scripts on jaxtape."""
import os
import subprocess
import sys
import textwrap

import pytest


def run(tmp_path, source, *args, name="script.py"):
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    # Run from an empty directory so nothing but the hook can answer `import tensorflow`.
    return subprocess.run([sys.executable, "-m", "jaxtape", "run", str(script), *args],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)


def test_script_runs_as_main_with_its_argv(tmp_path):
    done = run(tmp_path, """
        import sys
        import tensorflow as tf
        from tensorflow.python.eager.backprop import GradientTape
        import tensorflow.math
        from tensorflow import nn
        from tensorflow.math import sin

        x = tf.constant(2.)
        with GradientTape() as g:
            g.watch(x)
            y = nn.relu(tensorflow.math.square(x)) + sin(x) * 0.
        print(__name__, sys.argv[0].rsplit("/", 1)[-1], sys.argv[1:], float(g.gradient(y, x)))
        print(tf.__name__.split(".")[0], GradientTape is tf.GradientTape,
              tensorflow.math.square is tf.math.square, __file__.rsplit("/", 1)[-1])
    """, "a", "b c")
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "__main__ script.py ['a', 'b c'] 4.0"
    assert second == "jaxtape True True script.py"


def run_python(tmp_path, source):
    """`python -c source` in an empty directory, as a harness that aliases runs."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path, env=env)


def test_alias_by_sys_modules_imports_submodules(tmp_path):
    done = run_python(tmp_path, """
        import sys
        import jaxtape
        sys.modules["tensorflow"] = jaxtape
        from tensorflow.python.eager.backprop import GradientTape
        import tensorflow.math
        from tensorflow.math import sin
        from tensorflow import nn
        print(GradientTape is jaxtape.GradientTape, tensorflow.math is jaxtape.math,
              sin is jaxtape.math.sin, nn is jaxtape.nn, jaxtape.math.__spec__)
        try:
            import tensorflow.not_a_module
        except ModuleNotFoundError as e:
            print(e)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True True True True None",
                                        "jaxtape does not implement tf.not_a_module"]


def test_real_tensorflow_beside_jaxtape_imports_when_not_aliased(tmp_path):
    pytest.importorskip("tensorflow")
    done = run_python(tmp_path, """
        import jaxtape
        import tensorflow
        from tensorflow.python.eager.backprop import GradientTape
        import tensorflow.math
        print(tensorflow is jaxtape, GradientTape is jaxtape.GradientTape,
              tensorflow.math is jaxtape.math, GradientTape.__module__)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "False", "tensorflow.python.eager.backprop"]


def test_script_directory_is_importable(tmp_path):
    (tmp_path / "helper.py").write_text("import tensorflow as tf\nVALUE = tf.constant(3.) * 2.\n")
    done = run(tmp_path, """
        import helper
        print(helper.VALUE)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "tf.Tensor(6.0, shape=(), dtype=float32)"


@pytest.mark.parametrize("source", [
    "import tensorflow as tf\ntf.image.generate_bounding_box_proposals(tf.constant([1.]), 2.)\n",
    "from tensorflow.image import generate_bounding_box_proposals\n",
    "import tensorflow as tf\nfrom tensorflow import image\nimage.generate_bounding_box_proposals\n",
], ids=["attribute", "from_import", "module_attribute"])
def test_unimplemented_name_exits_nonzero_naming_it(tmp_path, source):
    done = run(tmp_path, source)
    assert done.returncode != 0
    assert "jaxtape does not implement tf.image.generate_bounding_box_proposals" in done.stderr


def test_unknown_submodule_names_it_as_tf(tmp_path):
    done = run(tmp_path, "import tensorflow.not_a_module\n")
    assert done.returncode != 0
    assert "jaxtape does not implement tf.not_a_module" in done.stderr


def test_script_exit_status_is_kept(tmp_path):
    done = run(tmp_path, "import sys\nsys.exit(3)\n")
    assert done.returncode == 3


def test_script_exception_exits_nonzero(tmp_path):
    done = run(tmp_path, "raise KeyError('boom')\n")
    assert done.returncode == 1
    assert "KeyError: 'boom'" in done.stderr


@pytest.mark.parametrize("argv", [[], ["run"], ["fly", "x.py"]], ids=["none", "no_script", "bad_command"])
def test_usage_error_exits_2(argv):
    done = subprocess.run([sys.executable, "-m", "jaxtape", *argv], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "usage: python -m jaxtape run SCRIPT" in done.stderr


def test_missing_script_exits_2(tmp_path):
    done = subprocess.run([sys.executable, "-m", "jaxtape", "run", str(tmp_path / "nope.py")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "can't open file" in done.stderr and "nope.py" in done.stderr
