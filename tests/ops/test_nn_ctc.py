"""CTC against real TensorFlow: tf.nn.ctc_loss with dense and sparse labels
(values and gradients, impossible alignments, blank positions), compat.v1's
CTCLoss options, ctc_unique_labels, collapse_repeated, and the greedy and
beam search decoders (their SparseTensors, log probabilities, ties); errors
with TF's messages."""
import numpy as np
import pytest

import jaxtape
from difftest import check, same_outcome

rng = np.random.default_rng(7)
T, B, C = 6, 3, 5
LOGITS = rng.normal(size=(T, B, C)).astype(np.float32) * 2
# Label 1 twice needs a blank between; row 2 fills all frames it has; row 1 is empty.
LABELS = np.array([[1, 1, 3], [2, 4, 0], [3, 2, 1]], np.int32)
LABEL_LENGTH = np.array([3, 0, 3], np.int32)
LOGIT_LENGTH = np.array([6, 4, 3], np.int32)


def sparse_labels(tf, dense=LABELS, lengths=(3, 1, 3)):
    """The labels as TF's dense_labels_to_sparse lays them out (an empty row is absent)."""
    idx = [[b, i] for b in range(len(dense)) for i in range(lengths[b])]
    vals = [int(dense[b, i]) for b, i in idx]
    return tf.sparse.SparseTensor(np.array(idx, np.int64).reshape(-1, 2), np.array(vals, np.int32),
                                  [len(dense), max(max(lengths), 1)])


@pytest.mark.parametrize("blank", [None, 2, -1, C - 1], ids=["default", "middle", "minus1", "last"])
@pytest.mark.parametrize("time_major", [True, False], ids=["time_major", "batch_major"])
def test_dense_loss_and_gradient(blank, time_major):
    z = LOGITS if time_major else LOGITS.transpose(1, 0, 2).copy()
    check(lambda tf, z: tf.nn.ctc_loss(LABELS, z, LABEL_LENGTH, LOGIT_LENGTH,
                                       logits_time_major=time_major, blank_index=blank),
          z, rtol=2e-5, atol=2e-5)


def test_dense_impossible_alignments_cost_about_707():
    # 1,1,3 needs 4 frames (has 3); a label length past the labels; no frames.
    labels = np.array([[1, 1, 3], [2, 4, 0], [3, 3, 3]], np.int32)
    check(lambda tf, z: [tf.nn.ctc_loss(labels, z, [3, 2, 3], [3, 6, 6]),
                         tf.nn.ctc_loss(labels, z, [3, 4, -1], [6, 6, 6]),
                         tf.nn.ctc_loss(labels, z, [0, 1, 3], [0, 0, 5])],
          LOGITS, rtol=2e-5, atol=2e-5)
    loss = jaxtape.nn.ctc_loss(labels, LOGITS, [3, 2, 3], [3, 6, 6]).numpy()
    assert 700 < loss[0] < 720 and np.isfinite(loss).all()


def test_dense_labels_out_of_range_and_unique():
    odd = np.array([[1, 7, 2], [-1, 2, 0], [3, 0, 3]], np.int32)
    check(lambda tf, z: tf.nn.ctc_loss(odd, z, [3, 2, 3], LOGIT_LENGTH), LOGITS, rtol=2e-5, atol=2e-5)
    check(lambda tf, z: tf.nn.ctc_loss(LABELS, z, LABEL_LENGTH, LOGIT_LENGTH,
                                       unique=tf.nn.ctc_unique_labels(LABELS), blank_index=2),
          LOGITS, rtol=2e-5, atol=2e-5)
    # no label positions at all: TF's start state then reaches the blank twice over
    check(lambda tf, z: tf.nn.ctc_loss(np.zeros((B, 0), np.int32), z, [0, 1, 0], LOGIT_LENGTH),
          LOGITS, rtol=2e-5, atol=2e-5)


def test_dense_half_precision_and_int64_labels():
    check(lambda tf, z: tf.nn.ctc_loss(LABELS.astype(np.int64), z, LABEL_LENGTH.astype(np.int64),
                                       LOGIT_LENGTH), LOGITS.astype(np.float16), rtol=3e-3, atol=3e-3)
    check(lambda tf, z: tf.nn.ctc_loss(LABELS, tf.cast(z, tf.bfloat16), LABEL_LENGTH, LOGIT_LENGTH),
          LOGITS, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("blank", [0, 2, -1, C - 1])
def test_sparse_loss_and_gradient(blank):
    labels = np.where(LABELS == blank % C, 1, LABELS).astype(np.int32)
    lengths = np.array([3, 1, 3], np.int32)
    check(lambda tf, z: tf.nn.ctc_loss(sparse_labels(tf, labels, lengths), z, None, LOGIT_LENGTH,
                                       blank_index=blank), LOGITS, rtol=2e-5, atol=2e-5)


def test_sparse_batch_major_float64_and_impossible_is_inf():
    labels = np.array([[1, 1, 3], [2, 4, 0], [3, 3, 3]], np.int32)
    lengths = np.array([3, 2, 3], np.int32)
    # Row 0: 1,1,3 needs 4 frames of its 3 (inf, gradient the softmax); row 2: 3,3,3 needs 5.
    check(lambda tf, z: tf.nn.ctc_loss(sparse_labels(tf, labels, lengths), z, None, [3, 6, 5],
                                       blank_index=0), LOGITS, rtol=2e-5, atol=2e-5)
    loss = jaxtape.nn.ctc_loss(sparse_labels(jaxtape, labels, lengths), LOGITS, None, [3, 6, 5],
                               blank_index=0).numpy()
    assert np.isinf(loss[0]) and np.isfinite(loss[1])
    check(lambda tf, z: tf.nn.ctc_loss(sparse_labels(tf), z, None, LOGIT_LENGTH, logits_time_major=False,
                                       blank_index=1), LOGITS.transpose(1, 0, 2).astype(np.float64),
          rtol=1e-7, atol=1e-7)  # TF's double kernel rounds its log-sum-exp steps to float


def test_sparse_half_precision():
    check(lambda tf, z: tf.nn.ctc_loss(sparse_labels(tf), z, None, LOGIT_LENGTH, blank_index=0),
          LOGITS.astype(np.float16), rtol=3e-3, atol=3e-3)


@pytest.mark.parametrize("options", [
    {},
    {"ctc_merge_repeated": False},
    {"preprocess_collapse_repeated": True},
    {"ignore_longer_outputs_than_inputs": True},
], ids=["classic", "no_merge", "collapse", "ignore_longer"])
def test_compat_v1_ctc_loss(options):
    # Class 4 (the blank here) ends row 1's labels: TF reads them as 2 alone.
    check(lambda tf, z: tf.compat.v1.nn.ctc_loss(sparse_labels(tf, LABELS, [3, 2, 3]), z,
                                                 [6, 4, 3 if options else 4], **options),
          LOGITS, rtol=2e-5, atol=2e-5)


def test_compat_v1_batch_major_and_labels_all_blank():
    blank_row = np.array([[1, 2], [4, 4]], np.int32)
    check(lambda tf, z: tf.compat.v1.nn.ctc_loss(sparse_labels(tf, blank_row, [2, 2]), z, [6, 5],
                                                 time_major=False),
          LOGITS[:, :2].transpose(1, 0, 2).copy(), rtol=2e-5, atol=2e-5)
    check(lambda tf, z: tf.compat.v1.nn.ctc_loss(sparse_labels(tf), logits=z, sequence_length=[6, 4, 3]),
          LOGITS.astype(np.float16), rtol=3e-3, atol=3e-3)


def test_loss_inside_tf_function_and_forward_mode():
    tangent = rng.normal(size=LOGITS.shape).astype(np.float32)

    def run(tf):
        z = tf.constant(LOGITS)

        @tf.function
        def loss(z):
            with tf.GradientTape() as tape:
                tape.watch(z)
                out = tf.nn.ctc_loss(LABELS, z, LABEL_LENGTH, LOGIT_LENGTH)
            return out, tape.gradient(out, z)

        jvps = []
        for make in (lambda: tf.nn.ctc_loss(LABELS, z, LABEL_LENGTH, LOGIT_LENGTH),
                     lambda: tf.nn.ctc_loss(sparse_labels(tf), z, None, LOGIT_LENGTH, blank_index=0)):
            with tf.autodiff.ForwardAccumulator(z, tf.constant(tangent)) as acc:
                out = make()
            jvps.append(acc.jvp(out))
        return [*loss(z), jvps]

    same_outcome(run, rtol=2e-5, atol=2e-5)


LOSS_ERRORS = [
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf), LOGITS, None, LOGIT_LENGTH),
    lambda tf: tf.nn.ctc_loss(LABELS.astype(np.float32), LOGITS, LABEL_LENGTH, LOGIT_LENGTH),
    lambda tf: tf.nn.ctc_loss(LABELS, LOGITS.astype(np.float64), LABEL_LENGTH, LOGIT_LENGTH),
    lambda tf: tf.nn.ctc_loss(LABELS, LOGITS.astype(np.int32), LABEL_LENGTH, LOGIT_LENGTH),
    lambda tf: tf.nn.ctc_loss(LABELS, LOGITS, LABEL_LENGTH.astype(np.float32), LOGIT_LENGTH, blank_index=2),
    # the CTCLoss kernel's checks, in its order
    lambda tf: tf.nn.ctc_loss(tf.sparse.SparseTensor([[0, 0], [1, 0], [2, 0]],
                                                     np.array([1, 2, 3], np.int64), [3, 1]),
                              LOGITS, None, LOGIT_LENGTH, blank_index=0),
    lambda tf: tf.nn.ctc_loss(tf.sparse.SparseTensor([[0, 1], [0, 0], [2, 0]], [1, 2, 3], [3, 2]),
                              LOGITS, None, LOGIT_LENGTH, blank_index=0),
    lambda tf: tf.nn.ctc_loss(tf.sparse.SparseTensor([[0, 0], [0, 0], [2, 0]], [1, 2, 3], [3, 2]),
                              LOGITS, None, LOGIT_LENGTH, blank_index=0),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf), LOGITS, None, [6, 4], blank_index=0),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf), LOGITS, None, [[6, 4, 3]], blank_index=0),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf), LOGITS, None, [6, 7, 3], blank_index=0),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf), LOGITS, None, np.array([6, -1, 3]), blank_index=0),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf), LOGITS, None, [6, 4, 2], blank_index=0),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf), LOGITS[:, :, :3], None, [6, 4, 3], blank_index=0),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf, LABELS, [3, 0, 3]), LOGITS, None, LOGIT_LENGTH,
                              blank_index=0),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf, np.array([[1, -1, 2]] * 3, np.int32), [3, 3, 3]),
                              LOGITS, None, [6, 6, 6], blank_index=0),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf), LOGITS.astype(np.int32), None, LOGIT_LENGTH,
                              blank_index=4),
    lambda tf: tf.nn.ctc_loss(sparse_labels(tf), LOGITS[0], None, LOGIT_LENGTH, blank_index=0),
    lambda tf: tf.compat.v1.nn.ctc_loss(LABELS, LOGITS, LOGIT_LENGTH),
    lambda tf: tf.compat.v1.nn.ctc_loss(sparse_labels(tf), LOGITS, LOGIT_LENGTH, logits=LOGITS),
    lambda tf: tf.compat.v1.nn.ctc_loss(sparse_labels(tf), LOGITS[0], LOGIT_LENGTH),
    lambda tf: tf.compat.v1.nn.ctc_loss(sparse_labels(tf), LOGITS[:, :0], []),
]


@pytest.mark.parametrize("case", range(len(LOSS_ERRORS)))
def test_loss_errors(case):
    got = same_outcome(LOSS_ERRORS[case])
    assert got[0] == "raises"


def test_unique_labels_and_collapse_repeated():
    same_outcome(lambda tf: [tf.nn.ctc_unique_labels([[3, 4, 4, 3], [1, 1, 0, 0]]),
                             tf.nn.ctc_unique_labels(np.array([[5, 5, 5], [2, 7, 2]], np.int64))])
    same_outcome(lambda tf: tf.nn.collapse_repeated([[1, 1, 2, 2, 1], [1, 2, 3, 4, 5], [7, 7, 7, 7, 7]],
                                                    [5, 3, 0]))
    same_outcome(lambda tf: tf.nn.collapse_repeated(np.array([[1, 1, 2]], np.int64),
                                                    np.array([3], np.int64)))
    same_outcome(lambda tf: tf.nn.ctc_unique_labels([3, 4]))


def test_collapse_repeated_float_gradient():
    check(lambda tf, x: tf.nn.collapse_repeated(x, [4, 2])[0],
          np.array([[1., 1., 2., 3.], [4., 5., 5., 6.]], np.float32))


# -- decoders ------------------------------------------------------------------------

LENGTHS = np.array([6, 0, 4], np.int32)
TIES = np.round(LOGITS)  # integer logits: equally likely beams and paths


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("blank", [None, 0, 2, -2])
def test_greedy_decoder(merge, blank):
    same_outcome(lambda tf: tf.nn.ctc_greedy_decoder(LOGITS, LENGTHS, merge_repeated=merge,
                                                     blank_index=blank))
    same_outcome(lambda tf: tf.nn.ctc_greedy_decoder(TIES.astype(np.float64), LENGTHS,
                                                     merge_repeated=merge, blank_index=blank),
                 rtol=1e-12, atol=1e-12)


def test_greedy_decoder_repeats_and_gradient():
    # A B B * B * B: merged A B B B, unmerged A B B B B (class 2 is the blank).
    z = np.full((7, 1, 3), -5., np.float32)
    for t, c in enumerate([0, 1, 1, 2, 1, 2, 1]):
        z[t, 0, c] = 0.
    same_outcome(lambda tf: [tf.nn.ctc_greedy_decoder(z, [7]), tf.nn.ctc_greedy_decoder(z, [7], False)])

    def grad(tf):
        x = tf.constant(LOGITS)
        with tf.GradientTape() as tape:
            tape.watch(x)
            _, score = tf.nn.ctc_greedy_decoder(x, LENGTHS)
        return tape.gradient(score, x)

    assert same_outcome(grad) == ("value", None)


@pytest.mark.parametrize("width,top", [(1, 1), (2, 2), (3, 1), (4, 3), (10, 5), (100, 1)])
def test_beam_search_decoder(width, top):
    same_outcome(lambda tf: tf.nn.ctc_beam_search_decoder(LOGITS, LENGTHS[[0, 0, 2]], beam_width=width,
                                                          top_paths=top))


@pytest.mark.parametrize("width,top", [(3, 3), (5, 2), (20, 7)])
def test_beam_search_ties_and_merge_repeated(width, top):
    # Tied beams: which one TF keeps, and the order of tied paths, are TF's.
    same_outcome(lambda tf: tf.nn.ctc_beam_search_decoder(TIES, [6, 5, 4], beam_width=width,
                                                          top_paths=top))
    same_outcome(lambda tf: tf.nn.ctc_beam_search_decoder(np.zeros((3, 1, 4), np.float32), [3],
                                                          beam_width=width, top_paths=min(top, 3)))
    same_outcome(lambda tf: tf.compat.v1.nn.ctc_beam_search_decoder(LOGITS.astype(np.float64), [6, 5, 4],
                                                                    beam_width=width, top_paths=top),
                 rtol=1e-12, atol=1e-12)
    same_outcome(lambda tf: tf.compat.v1.nn.ctc_beam_search_decoder_v2(LOGITS, [6, 5, 4], width, top))


DECODER_ERRORS = [
    lambda tf: tf.nn.ctc_greedy_decoder(LOGITS, [6, 7, 3]),
    lambda tf: tf.nn.ctc_greedy_decoder(LOGITS, np.array([6, 7, 3])),
    lambda tf: tf.nn.ctc_greedy_decoder(LOGITS, [6, 3]),
    lambda tf: tf.nn.ctc_greedy_decoder(LOGITS, [[6, 3, 1]]),
    lambda tf: tf.nn.ctc_greedy_decoder(LOGITS[0], [6, 3, 1]),
    lambda tf: tf.nn.ctc_greedy_decoder(LOGITS[:0], [0, 0, 0]),
    lambda tf: tf.nn.ctc_greedy_decoder(LOGITS, LENGTHS, blank_index=C),
    lambda tf: tf.nn.ctc_greedy_decoder(LOGITS, LENGTHS, blank_index=-C - 1),
    lambda tf: tf.nn.ctc_greedy_decoder(tf.constant(LOGITS, tf.float16), LENGTHS),
    lambda tf: tf.nn.ctc_greedy_decoder(LOGITS, tf.constant(LENGTHS, tf.int64)),
    lambda tf: tf.nn.ctc_beam_search_decoder(LOGITS, LENGTHS, beam_width=0),
    lambda tf: tf.nn.ctc_beam_search_decoder(LOGITS, [6, 0, 4], top_paths=0),
    lambda tf: tf.nn.ctc_beam_search_decoder(LOGITS, LENGTHS, beam_width=2, top_paths=3),
    lambda tf: tf.nn.ctc_beam_search_decoder(LOGITS, LENGTHS, beam_width=4, top_paths=2),
    lambda tf: tf.nn.ctc_beam_search_decoder(LOGITS, [6, 0, 4], beam_width=4, top_paths=2),
    lambda tf: tf.nn.ctc_beam_search_decoder(tf.constant(LOGITS, tf.float16), [6, 0, 4]),
    lambda tf: tf.nn.ctc_beam_search_decoder(LOGITS, [6, 9, 4]),
    lambda tf: tf.nn.ctc_beam_search_decoder(LOGITS[:, :, None], [6, 0, 4]),
]


@pytest.mark.parametrize("case", range(len(DECODER_ERRORS)))
def test_decoder_errors(case):
    got = same_outcome(DECODER_ERRORS[case])
    assert got[0] == "raises"


def test_decoders_on_python_and_numpy_inputs():
    same_outcome(lambda tf: [tf.nn.ctc_greedy_decoder(LOGITS.astype(np.float16), LENGTHS.astype(np.int64)),
                             tf.nn.ctc_greedy_decoder(np.round(LOGITS).astype(np.int32).tolist(), [6, 0, 4]),
                             tf.nn.ctc_beam_search_decoder(LOGITS.astype(np.float16), [6, 1, 4], 3, 2)])


@pytest.mark.parametrize("collapse", [False, True], ids=["plain", "collapse_repeated"])
def test_sparse_labels_traced_inside_tf_function(collapse):
    """Inside tf.function the SparseTensor labels are traced values: the
    kernel's label reading runs in the compiled program, loss and gradient as eager."""
    def run(tf):
        @tf.function
        def loss(z, idx, vals):
            labels = tf.sparse.SparseTensor(idx, vals, [B, 3])
            with tf.GradientTape() as tape:
                tape.watch(z)
                out = tf.compat.v1.nn.ctc_loss(labels, z, LOGIT_LENGTH,
                                               preprocess_collapse_repeated=collapse)
            return out, tape.gradient(out, z)

        sp = sparse_labels(tf)
        return loss(tf.constant(LOGITS), sp.indices, sp.values)

    same_outcome(run, rtol=2e-5, atol=2e-5)
