"""Python-level calls per op on jaxtape's hot paths: a count, not a time.

Timings on a shared host swing by 2x between runs; the number of Python (and
C) function calls an op costs does not, so this is how to tell whether a
change made the per-op path longer. Run it on two trees and compare:

    PYTHONPATH=. python benchmarks/python_calls.py
"""
from __future__ import annotations

import random
import sys

import jaxtape as tf
from jaxtape._src.tape import backward, deferred


def count(fn) -> int:
    """How many function calls (Python and C) one run of `fn` makes."""
    calls = 0

    def profile(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


def main() -> None:
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    y = tf.constant([1.0, 2.0, 3.0, 4.0])
    s = tf.constant(1.5)
    rng = random.Random(0)

    def untaped():
        z = x
        for _ in range(100):
            z = z * y

    def taped():
        with tf.GradientTape() as tape:
            tape.watch(x)
            z = x
            for _ in range(100):
                z = z * y
        return tape, z

    def hot_gradient():
        tape, z = taped()
        tape.gradient(z, x)

    def cold_chain():  # a new structure every call: the step-by-step backward pass
        with tf.GradientTape() as tape:
            tape.watch(s)
            z = s
            for _ in range(rng.randint(50, 99)):
                z = z * s if rng.random() < 0.5 else z + s
        tape.gradient(z, s)

    untaped()
    taped()
    # Warm: a recurring structure compiles whole by its `compile_by`th sighting
    # at the latest, and its pending forward fuses with it `fuse_after` plain
    # gradients later, so the hot line counts the steady state, not a step-by-step run.
    for _ in range(backward.config["compile_by"] + deferred.config["fuse_after"] + 1):
        hot_gradient()
    print(f"100 x * y, no tape:            {count(untaped) / 100:.2f} calls per op")
    print(f"100 x * y, recorded:           {count(taped) / 100:.2f} calls per op")
    print(f"100 x * y + gradient (hot):    {count(hot_gradient) / 100:.2f} calls per op")
    rng.seed(0)
    total = sum(count(cold_chain) for _ in range(10))
    print(f"cold 50-99-op chain + gradient: {total / 10:.0f} calls per chain")


if __name__ == "__main__":
    main()
