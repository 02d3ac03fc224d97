"""Regenerate examples/expected/<name>.txt from real TensorFlow.

Every examples/*.py script (except this one) runs in its own subprocess under
the real `tensorflow` package; its stdout is stored byte for byte. The
jaxtape test suite (tests/test_examples.py) compares against these files, so
rerun this after adding or editing an example:

    python examples/regen_expected.py            # all scripts
    python examples/regen_expected.py NAME ...   # only some (name or name.py)
    python examples/regen_expected.py --check    # compare, write nothing

Requires an interpreter with tensorflow installed (tensorflow-cpu is enough);
--python picks a different one.
"""
from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
REPO = EXAMPLES.parent
EXPECTED = EXAMPLES / "expected"
SELF = Path(__file__).resolve().name


def example_scripts() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*.py") if p.name != SELF)


def tf_env() -> dict[str, str]:
    env = dict(os.environ)
    # Silence TF's C++ logging and fix hashing so any dict/set order is stable.
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # TF's portable kernels: oneDNN's results and errors depend on the CPU.
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"
    env["PYTHONHASHSEED"] = "0"
    # The reference is TensorFlow on CPU, even where a GPU build is installed.
    env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def run_with_tensorflow(script: Path, python: str, timeout: float) -> bytes:
    proc = subprocess.run(
        [python, str(script.relative_to(REPO))],
        cwd=REPO, env=tf_env(), capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"{script.name}: exited with status {proc.returncode}")
    return proc.stdout


def check_tensorflow(python: str) -> None:
    # Refuse to record output from anything other than real TensorFlow.
    probe = ("import tensorflow as tf, sys; "
             "sys.exit(0 if 'jaxtape' not in tf.__name__ + str(getattr(tf, '__file__', '')) else 1)")
    proc = subprocess.run([python, "-c", probe], cwd=REPO, env=tf_env(), capture_output=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"{python} cannot import the real tensorflow package")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scripts to run (default: all)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter with tensorflow installed (default: this one)")
    parser.add_argument("--check", action="store_true",
                        help="only report differences from the stored files")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds allowed per script")
    args = parser.parse_args(argv)

    scripts = example_scripts()
    if args.names:
        by_name = {p.stem: p for p in scripts}
        wanted = [n[:-3] if n.endswith(".py") else n for n in args.names]
        unknown = [n for n in wanted if n not in by_name]
        if unknown:
            parser.error(f"no such example: {', '.join(unknown)}")
        scripts = [by_name[n] for n in wanted]

    check_tensorflow(args.python)
    EXPECTED.mkdir(exist_ok=True)
    differing = 0
    for script in scripts:
        out = run_with_tensorflow(script, args.python, args.timeout)
        target = EXPECTED / f"{script.stem}.txt"
        old = target.read_bytes() if target.exists() else None
        if args.check:
            if old != out:
                differing += 1
                sys.stdout.writelines(difflib.unified_diff(
                    (old or b"").decode().splitlines(keepends=True),
                    out.decode().splitlines(keepends=True),
                    f"expected/{target.name}", f"tensorflow/{script.name}"))
            print(f"{'same   ' if old == out else 'DIFFERS'} {script.name}")
        else:
            if old != out:
                target.write_bytes(out)
            print(f"{'unchanged' if old == out else 'written  '} {target.relative_to(REPO)}")

    if not args.names and not args.check:
        # Drop expected files whose script no longer exists.
        names = {p.stem for p in scripts}
        for stale in sorted(EXPECTED.glob("*.txt")):
            if stale.stem not in names:
                stale.unlink()
                print(f"removed   {stale.relative_to(REPO)}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
