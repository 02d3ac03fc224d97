"""tf.strings unicode ops, ngrams and unsorted_segment_join, differentially against TF."""
from __future__ import annotations

import numpy as np
import pytest

import jaxtape
from tests.difftest import plain, real_tf, same_outcome
from tests.difftest import ragged_plain as rplain


S = ["h\u00e9llo", b"a\xffb\x01", b"", "\U0001F600x"]
SB = [s.encode() if isinstance(s, str) else s for s in S]  # tf.constant of them: one kind
BAD = [b"\xed\xa0\x80", b"\xc0\x80z", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\xf0\x9f\x98"]
U16 = "h\u00e9\U0001F600".encode("utf-16-be")
CP = [[72, 233, 0x1F600], [0xD800, 0x110000, -1]]


def rt(tf):
    return tf.ragged.constant([["ab", "\u00e9"], [], ["c"]])


CASES = {
    # decode
    "decode scalar": lambda tf: tf.strings.unicode_decode("h\u00e9", "UTF-8"),
    "decode vector": lambda tf: tf.strings.unicode_decode(S, "UTF-8"),
    "decode matrix": lambda tf: tf.strings.unicode_decode([["ab", "c"], ["", "\u00e9"]], "UTF-8"),
    "decode ragged": lambda tf: tf.strings.unicode_decode(rt(tf), "UTF-8"),
    "decode ragged int32": lambda tf: tf.strings.unicode_decode(
        tf.ragged.constant([["a"]], row_splits_dtype=tf.int32), "UTF-8"),
    "decode empty": lambda tf: tf.strings.unicode_decode(tf.constant([], tf.string), "UTF-8"),
    "decode bad utf8": lambda tf: tf.strings.unicode_decode(BAD, "UTF-8"),
    "decode ignore": lambda tf: tf.strings.unicode_decode(S + BAD, "UTF-8", errors="ignore"),
    "decode strict": lambda tf: tf.strings.unicode_decode(tf.constant(SB), "UTF-8", errors="strict"),
    "decode strict list": lambda tf: tf.strings.unicode_decode(S, "UTF-8", errors="strict"),
    "decode strict ok": lambda tf: tf.strings.unicode_decode(["ab"], "UTF-8", errors="strict"),
    "decode replacement": lambda tf: tf.strings.unicode_decode(S + BAD, "UTF-8", replacement_char=63),
    "decode surrogate replacement": lambda tf: tf.strings.unicode_decode(S, "UTF-8", replacement_char=0xD800),
    "decode replacement range": lambda tf: tf.strings.unicode_decode(S, "UTF-8", replacement_char=-1),
    "decode replacement range 2": lambda tf: tf.strings.unicode_decode(tf.constant(SB), "UTF-8",
                                                                     replacement_char=0x110000),
    "decode control": lambda tf: tf.strings.unicode_decode(b"a\x00\x1f\x7f\xc2\x85\x01", "UTF-8",
                                                           replace_control_characters=True),
    "decode control ignore": lambda tf: tf.strings.unicode_decode(
        b"a\x01b\xff", "UTF-8", errors="ignore", replace_control_characters=True),
    "decode control strict": lambda tf: tf.strings.unicode_decode(
        b"a\x01b", "UTF-8", errors="strict", replace_control_characters=True),
    "decode utf16": lambda tf: tf.strings.unicode_decode([U16, U16[:-1], b"\xdc\x00\x00a"], "UTF-16-BE"),
    "decode utf16le": lambda tf: tf.strings.unicode_decode("h\u00e9".encode("utf-16-le"), "UTF-16-LE"),
    # one string a call: ICU's byte-order-mark state can carry over between strings
    "decode utf16 bom": lambda tf: [tf.strings.unicode_decode_with_offsets(s, "UTF-16") for s in
                                    (b"\xfe\xff\x00a\x00b", b"\xff\xfea\x00b\x00", b"\xfe\xff", U16)],
    "decode utf32": lambda tf: tf.strings.unicode_decode_with_offsets(
        ["h\u00e9\U0001F600".encode("utf-32-be"), b"\x00\x11\x00\x00\x00\x00\x00a", b"\x00\x00"], "UTF-32-BE"),
    "decode utf32 bom": lambda tf: tf.strings.unicode_decode_with_offsets(
        [b"\xff\xfe\x00\x00a\x00\x00\x00", b"\x00\x00\xfe\xff\x00\x00\x00a"], "UTF-32"),
    "decode latin1": lambda tf: tf.strings.unicode_decode_with_offsets(["h\u00e9"], "ISO-8859-1"),
    "decode ascii": lambda tf: tf.strings.unicode_decode(["h\u00e9"], "US-ASCII"),
    "decode aliases": lambda tf: [tf.strings.unicode_decode("h\u00e9", e) for e in ("utf8", "UTF8", "latin1")],
    "decode bad encoding": lambda tf: tf.strings.unicode_decode("a", "bogus"),
    "decode bad errors": lambda tf: tf.strings.unicode_decode("a", "UTF-8", errors="bogus"),
    "decode numbers": lambda tf: tf.strings.unicode_decode(tf.constant([1]), "UTF-8"),
    "decode offsets": lambda tf: tf.strings.unicode_decode_with_offsets(S + BAD, "UTF-8"),
    "decode offsets ignore": lambda tf: tf.strings.unicode_decode_with_offsets(S + BAD, "UTF-8", errors="ignore"),
    "decode offsets scalar": lambda tf: tf.strings.unicode_decode_with_offsets("h\u00e9", "UTF-8"),
    "decode offsets ragged": lambda tf: tf.strings.unicode_decode_with_offsets(rt(tf), "UTF-8"),
    "decode offsets matrix": lambda tf: tf.strings.unicode_decode_with_offsets([["ab", "c"]], "UTF-8"),
    "decode offsets bad errors": lambda tf: tf.strings.unicode_decode_with_offsets("a", "UTF-8", errors="x"),
    # encode
    "encode": lambda tf: [tf.strings.unicode_encode(CP, e) for e in ("UTF-8", "UTF-16-BE", "UTF-32-BE")],
    "encode ignore": lambda tf: tf.strings.unicode_encode(CP, "UTF-8", errors="ignore"),
    "encode strict": lambda tf: tf.strings.unicode_encode(CP, "UTF-8", errors="strict"),
    "encode replacement": lambda tf: tf.strings.unicode_encode(CP, "UTF-8", replacement_char=63),
    "encode replacement surrogate": lambda tf: tf.strings.unicode_encode(CP, "UTF-8", replacement_char=0xD800),
    "encode replacement range": lambda tf: tf.strings.unicode_encode(CP, "UTF-8", replacement_char=-1),
    "encode vector": lambda tf: tf.strings.unicode_encode([72, 73], "UTF-8"),
    "encode scalar": lambda tf: tf.strings.unicode_encode(tf.constant(72), "UTF-8"),
    "encode 3-D": lambda tf: tf.strings.unicode_encode(tf.constant([[[72, 73], [74, 75]]]), "UTF-8"),
    "encode empty rows": lambda tf: tf.strings.unicode_encode(tf.zeros([2, 0], tf.int32), "UTF-8"),
    "encode ragged": lambda tf: tf.strings.unicode_encode(tf.ragged.constant([[72, 73], [], [74]]), "UTF-8"),
    "encode ragged 3": lambda tf: tf.strings.unicode_encode(tf.ragged.constant([[[72, 73], []], [[74]]]),
                                                            "UTF-16-BE"),
    "encode float": lambda tf: tf.strings.unicode_encode(tf.constant([72.0]), "UTF-8"),
    "encode int64": lambda tf: tf.strings.unicode_encode(tf.constant([72], tf.int64), "UTF-8"),
    "encode bad output": lambda tf: tf.strings.unicode_encode([72], "UTF-16-LE"),
    "encode bad errors": lambda tf: tf.strings.unicode_encode([72], "UTF-8", errors="bogus"),
    "roundtrip": lambda tf: tf.strings.unicode_encode(tf.strings.unicode_decode(S, "UTF-8"), "UTF-8"),
    # split
    "split": lambda tf: tf.strings.unicode_split(S + BAD, "UTF-8"),
    "split scalar": lambda tf: tf.strings.unicode_split("h\u00e9", "UTF-8"),
    "split ignore": lambda tf: tf.strings.unicode_split(S, "UTF-8", errors="ignore"),
    "split replacement": lambda tf: tf.strings.unicode_split(S, "UTF-8", replacement_char=63),
    "split utf16": lambda tf: tf.strings.unicode_split([U16, U16[:-1]], "UTF-16-BE"),
    "split utf32": lambda tf: tf.strings.unicode_split("a\u00e9".encode("utf-32-be"), "UTF-32-BE"),
    "split latin1": lambda tf: tf.strings.unicode_split("a", "ISO-8859-1"),
    "split ragged": lambda tf: tf.strings.unicode_split(rt(tf), "UTF-8"),
    "split matrix": lambda tf: tf.strings.unicode_split([["ab", "c"]], "UTF-8"),
    "split offsets": lambda tf: tf.strings.unicode_split_with_offsets(S + BAD, "UTF-8"),
    "split offsets ragged": lambda tf: tf.strings.unicode_split_with_offsets(rt(tf), "UTF-8"),
    # transcode
    "transcode": lambda tf: [tf.strings.unicode_transcode(S + BAD, "UTF-8", e)
                             for e in ("UTF-8", "UTF-16-BE", "UTF-32-BE")],
    "transcode from utf16": lambda tf: tf.strings.unicode_transcode([U16, U16[:-1]], "UTF-16-BE", "UTF-8"),
    "transcode bom": lambda tf: tf.strings.unicode_transcode(
        [b"\xfe\xff\x00a", b"\xff\xfea\x00", b"a\x00b\x00"], "UTF-16", "UTF-8"),
    "transcode keeps bom": lambda tf: tf.strings.unicode_transcode(
        "\ufeffab".encode("utf-16-be"), "UTF-16-BE", "UTF-8"),
    "transcode ignore": lambda tf: tf.strings.unicode_transcode(S + BAD, "UTF-8", "UTF-8", errors="ignore"),
    "transcode strict": lambda tf: tf.strings.unicode_transcode([b"a\xffb"], "UTF-8", "UTF-8", errors="strict"),
    "transcode control": lambda tf: tf.strings.unicode_transcode(
        S, "UTF-8", "UTF-8", replace_control_characters=True),
    "transcode replacement": lambda tf: tf.strings.unicode_transcode(S + BAD, "UTF-8", "UTF-16-BE",
                                                                     replacement_char=63),
    "transcode surrogate replacement": lambda tf: tf.strings.unicode_transcode(
        S, "UTF-8", "UTF-8", replacement_char=0xD800),
    "transcode replacement range": lambda tf: tf.strings.unicode_transcode(
        S, "UTF-8", "UTF-8", replacement_char=0x110000),
    "transcode matrix": lambda tf: tf.strings.unicode_transcode([["ab"], ["\u00e9"]], "UTF-8", "UTF-32-BE"),
    "transcode ragged": lambda tf: tf.strings.unicode_transcode(rt(tf), "UTF-8", "UTF-16-BE"),
    "transcode bad output": lambda tf: tf.strings.unicode_transcode(["a"], "UTF-8", "ISO-8859-1"),
    "transcode bad input": lambda tf: tf.strings.unicode_transcode(["a"], "bogus", "UTF-8"),
    "transcode bad errors": lambda tf: tf.strings.unicode_transcode(["a"], "UTF-8", "UTF-8", errors="x"),
    # script
    "script": lambda tf: tf.strings.unicode_script(
        [65, 0x410, 0x3B1, 0x5D0, 0x627, 0x4E00, 0x3042, 0x30A2, 0xAC00, 0x900, 0x20, 0x30, 0x300,
         -1, 0x110000, 0xD800, 0xE000, 0x378, 0x1F600, 0xE01, 0x10FFFF, 0x1E900, 0x10D00]),
    "script matrix": lambda tf: tf.strings.unicode_script(tf.constant([[65, 0x4E00]])),
    "script scalar": lambda tf: tf.strings.unicode_script(tf.constant(65)),
    "script ragged": lambda tf: tf.strings.unicode_script(tf.ragged.constant([[65], [], [0x5D0, 0x627]])),
    "script int64": lambda tf: tf.strings.unicode_script(tf.constant([65], tf.int64)),
    "script of decode": lambda tf: tf.strings.unicode_script(tf.strings.unicode_decode(S, "UTF-8")),
    # ngrams
    "ngrams": lambda tf: tf.strings.ngrams(["a", "b", "c", "d"], 2),
    "ngrams widths": lambda tf: tf.strings.ngrams(["a", "b", "c", "d"], (1, 3)),
    "ngrams long": lambda tf: tf.strings.ngrams(["a", "b", "c", "d"], 5),
    "ngrams preserve": lambda tf: tf.strings.ngrams(["a", "b", "c", "d"], 5, preserve_short_sequences=True),
    "ngrams pad": lambda tf: tf.strings.ngrams(["a", "b", "c", "d"], 3, pad_values="#"),
    "ngrams pad pair": lambda tf: tf.strings.ngrams(["a", "b", "c", "d"], 3, pad_values=("<", ">"),
                                                    padding_width=1),
    "ngrams pad wide": lambda tf: tf.strings.ngrams(["a", "b", "c", "d"], 3, pad_values=("<", ">"),
                                                    padding_width=5),
    "ngrams pad list": lambda tf: tf.strings.ngrams(rt(tf), 2, pad_values=["<", ">"]),
    "ngrams pad triple": lambda tf: tf.strings.ngrams(["a", "b"], 2, pad_values=("x", "y", "z")),
    "ngrams separator": lambda tf: tf.strings.ngrams(["a", "b", "c"], 2, separator=b"_"),
    "ngrams matrix": lambda tf: tf.strings.ngrams([["a", "b", "c"], ["d", "e", "f"]], 2),
    "ngrams matrix short": lambda tf: tf.strings.ngrams([["a", "b"], ["c", "d"]], 3),
    "ngrams matrix preserve": lambda tf: tf.strings.ngrams([["a", "b"]], 3, preserve_short_sequences=True),
    "ngrams 3-D": lambda tf: tf.strings.ngrams([[["a", "b", "c"], ["d", "e", "f"]]], 2),
    "ngrams empty": lambda tf: tf.strings.ngrams(tf.constant([], tf.string), 2),
    "ngrams empty rows": lambda tf: tf.strings.ngrams(tf.constant([[], []], tf.string), 2),
    "ngrams ragged": lambda tf: tf.strings.ngrams(tf.ragged.constant([["a", "b", "c"], ["d"], []]), 2),
    "ngrams ragged preserve": lambda tf: tf.strings.ngrams(
        tf.ragged.constant([["a", "b", "c"], ["d"], []]), 2, preserve_short_sequences=True),
    "ngrams ragged pad": lambda tf: tf.strings.ngrams(
        tf.ragged.constant([["a", "b", "c"], ["d"], []]), 2, pad_values="#"),
    "ngrams ragged preserve pad": lambda tf: tf.strings.ngrams(
        tf.ragged.constant([["a"], ["a", "b"], []]), (3, 4), pad_values="#", padding_width=1,
        preserve_short_sequences=True),
    "ngrams ragged mixed": lambda tf: tf.strings.ngrams(
        tf.ragged.constant([["a"], ["a", "b"], []]), (4, 1), pad_values=("<", ">")),
    "ngrams ragged 2": lambda tf: tf.strings.ngrams(tf.ragged.constant([[["a", "b", "c"], ["d"]], [[]]]), 2),
    "ngrams ragged int32": lambda tf: tf.strings.ngrams(
        tf.ragged.constant([["a", "b"]], row_splits_dtype=tf.int32), 2),
    "ngrams scalar": lambda tf: tf.strings.ngrams(tf.constant("a"), 2),
    "ngrams numbers": lambda tf: tf.strings.ngrams(tf.constant([1, 2]), 2),
    "ngrams list numbers": lambda tf: tf.strings.ngrams([1, 2], 2),
    "ngrams width 0": lambda tf: tf.strings.ngrams(["a"], 0),
    "ngrams width list": lambda tf: tf.strings.ngrams(["a"], [0, 2]),
    "ngrams bad pad": lambda tf: tf.strings.ngrams(["a"], 2, pad_values=1),
    "ngrams pad one": lambda tf: tf.strings.ngrams(["a"], 2, pad_values=("<",)),
    "ngrams width no pad": lambda tf: tf.strings.ngrams(["a"], 2, padding_width=1),
    "ngrams width 0 pad": lambda tf: tf.strings.ngrams(["a"], 2, pad_values="#", padding_width=0),
    # unsorted_segment_join
    "join": lambda tf: tf.strings.unsorted_segment_join(["a", "b", "c"], [0, 1, 0], 3),
    "join separator": lambda tf: tf.strings.unsorted_segment_join(["a", "b", "c"], [0, 1, 0], 3, separator=", "),
    "join rows": lambda tf: tf.strings.unsorted_segment_join([["a", "b"], ["c", "d"]], [1, 0], 2, separator=":"),
    "join 2-D ids": lambda tf: tf.strings.unsorted_segment_join([["a", "b"], ["c", "d"]], [[1, 0], [0, 0]], 2),
    "join int64": lambda tf: tf.strings.unsorted_segment_join(
        ["a", "b", "c"], tf.constant([0, 1, 0], tf.int64), tf.constant(2, tf.int64)),
    "join tensors": lambda tf: tf.strings.unsorted_segment_join(
        tf.constant(["a", "b", "c"]), tf.constant([0, 1, 0]), 2),
    "join negative": lambda tf: tf.strings.unsorted_segment_join(["a", "b", "c"], [0, -1, 0], 2),
    "join over": lambda tf: tf.strings.unsorted_segment_join(tf.constant(["a", "b"]), tf.constant([0, 5]), 2),
    "join zero segments": lambda tf: tf.strings.unsorted_segment_join(["a"], [0], 0),
    "join shapes": lambda tf: tf.strings.unsorted_segment_join(["a", "b", "c"], [0, 1], 2),
    "join shapes 2": lambda tf: tf.strings.unsorted_segment_join([["a", "b"], ["c", "d"], ["e", "f"]],
                                                                 [[0, 1, 0]], 2),
    "join float ids": lambda tf: tf.strings.unsorted_segment_join(["a", "b"], [0.0, 1.0], 2),
    "join numbers": lambda tf: tf.strings.unsorted_segment_join([1, 2], [0, 1], 2),
    "join scalar ids": lambda tf: tf.strings.unsorted_segment_join("a", 0, 2),
    "join negative count": lambda tf: tf.strings.unsorted_segment_join(["a"], [0], -1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_tf(name):
    same_outcome(CASES[name], plain=rplain)


def test_unicode_script_of_every_code_point():
    cps = np.arange(-2, 0x110002, dtype=np.int32)
    got = jaxtape.strings.unicode_script(cps).numpy()
    want = real_tf().strings.unicode_script(cps).numpy()
    np.testing.assert_array_equal(got, want)


def test_random_bytes_decode_like_tf():
    rng = np.random.default_rng(1)
    alphabet = [0x00, 0x01, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0,
                0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0xD8, 0xDC, 0x10]
    data = [bytes(rng.choice(alphabet, size=rng.integers(0, 10)).tolist()) for _ in range(400)]
    for encoding in ("UTF-8", "UTF-16-BE", "UTF-16-LE", "UTF-32-BE", "UTF-32-LE", "ISO-8859-1"):
        for errors in ("replace", "ignore"):
            def run(tf):
                return tf.strings.unicode_decode_with_offsets(data, encoding, errors=errors,
                                                              replace_control_characters=True)
            same_outcome(run, plain=rplain)
        same_outcome(lambda tf: tf.strings.unicode_transcode(data, encoding, "UTF-16-BE"), plain=rplain)


def test_in_tf_function():
    def run(tf):
        @tf.function
        def f(x):
            cps = tf.strings.unicode_decode(["h\u00e9", "ab"], "UTF-8")
            n = tf.strings.unicode_script(tf.constant([65, 0x4E00]) + tf.cast(x, tf.int32))
            return cps.flat_values + tf.cast(x, tf.int32), n, tf.strings.ngrams(["a", "b"], 2)
        return f(tf.constant(0.0))
    assert plain(run(jaxtape)) == plain(run(real_tf()))


def test_traced_code_points_are_a_clear_error():
    @jaxtape.function
    def f(x):
        return jaxtape.strings.unicode_encode(x, "UTF-8")
    with pytest.raises(TypeError, match="string tensors in tf.strings.unicode_encode"):
        f(jaxtape.constant([72, 73]))
