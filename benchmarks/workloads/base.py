"""What a workload is: one computation, built in every framework.

`build(size, frameworks)` returns `{implementation name: callable}`; a value
that is a string instead says why that cell is missing ("n/a (...)"). Each
callable runs one iteration and returns what must be finished before the
clock stops (see `timing.sync`). `size` is "full" for the suite and "tiny"
for the smoke test.
"""
from __future__ import annotations

import dataclasses
import statistics
from typing import Callable

from benchmarks import frameworks as fw

ALL = ("jaxtape", "tensorflow", "jax", "torch")
REFERENCE = "TF eager"


@dataclasses.dataclass
class Ratio:
    """Passes when median[impl] / median[other] <= at_most (strictly below if `strict`)."""
    label: str
    impl: str
    other: str
    at_most: float
    strict: bool = False

    def evaluate(self, medians: dict, best: dict | None = None) -> tuple[str, bool | None]:
        a, b = medians.get(self.impl), medians.get(self.other)
        if a is None or b is None:
            return "n/a", None
        r = a / b
        ok = r < self.at_most if self.strict else r <= self.at_most
        return f"{r:.3g}x {self.other}", ok


@dataclasses.dataclass
class Difference:
    """Passes when the per-op cost of `impl` above `other` is at most `at_most_s`.

    The cost is the median of paired differences: both are sampled within
    the same round-robin repeat, so a repeat slowed down by another process
    slows both and cancels out, where a difference of two medians keeps
    that noise (it is shown beside, with the difference of fastest samples)."""
    label: str
    impl: str
    other: str
    at_most_s: float
    per: int = 1

    def evaluate(self, medians: dict, best: dict | None = None,
                 in_order: dict | None = None) -> tuple[str, bool | None]:
        a, b = medians.get(self.impl), medians.get(self.other)
        if a is None or b is None:
            return "n/a", None
        d = (a - b) / self.per
        notes = []
        pairs = (in_order or {}).get(self.impl), (in_order or {}).get(self.other)
        if pairs[0] and pairs[1]:
            notes.append(f"difference of medians: {d * 1e6:+.2f}")
            d = statistics.median(x - y for x, y in zip(*pairs)) / self.per
        if best and self.impl in best and self.other in best:
            notes.append(f"of fastest samples: {(best[self.impl] - best[self.other]) / self.per * 1e6:+.2f}")
        shown = f"{d * 1e6:+.2f} µs/op" + (" paired" if pairs[0] and pairs[1] else "")
        if notes:
            shown += " (" + "; ".join(notes) + ")"
        return shown, d <= self.at_most_s


@dataclasses.dataclass
class Workload:
    name: str                      # for --only
    title: str                     # for the report
    build: Callable[[str, tuple], dict]
    targets: tuple = ()
    per: int = 1                   # report time per op as well (ops per call)
    warmup: int = 3
    note: str = ""
    repeat_factor: int = 1         # cheap, noisy workloads take more samples
    sample_s: float | None = None  # seconds per sample, when not the suite's default
    isolate: bool = False          # each framework's cells in a process of its own (isolation.py)


def unavailable(frameworks: tuple) -> dict:
    """Cells for frameworks asked for but not installed."""
    out = {}
    if "tensorflow" in frameworks and fw.tensorflow() is None:
        out["TF eager"] = "n/a (tensorflow not installed)"
    if "torch" in frameworks and fw.torch() is None:
        out["PyTorch eager"] = "n/a (torch not installed)"
    return out


def wants(frameworks: tuple, name: str) -> bool:
    """Whether `name` was asked for and is importable."""
    if name not in frameworks:
        return False
    if name == "tensorflow":
        return fw.tensorflow() is not None
    if name == "torch":
        return fw.torch() is not None
    return True


def jaxtape_missing(*names: str) -> str | None:
    """'n/a (not implemented)' when jaxtape lacks one of the named attributes."""
    import jaxtape
    for name in names:
        obj = jaxtape
        for part in name.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return f"n/a (not implemented: {name})"
    return None
