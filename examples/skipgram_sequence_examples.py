"""Skip-gram word vectors with NCE, in the shape of TensorFlow's word2vec
tutorial, over sentences stored as tf.train.SequenceExample records.

Writes tokenised sentences to a TFRecord file (a context feature and a token
feature list), reads them back with TFRecordDataset and
parse_single_sequence_example, counts words with tf.sparse ops on the
VarLen feature, builds (target, context) pairs, and trains embeddings under
tf.name_scope with tf.nn.nce_loss and a GradientTape. The negative samples
are given as `sampled_values` (computed from the log-uniform sampler's
formula), so the run is deterministic.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf

sentences = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog met",
             "the owl sat on the cat"]
vocab = sorted({w for s in sentences for w in s.split()})
ids = {w: i for i, w in enumerate(vocab)}
print("vocabulary:", len(vocab))

# -- write one SequenceExample per sentence -----------------------------------------------
path = os.path.join(tempfile.mkdtemp(), "sentences.tfrecord")
with tf.io.TFRecordWriter(path) as writer:
    for n, s in enumerate(sentences):
        tokens = [ids[w] for w in s.split()]
        example = tf.train.SequenceExample(
            context=tf.train.Features(feature={
                "id": tf.train.Feature(int64_list=tf.train.Int64List(value=[n]))}),
            feature_lists=tf.train.FeatureLists(feature_list={
                "tokens": tf.train.FeatureList(feature=[
                    tf.train.Feature(int64_list=tf.train.Int64List(value=[t])) for t in tokens])}))
        writer.write(example.SerializeToString())

# -- read them back ---------------------------------------------------------------------
context_spec = {"id": tf.io.FixedLenFeature([], tf.int64)}
sequence_spec = {"tokens": tf.io.FixedLenSequenceFeature([], tf.int64),
                 "tokens_sparse": tf.io.VarLenFeature(tf.int64)}


def parse(record):
    context, sequence = tf.io.parse_single_sequence_example(
        record, context_spec, {"tokens": sequence_spec["tokens"]})
    return context["id"], sequence["tokens"]


parsed = [parse(r) for r in tf.data.TFRecordDataset(path)]
for sid, tokens in parsed:
    print("sentence", int(sid), tokens.numpy().tolist())

# Word counts from the VarLen view of the same feature list, with tf.sparse ops.
_, sparse_seq = tf.io.parse_single_sequence_example(
    next(iter(tf.data.TFRecordDataset(path))), None, {"tokens": sequence_spec["tokens_sparse"]})
print("first sentence as SparseTensor:", sparse_seq["tokens"].dense_shape.numpy().tolist())
counts = tf.math.bincount(tf.concat([t for _, t in parsed], 0), minlength=len(vocab))
print("counts:", counts.numpy().tolist())

# -- skip-gram pairs, window 1 -----------------------------------------------------------
targets, contexts = [], []
for _, tokens in parsed:
    t = tokens.numpy().tolist()
    for i, w in enumerate(t):
        for j in (i - 1, i + 1):
            if 0 <= j < len(t):
                targets.append(w)
                contexts.append(t[j])
targets = tf.constant(targets, tf.int64)
labels = tf.reshape(tf.constant(contexts, tf.int64), [-1, 1])
print("pairs:", int(tf.size(targets)))

# Fixed negatives and their log-uniform expected counts: P(k) = log((k+2)/(k+1)) / log(V+1).
num_sampled, vocab_size = 4, len(vocab)
sampled = tf.constant([0, 3, 7, 10], tf.int64)


def expected(k):
    p = tf.math.log((tf.cast(k, tf.float32) + 2.0) / (tf.cast(k, tf.float32) + 1.0))
    return num_sampled * p / tf.math.log(float(vocab_size + 1))


sampled_values = (sampled, expected(labels), expected(sampled))

# -- train --------------------------------------------------------------------------------
rng = np.random.default_rng(0)
dim = 8
with tf.name_scope("skipgram"):
    embeddings = tf.Variable(rng.uniform(-0.5, 0.5, (vocab_size, dim)).astype(np.float32),
                             name="embeddings")
    nce_weights = tf.Variable((rng.standard_normal((vocab_size, dim)) / np.sqrt(dim)).astype(np.float32),
                              name="nce_weights")
    nce_biases = tf.Variable(np.zeros(vocab_size, np.float32), name="nce_biases")
print("variables:", [v.name for v in (embeddings, nce_weights, nce_biases)])

optimizer_lr = 0.5
for step in range(30):
    with tf.GradientTape() as tape:
        embedded = tf.nn.embedding_lookup(embeddings, targets)
        loss = tf.reduce_mean(tf.nn.nce_loss(
            weights=nce_weights, biases=nce_biases, labels=labels, inputs=embedded,
            num_sampled=num_sampled, num_classes=vocab_size, sampled_values=sampled_values))
    grads = tape.gradient(loss, [embeddings, nce_weights, nce_biases])
    for v, g in zip([embeddings, nce_weights, nce_biases], grads):
        v.assign_sub(optimizer_lr * tf.convert_to_tensor(g))
    if step % 10 == 0 or step == 29:
        print(f"step {step:2d} loss {float(loss):.4f}")

normalized, _ = tf.linalg.normalize(embeddings, axis=1)
similarity = tf.matmul(normalized, normalized, transpose_b=True)
cat = ids["cat"]
print("nearest to 'cat':", [vocab[int(i)] for i in tf.argsort(similarity[cat], direction="DESCENDING")[1:3]])
