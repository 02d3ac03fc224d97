"""tf.nest against real TensorFlow: results (dict key order included) and the
exception type and leading text for mismatched structures."""
import collections

import pytest

import jaxtape
from difftest import real_tf

P = collections.namedtuple("P", "a b")

CASES = [
    lambda m: m.nest.flatten({"b": 1, "a": [2, (3, None)]}),
    lambda m: m.nest.flatten(P(1, [2, 3])),
    lambda m: m.nest.map_structure(lambda x: x * 2, {"b": 1, "a": [2, (3,)]}),
    lambda m: m.nest.map_structure(lambda x, y: x + y, [1, (2,)], [3, (4,)]),
    lambda m: m.nest.map_structure(lambda x, y: x + y, [1, (2,)], [3, [4]]),
    lambda m: m.nest.map_structure(lambda x, y: (x, y), [1, (2,)], [3, [4]], check_types=False),
    lambda m: m.nest.map_structure(lambda x: x, P(1, {"z": 2, "y": 3})),
    lambda m: m.nest.pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3]),
    lambda m: m.nest.assert_same_structure([1, 2], [1, [2]]),
    lambda m: m.nest.assert_same_structure((1, 2), [1, 2]),
    lambda m: m.nest.assert_same_structure((1, 2), [1, 2], check_types=False),
]


def _outcome(fn, mod):
    try:
        return "ok", repr(fn(mod))
    except Exception as e:  # compared by type and TF's leading text
        return type(e).__name__, str(e).split("\n\nMore specifically")[0]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_nest_matches_tf(i):
    assert _outcome(CASES[i], jaxtape) == _outcome(CASES[i], real_tf())
