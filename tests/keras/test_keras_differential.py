"""tf.keras on jaxtape against real TF + Keras: the programs of programs.py, both sides.

Each side runs every program once, in its own subprocess (harness.py);
each test compares one program's results: values within rtol 1e-4, dtypes,
shapes and which gradients are None.
"""
import pytest

import harness
import programs

pytest.importorskip("keras")
pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def results():
    return harness.run_side("tf", programs.NAMES), harness.run_side("jax", programs.NAMES)


def _ok(outcome, side):
    assert outcome[0] == "ok", f"{side} raised {outcome[1]}: {outcome[2]}\n{outcome[3]}"
    return outcome[1]


# Where jaxtape still differs from TF, with why (none at present).
KNOWN = {}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n], strict=True)) if n in KNOWN else n
    for n in programs.NAMES])
def test_same_as_tensorflow(results, name):
    tf_side, jax_side = results
    expected = _ok(tf_side[name], "TensorFlow")
    actual = _ok(jax_side[name], "jaxtape")
    harness.assert_same(expected, actual, name)
