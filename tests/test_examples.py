"""Run every examples/*.py script under jaxtape and compare its stdout with
the output real TensorFlow produced (examples/expected/<name>.txt).

TensorFlow is not needed here: the expected files are stored in the repo and
regenerated with `python examples/regen_expected.py`.
"""
from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
EXPECTED = EXAMPLES / "expected"
# Helper scripts in examples/ that are not examples themselves.
NOT_EXAMPLES = {"regen_expected.py"}
TIMEOUT_S = 60


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.py") if p.name not in NOT_EXAMPLES)


def jaxtape_env() -> dict[str, str]:
    env = dict(os.environ)
    # Let JAX pick its default platform, as a user's run would.
    env.pop("JAX_PLATFORMS", None)
    env["PYTHONHASHSEED"] = "0"
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # Test the checkout's jaxtape even if another copy is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def test_every_example_has_expected_output():
    scripts = set(example_names())
    expected = {p.stem for p in EXPECTED.glob("*.txt")}
    assert scripts, "no example scripts found"
    assert scripts == expected, (
        f"scripts without expected output: {sorted(scripts - expected)}; "
        f"expected output without script: {sorted(expected - scripts)}; "
        "run `python examples/regen_expected.py`")


@pytest.mark.parametrize("name", example_names())
def test_example_matches_tensorflow(name):
    expected_file = EXPECTED / f"{name}.txt"
    if not expected_file.exists():
        pytest.fail(f"missing {expected_file.relative_to(REPO)}; run `python examples/regen_expected.py`")
    expected = expected_file.read_bytes().decode()

    cmd = [sys.executable, "-m", "jaxtape", "run", f"examples/{name}.py"]
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=jaxtape_env(), capture_output=True,
                              timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        err = (e.stderr or b"").decode(errors="replace")
        pytest.fail(f"{name}.py did not finish within {TIMEOUT_S} s\n"
                    f"--- stdout so far ---\n{out}\n--- stderr so far ---\n{err[-4000:]}")

    actual = proc.stdout.decode(errors="replace")
    stderr = proc.stderr.decode(errors="replace")
    problems = []
    if proc.returncode != 0:
        problems.append(f"exit status {proc.returncode}")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            f"expected/{name}.txt (tensorflow)", f"{name}.py (jaxtape)"))
        problems.append("stdout differs from TensorFlow's:\n" + diff)
    if problems:
        pytest.fail(f"{name}.py: " + "\n".join(problems)
                    + f"\n--- stderr (tail) ---\n{stderr[-4000:]}", pytrace=False)
