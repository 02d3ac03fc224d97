"""tf.string tensors and tf.strings / tf.io file ops, differentially against TF."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import jaxtape
from difftest import plain, real_tf, same_outcome

U = [b"x", "y"]
W = [" Ab ", "cD\n", "h\u00e9llo"]

CASES = {
    # conversion
    "scalar": lambda tf: tf.constant("a"),
    "mixed bytes/str": lambda tf: tf.constant([b"x", "y"]),
    "unicode": lambda tf: tf.constant("h\u00e9"),
    "2-D": lambda tf: tf.constant([["a", "b"], ["c", "d"]]),
    "empty": lambda tf: tf.constant([], dtype=tf.string),
    "numpy U": lambda tf: tf.convert_to_tensor(np.array(["ab", "c"])),
    "numpy S": lambda tf: tf.convert_to_tensor(np.array([b"ab", b"c"])),
    "numpy object": lambda tf: tf.convert_to_tensor(np.array([b"ab", "c"], dtype=object)),
    "numpy object of int": lambda tf: tf.convert_to_tensor(np.array([b"ab", 1], dtype=object)),
    "np.str_": lambda tf: tf.constant(np.str_("h\u00e9")),
    "mixed types": lambda tf: tf.constant(["a", 1]),
    "mixed types 2": lambda tf: tf.constant([1, "a"]),
    "ragged": lambda tf: tf.constant([["a"], ["b", "c"]]),
    "to float": lambda tf: tf.constant("a", dtype=tf.float32),
    "int to string": lambda tf: tf.constant(1, dtype=tf.string),
    "list to string": lambda tf: tf.constant([1, 2], dtype=tf.string),
    "list to float": lambda tf: (tf.constant(["a"], dtype=tf.float32)),
    "numpy to int": lambda tf: tf.convert_to_tensor(np.array(["a"]), dtype=tf.int64),
    "numpy parsed": lambda tf: tf.convert_to_tensor(np.array(["1", "2"]), dtype=tf.int64),
    "requested dtype": lambda tf: tf.convert_to_tensor(tf.constant(U), dtype=tf.int32),
    "dtype": lambda tf: (tf.constant("a").dtype.name, tf.string.is_numeric, tf.string.is_floating,
                         str(tf.string), repr(tf.string), tf.as_dtype("string") == tf.string),
    "device": lambda tf: tf.constant("a").device,
    # structural ops
    "index": lambda tf: tf.constant(U)[0],
    "slice": lambda tf: tf.constant(W)[::-2],
    "iterate": lambda tf: list(tf.constant(U)),
    "len/bool": lambda tf: (len(tf.constant(W)), bool(tf.constant("a")), f"{tf.constant('a')}"),
    "shape/size/rank": lambda tf: (tf.shape(tf.constant(W)), tf.size(tf.constant(W)), tf.rank(tf.constant(W))),
    "reshape": lambda tf: tf.reshape(tf.constant(W), [3, 1]),
    "reshape bad": lambda tf: tf.reshape(tf.constant(U), [3]),
    "concat": lambda tf: tf.concat([tf.constant(U), ["z"]], 0),
    "stack": lambda tf: tf.stack([tf.constant("a"), "b"]),
    "gather": lambda tf: tf.gather(tf.constant(W), [2, 0, 2]),
    "boolean_mask": lambda tf: tf.boolean_mask(tf.constant(U), [True, False]),
    "identity": lambda tf: tf.identity(tf.constant(U)),
    "where": lambda tf: tf.where([True, False], tf.constant(U), ["p", "q"]),
    "tile/transpose": lambda tf: (tf.tile(tf.constant(U), [2]), tf.transpose(tf.constant([["a", "b"]]))),
    "unstack": lambda tf: tf.unstack(tf.constant(W)),
    "==": lambda tf: (tf.constant(U) == "x", tf.constant(U) != b"x", "y" == tf.constant(U)),
    "== None / mismatch": lambda tf: (tf.constant(U) == None, tf.constant(U) == ["a", "b", "c"]),  # noqa: E711
    "== number": lambda tf: tf.constant(U) == 1,
    "tf.equal number": lambda tf: tf.equal(tf.constant(U), 1),
    "equal shapes": lambda tf: tf.equal(tf.constant(U), ["a", "b", "c"]),
    "add shapes": lambda tf: tf.add(tf.constant(U), ["a", "b", "c"]),
    "+": lambda tf: (tf.constant(U) + tf.constant(U), tf.add(tf.constant(U), "q"), "q" + tf.constant(U)),
    "numeric unchanged": lambda tf: (tf.reshape(tf.constant([1.0, 2.0]), [2, 1]), tf.constant([1, 2]) == 1),
    "cast": lambda tf: (tf.cast(tf.constant("a"), tf.string), tf.zeros_like(tf.constant(W))),
    "cast to float": lambda tf: tf.cast(tf.constant("a"), tf.float32),
    "cast from int": lambda tf: tf.cast(1, tf.string),
    # tf.strings and tf.io
    "format": lambda tf: (tf.strings.format("x={} y={}", [tf.constant([1, 2]), tf.constant("a")]),
                          tf.strings.format("{}", tf.constant([[1.5, 2.0]])),
                          tf.strings.format("{} {}", (tf.constant(np.arange(10)), tf.constant(U)), summarize=2)),
    "format count": lambda tf: tf.strings.format("{} {}", [tf.constant("a")]),
    "decode_csv": lambda tf: (tf.io.decode_csv(["1,2.5,a", "3,,b"], record_defaults=[[0], [1.0], ["z"]]),
                              tf.io.decode_csv("1,x", record_defaults=[[0], [""]]),
                              tf.io.decode_csv(['"a,b";1'], record_defaults=[[""], [0]], field_delim=";")),
    "decode_csv required": lambda tf: tf.io.decode_csv(
        ["1,,a"], record_defaults=[[0], tf.constant([], tf.float32), ["z"]]),
    "decode_csv count": lambda tf: tf.io.decode_csv(["1,2"], record_defaults=[[0], [1.0], ["z"]]),
    "decode_csv bad int": lambda tf: tf.io.decode_csv(["q,1"], record_defaults=[[0], [0]]),
    "length": lambda tf: (tf.strings.length(W), tf.strings.length(W, "UTF8_CHAR")),
    "upper/lower/strip": lambda tf: (tf.strings.upper(W), tf.strings.lower(W), tf.strings.strip(W)),
    "join": lambda tf: tf.strings.join([tf.constant(W), "x"], separator="-"),
    "reduce_join": lambda tf: (tf.strings.reduce_join(W, separator=","),
                               tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=1),
                               tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=0, keepdims=True)),
    "regex": lambda tf: (tf.strings.regex_replace(W, "b|c", "Z"),
                         tf.strings.regex_replace(W, "(A)(b)", r"\2\1", replace_global=False),
                         tf.strings.regex_full_match(W, "[a-z]D\\s")),
    "substr": lambda tf: (tf.strings.substr(W, 1, 2), tf.strings.substr(W, -2, 5)),
    "substr out of range": lambda tf: tf.strings.substr(W, 9, 2),
    "to_number": lambda tf: (tf.strings.to_number(["1.5", "-2"]), tf.strings.to_number(["7"], tf.int64)),
    "to_number bad": lambda tf: tf.strings.to_number(["x"]),
    "as_string": lambda tf: (tf.strings.as_string([1.5, 2.0]), tf.strings.as_string([1, -2]),
                             tf.strings.as_string([True, False]), tf.strings.as_string([3.14159], precision=2),
                             tf.strings.as_string([7], width=3, fill="0")),
    "split scalar": lambda tf: (tf.strings.split("a b  c"), tf.strings.split("a,b,,c", ",")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_tf(name):
    same_outcome(CASES[name])


def test_printed_forms():
    def forms(tf):
        ts = [tf.constant("a"), tf.constant(U), tf.constant([["a", "b"], ["c", "d"]]), tf.constant("h\u00e9")]
        return [(str(t), repr(t), repr(t.numpy())) for t in ts]
    assert forms(jaxtape) == forms(real_tf())


def test_strings_are_never_watched():
    def grads(tf):
        s, x = tf.constant("a"), tf.constant(2.0)
        with tf.GradientTape() as tape:
            tape.watch(s)
            tape.watch(x)
            y = x * 3.0
            n = tf.strings.length(s)
        return tape.gradient(y, [s, x]), n
    assert plain(grads(jaxtape)) == plain(grads(real_tf()))


def test_constant_folded_in_function():
    def run(tf):
        @tf.function
        def f(x):
            return tf.size(tf.strings.split("a b c")) + tf.cast(x, tf.int32)
        return f(tf.constant(1.0))
    assert plain(run(jaxtape)) == plain(run(real_tf()))


def test_folded_string_output_of_function():
    def run(tf):
        @tf.function
        def f(x):
            return tf.constant(["a", "b"])[1], tf.strings.join(["p", "q"]), x * 2
        return f(tf.constant(1.0)), f(tf.constant(2.0))
    assert plain(run(jaxtape)) == plain(run(real_tf()))


def test_string_argument_of_function_is_a_clear_error():
    with pytest.raises(TypeError, match="string tensors in the arguments of tf.function"):
        jaxtape.function(lambda s: s)(jaxtape.constant("a"))


def test_traced_string_is_a_clear_error():
    # jaxtape cannot put strings into an XLA program (TF could): say so.
    @jaxtape.function
    def pick(i):
        return jaxtape.gather(jaxtape.constant(["a", "b"]), i)
    with pytest.raises(TypeError, match="string tensors in tf.gather"):
        pick(jaxtape.constant(1))


@pytest.mark.parametrize("call", [
    lambda tf: tf.strings.split(["a b  c", "", "d"]),
    lambda tf: tf.strings.split([["a b", "c"], ["d e f", ""]]),
    lambda tf: tf.strings.split(["a,b,,c", "x"], sep=","),
    lambda tf: tf.strings.split(["a b c"], maxsplit=1),
    lambda tf: tf.strings.split(tf.ragged.constant([["a b"], ["c"]])),
    lambda tf: tf.strings.bytes_split(["ab", "", "xyz"]),
    lambda tf: tf.strings.bytes_split("abc"),
], ids=lambda c: str(c.__code__.co_firstlineno))
def test_split_of_tensors_gives_tfs_ragged_tensors(call):
    """Compared by TF's printed form, which shows values, nesting and uniform dims."""
    same_outcome(lambda tf: [repr(call(tf)), call(tf).shape.as_list()])


def test_read_write_file(tmp_path):
    def io(tf, path):
        written = tf.io.write_file(str(path), tf.constant("line1\nl\u00e9"))
        return written, tf.io.read_file(str(path)), tf.io.read_file(tf.constant(str(path)))
    assert plain(io(jaxtape, tmp_path / "j" / "j.txt")) == plain(io(real_tf(), tmp_path / "t" / "t.txt"))
    same_outcome(lambda tf: tf.io.read_file(str(tmp_path / "nope")))


def test_summary_text_of_a_string_tensor(tmp_path):
    from summary.test_summary import same_log  # the event-file comparison lives with the summary tests

    def body(tf, writer):
        with writer.as_default():
            return [tf.summary.text("notes", tf.constant(["a", "b"]), step=1)]
    same_log(tmp_path, body)


def test_print_strings(capfd):
    outputs = []
    for tf in (jaxtape, real_tf()):
        tf.print(tf.constant(["x", "y"]), tf.constant("a"), output_stream=sys.stdout)
        outputs.append(capfd.readouterr().out)
    assert outputs[0] == outputs[1] == '["x" "y"] "a"\n'
