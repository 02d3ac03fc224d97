"""The public boundary: `import jaxtape as tf` holds exactly the registered TF names.

Each `tf.*` namespace is built from the export registry; implementation
modules (`jaxtape._src...`) never show through, and any other name, in any
namespace, raises `NotImplementedInJaxtape` naming its TF path.
"""
import collections
import os
import subprocess
import sys
import types

import pytest

import jaxtape as tf
from jaxtape._src.api.namespaces import TF_NAMESPACES, Namespace
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.exports import REGISTRY

ROOT_EXTRAS = {"op", "numpy", "keras"}  # jaxtape's own names (and `__version__`); tf.keras is Keras itself


def expected_names():
    """{namespace path: its public names}: the registry's, plus TF's namespaces (empty where
    jaxtape registers nothing in them, so a missing name is reported in full)."""
    names = collections.defaultdict(set)
    for name in [*REGISTRY, *(f"{p}._" for p in TF_NAMESPACES)]:
        parts = name.split(".")
        for depth in range(len(parts)):
            names[".".join(parts[:depth])].add(parts[depth])
    for p in TF_NAMESPACES:
        names[p].discard("_")
    return names


def namespace(path):
    target = tf
    for part in path.split(".") if path else ():
        target = getattr(target, part)
    return target


def public(module):
    return {k for k in vars(module) if not k.startswith("_")}


@pytest.mark.parametrize("path", sorted(expected_names()), ids=lambda p: "tf." + p if p else "tf")
def test_namespace_holds_exactly_the_registered_names(path):
    module = namespace(path)
    want = expected_names()[path] | (ROOT_EXTRAS if not path else set())
    assert public(module) == want
    if path:
        assert type(module) is Namespace and not hasattr(module, "__file__")
        assert sorted(dir(module)) == sorted(want)


def test_root_lists_its_public_names():
    assert set(tf.__all__) == public(tf)
    assert tf.__version__ == "0.1.0"
    assert isinstance(tf.numpy, types.ModuleType) and tf.numpy.__name__ == "jaxtape.numpy"
    assert callable(tf.op)


@pytest.mark.parametrize("tf_path", [
    "tf.nest.flatten_up_to", "tf.compile", "tf.autodiff.forward", "tf.autodiff.jacobians",
    "tf.Primitive", "tf.primitive", "tf.interop", "tf.math.not_a_thing", "tf.lite.Interpreter",
    "tf.lookup.DenseHashTable", "tf.distribute.ParameterServerStrategy",
    "tf.nest.copy", "tf.nest.tree_util", "tf.nest.export", "tf.nest.is_leaf",
    "tf.python.eager.backprop.tape",
])
def test_missing_name_raises_naming_its_tf_path(tf_path):
    *parents, leaf = tf_path.split(".")[1:]
    parent = namespace(".".join(parents))
    with pytest.raises(NotImplementedInJaxtape, match=f"^jaxtape does not implement {tf_path}$"):
        getattr(parent, leaf)
    assert not hasattr(parent, leaf)  # an AttributeError too, so feature probes answer False


def test_namespaces_are_importable_modules():
    from jaxtape.nest import flatten
    from jaxtape.python.eager.backprop import GradientTape
    assert flatten is REGISTRY["nest.flatten"]
    assert GradientTape is tf.GradientTape
    assert sys.modules["jaxtape.math"] is tf.math


def test_runner_imports_nested_namespaces(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import tensorflow.python.eager.backprop\n"
                      "import tensorflow as tf\n"
                      "print(tensorflow.python.eager.backprop.GradientTape is tf.GradientTape)\n")
    done = subprocess.run([sys.executable, "-m", "jaxtape", "run", str(script)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
