"""CTC losses: `tf.nn.ctc_loss`, `tf.compat.v1.nn.ctc_loss`, `ctc_unique_labels`,
`collapse_repeated`.

TF computes the CTC loss two ways, and they differ where no alignment fits:

* dense labels: TF's batched forward-backward in log space (Sim et al.,
  2017), normalised at every frame, blank first. Its initial and final state
  weights use log(1e-307) ~ -706.9 for log 0, so an impossible alignment (or
  a label length past the labels) costs ~707 nats, not inf, and its gradient
  is softmax minus a posterior over those near-zero paths;
* sparse labels (and compat.v1): the fused CTCLoss kernel, blank last:
  exactly -log p, inf when no path fits (gradient: the softmax), 0 with a
  zero gradient for an empty sequence.

Both are `lax.scan` recursions over frames (jit- and tf.function-friendly;
the sparse labels are read on the host, as TF's kernel reads them). TF's
gradient is its formula softmax - posterior (the autodiff gradient where a
path fits, TF's own value where none does); here it is the loss's custom
JVP rule, which reverse mode transposes into TF's VJP and forward mode
contracts with the tangent, both from one forward-backward pass.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.errors import InvalidArgumentError
from jaxtape._src.framework.messages import dtype_mismatch, dtype_not_allowed, named_by, op_error
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.array.gather import gather
from jaxtape._src.ops.array.join import concat
from jaxtape._src.ops.array.shape import reshape
from jaxtape._src.ops.nn.dtype_checks import check_dtype
from jaxtape._src.ops.support.args import host_array, tensor
from jaxtape._src.ops.support.define import defined
from jaxtape._src.tape.primitive import Primitive

_NEG_INF = -np.inf
# TF's stand-in for log 0 in the dense loss's initial and final states.
_LOG_0 = float(np.float32(np.log(np.float64(0) + 1e-307)))
_HALF = (jnp.float16, jnp.bfloat16)


def _lse(*terms, narrow=False):
    """log(sum(exp(terms))), pairwise in order. `narrow`: TF's CTC kernel's
    LogSumExp, whose log1p(exp(difference)) is in float even for double."""
    out = terms[0]
    for t in terms[1:]:
        if narrow:
            hi, lo = jnp.maximum(out, t), jnp.minimum(out, t)
            gap = (lo - jnp.where(jnp.isneginf(hi), 0., hi)).astype(jnp.float32)
            out = hi + jnp.log1p(jnp.exp(gap)).astype(hi.dtype)
        else:
            out = jnp.logaddexp(out, t)
    return out


def _tf_gradient(value, loss_and_grad):
    """`value(x, *ints)` with TF's gradient `loss_and_grad` [T,B,C] of each
    loss [B] as its tangent rule: reverse mode transposes it to TF's
    g * gradient, forward mode contracts it with the tangent as TF does."""
    f = jax.custom_jvp(value)

    @f.defjvp
    def jvp(primals, tangents):
        loss, grad = loss_and_grad(*primals)
        return loss, jnp.sum(grad * tangents[0], axis=(0, 2))

    return f


def _before(a, fill=_NEG_INF):
    """a[..., k - 1] at k (fill at 0): the state one to the left."""
    return jnp.pad(a[..., :-1], [(0, 0)] * (a.ndim - 1) + [(1, 0)], constant_values=fill)


def _after(a, fill=_NEG_INF):
    """a[..., k + 1] at k (fill at the end)."""
    return jnp.pad(a[..., 1:], [(0, 0)] * (a.ndim - 1) + [(0, 1)], constant_values=fill)


def _class_order(n: int, blank: int, first: bool) -> list[int]:
    """The classes reordered to put `blank` first (dense) or last (kernel), with
    Python's slicing rules, as TF's `concat` of slices does for any blank_index."""
    r = list(range(n))
    return r[blank:blank + 1] + r[:blank] + r[blank + 1:] if first else \
        r[:blank] + r[blank + 1:] + r[blank:blank + 1]


def _time_major(logits, time_major, order):
    x = logits if time_major else jnp.swapaxes(logits, 0, 1)
    if x.dtype in _HALF:  # TF computes half precision in float32
        x = x.astype(jnp.float32)
    if order is not None:
        x = jnp.take(x, jnp.asarray(order, np.int32), axis=2)
    return x


# -- dense labels: TF's batched forward-backward -------------------------------------

def _dense_setup(logp, labels, label_length):
    """Per-state observations, transitions and final weights of TF's dense model.

    States: labels[k] for k = 0..L (0 is the start state, which emits nothing)
    and blanks[k] (the blank after label k). Labels are in blank-0 numbering.
    """
    T, B, C = logp.shape
    L = labels.shape[1]
    valid = (labels >= 0) & (labels < C)
    idx = jnp.broadcast_to(jnp.where(valid, labels, 0)[None], (T, B, L))
    picked = jnp.take_along_axis(logp, idx.astype(jnp.int32), axis=2)
    # TF reads a label's log-probability as sum(one_hot(label) * logp): an
    # out-of-range label reads 0, and 0 * -inf makes NaN wherever another class
    # has log-probability -inf.
    n_inf = jnp.sum(jnp.isneginf(logp), axis=-1, keepdims=True)
    others = n_inf - (jnp.isneginf(picked) & valid[None])
    obs = jnp.where(others > 0, jnp.nan, jnp.where(valid[None], picked, 0.))
    obs_lab = jnp.concatenate([jnp.full((T, B, 1), _NEG_INF, logp.dtype), obs], axis=2)
    obs_blk = jnp.broadcast_to(logp[..., :1], (T, B, L + 1))
    # label k - 1 -> label k: always from the start state, else unless a repeat
    differ = jnp.concatenate([jnp.ones((B, 1), bool), labels[:, 1:] != labels[:, :-1]], axis=1)[:, :L]
    allow = jnp.concatenate([jnp.full((B, 1), _NEG_INF, logp.dtype),
                             jnp.where(differ, 0., _NEG_INF).astype(logp.dtype)], axis=1)
    final = jnp.where(jnp.arange(L + 1)[None] == label_length[:, None], 0., _LOG_0).astype(logp.dtype)
    return obs_lab, obs_blk, allow, final


def _to_blank(allow):
    """Log weight of label k -> blank k. With no label positions TF's start ->
    first label transition lands on the blank too, and the two add up: 2."""
    return float(np.log(2.)) if allow.shape[1] == 1 else 0.


def _dense_backward(obs_lab, obs_blk, allow, final, mask):
    """TF's normalised backward pass: (label and blank betas entering each frame
    [T,B,L+1], log-likelihood [B]). Past a sequence's end the betas restart at
    `final`, as TF's do."""
    B = final.shape[0]

    def step(carry, xs):
        lab, blk, cum = carry
        o_lab, o_blk, m = xs
        s_lab, s_blk = lab + o_lab, blk + o_blk
        new_lab = _lse(s_lab, s_blk + _to_blank(allow), _after(s_lab + allow))
        new_blk = jnp.logaddexp(s_blk, _after(s_lab))
        norm = jax.nn.logsumexp(jnp.concatenate([new_lab, new_blk], axis=1), axis=1, keepdims=True)
        new_lab, new_blk = new_lab - norm, new_blk - norm
        cum = cum + norm[:, 0] * m
        # TF's arithmetic blend (not a select): past the sequence the betas restart
        m = m[:, None]
        out = (new_lab * m + final * (1 - m), new_blk * m + final * (1 - m))
        return (*out, cum), out

    init = (final, final, jnp.zeros((B,), final.dtype))
    (lab0, _, cum), (labs, blks) = jax.lax.scan(step, init, (obs_lab, obs_blk, mask), reverse=True)
    return labs, blks, lab0[:, 0] + cum


def _dense_loss_value(x, labels, label_length, logit_length):
    logp = jax.nn.log_softmax(x, axis=-1)
    obs_lab, obs_blk, allow, final = _dense_setup(logp, labels, label_length)
    mask = (jnp.arange(x.shape[0])[:, None] < logit_length[None]).astype(x.dtype)
    return -_dense_backward(obs_lab, obs_blk, allow, final, mask)[2]


def _dense_loss_and_grad(x, labels, label_length, logit_length, unique_y=None, unique_idx=None):
    """TF's dense CTC: loss [B] and its gradient softmax - posterior [T,B,C]."""
    T, B, C = x.shape
    L = labels.shape[1]
    logp = jax.nn.log_softmax(x, axis=-1)
    obs_lab, obs_blk, allow, final = _dense_setup(logp, labels, label_length)
    mask = (jnp.arange(T)[:, None] < logit_length[None]).astype(x.dtype)
    labs, blks, loglik = _dense_backward(obs_lab, obs_blk, allow, final, mask)

    def step(carry, xs):
        lab, blk = carry
        o_lab, o_blk = xs
        new_lab = _lse(lab, _before(blk), _before(lab) + allow) + o_lab
        new_blk = jnp.logaddexp(blk, lab + _to_blank(allow)) + o_blk
        norm = jax.nn.logsumexp(jnp.concatenate([new_lab, new_blk], axis=1), axis=1, keepdims=True)
        out = (new_lab - norm, new_blk - norm)
        return out, out

    start = jnp.where(jnp.arange(L + 1) == 0, 0., _LOG_0).astype(x.dtype)
    start = jnp.broadcast_to(start, (B, L + 1))
    _, (f_lab, f_blk) = jax.lax.scan(step, (start, jnp.full_like(start, _LOG_0)), (obs_lab, obs_blk))
    # alpha at frame t with the beta entering frame t + 1, normalised per frame
    fb_lab = f_lab + jnp.concatenate([labs[1:], final[None]], axis=0)
    fb_blk = f_blk + jnp.concatenate([blks[1:], final[None]], axis=0)
    norm = jax.nn.logsumexp(jnp.concatenate([fb_lab, fb_blk], axis=2), axis=2, keepdims=True)
    log_mask = jnp.log(mask)[..., None]
    fb_lab, fb_blk = fb_lab[..., 1:] - norm + log_mask, fb_blk - norm + log_mask
    rows = jnp.arange(B)[:, None]
    if unique_y is None:
        # Occupancy per class: label states to their labels. TF credits only
        # labels 1..C-1 (what its one_hot(label - 1) reaches).
        lab = labels.astype(jnp.int32)
        credit = (lab >= 1) & (lab < C)
        weight = jnp.where(credit[None], jnp.exp(fb_lab), 0.)
        occupancy = jnp.zeros((T, B, C), x.dtype).at[:, rows, jnp.where(credit, lab, 0)].add(weight)
    else:
        # TF's `unique` path: log-sum per unique label slot, then the slots'
        # log values scattered (added) into their classes, class 0 dropped.
        slots = jnp.arange(L)[None, :, None] == unique_idx[:, None, :]  # [B, slot, position]
        per_slot = jax.nn.logsumexp(jnp.where(slots[None], fb_lab[:, :, None, :], _NEG_INF), axis=-1)
        y = unique_y.astype(jnp.int32)
        into = (y >= 0) & (y < C)
        logs = jnp.zeros((T, B, C), x.dtype).at[:, rows, jnp.where(into, y, 0)].add(
            jnp.where(into[None], per_slot, 0.))
        hit = jnp.zeros((B, C), bool).at[rows, jnp.where(into, y, 0)].set(into)
        occupancy = jnp.where(hit[None] & (jnp.arange(C) > 0), jnp.exp(logs), 0.)
    occupancy = occupancy.at[..., 0].add(jnp.exp(jax.nn.logsumexp(fb_blk, axis=2)))
    grad = (jnp.exp(logp) - occupancy) * mask[..., None]
    return -loglik, grad


def _dense_unique_loss(x, labels, label_length, logit_length, unique_y, unique_idx):
    return _dense_loss_value(x, labels, label_length, logit_length)


_DENSE_CORES = {False: _tf_gradient(_dense_loss_value, _dense_loss_and_grad),
                True: _tf_gradient(_dense_unique_loss, _dense_loss_and_grad)}


def _dense_fn(logits, labels, label_length, logit_length, *unique, time_major, blank):
    order = None if blank == 0 else _class_order(logits.shape[2], blank, first=True)
    x = _time_major(logits, time_major, order)
    if blank != 0:  # labels renumbered around the moved blank
        labels = jnp.where(labels < blank, labels + 1, labels)
    if unique and blank != 0:  # TF renumbers the unique labels too, zero past the last slot used
        unique_y, unique_idx = unique
        unique_y = jnp.where(unique_y < blank, unique_y + 1, unique_y)
        used = jnp.max(unique_idx, axis=1, keepdims=True) + 1
        unique = (jnp.where(jnp.arange(unique_y.shape[1])[None] < used, unique_y, 0), unique_idx)
    loss = _DENSE_CORES[bool(unique)](x, labels, label_length, logit_length, *unique)
    return loss.astype(logits.dtype) if logits.dtype in _HALF else loss


_ctc_dense = Primitive(_dense_fn, "CTCLossDense")


# -- the CTCLoss kernel (sparse labels) ----------------------------------------------

def _kernel_setup(x, labels, label_length):
    """The kernel's softmax y and log y per label and blank state (log 0 past
    each row's labels).

    States: labels[j] (j = 0..N-1, label j) and blanks[k] (k = 0..N, the blank
    after k labels); the blank class is C - 1.
    """
    T, B, C = x.shape
    N = labels.shape[1]
    e = jnp.exp(x - jnp.max(x, axis=-1, keepdims=True))
    y = e / jnp.sum(e, axis=-1, keepdims=True)  # as the kernel: log of the softmax
    logy = jnp.log(y)
    here = jnp.arange(N)[None] < label_length[:, None]
    idx = jnp.broadcast_to(jnp.where(here, labels, 0)[None], (T, B, N)).astype(jnp.int32)
    obs_lab = jnp.where(here[None], jnp.take_along_axis(logy, idx, axis=2), _NEG_INF)
    blanks_here = jnp.arange(N + 1)[None] <= label_length[:, None]
    obs_blk = jnp.where(blanks_here[None], logy[..., C - 1:], _NEG_INF)
    return y, obs_lab, obs_blk


def _kernel_recursions(x, labels, label_length, seq_len, merge):
    """log alpha and log beta per frame ([T,B,N] labels, [T,B,N+1] blanks), log p [B]."""
    T, B, C = x.shape
    narrow = x.dtype == jnp.float64

    def lse(*terms):
        return _lse(*terms, narrow=narrow)

    N = labels.shape[1]
    y, obs_lab, obs_blk = _kernel_setup(x, labels, label_length)
    differ = labels[:, 1:] != labels[:, :-1]
    # label j - 1 -> label j (a skip over the blank between): not between repeats
    skip = jnp.concatenate([jnp.zeros((B, min(N, 1)), bool), differ | (not merge)], axis=1)
    skip = jnp.where(skip, 0., _NEG_INF).astype(x.dtype)
    stay = 0. if merge else _NEG_INF  # without merging, a label lasts one frame

    def forward(carry, xs):
        lab, blk = carry
        o_lab, o_blk = xs
        new_lab = lse(lab + stay, blk[:, :N], _before(lab) + skip) + o_lab
        new_blk = lse(blk, jnp.pad(lab, ((0, 0), (1, 0)), constant_values=_NEG_INF)) + o_blk
        return (new_lab, new_blk), (new_lab, new_blk)

    # a virtual frame -1 in the leading blank, so frame 0 starts in blank 0 or label 0
    lead = jnp.where(jnp.arange(N + 1) == 0, 0., _NEG_INF).astype(x.dtype)
    init = (jnp.full((B, N), _NEG_INF, x.dtype), jnp.broadcast_to(lead, (B, N + 1)))
    _, (a_lab, a_blk) = jax.lax.scan(forward, init, (obs_lab, obs_blk))

    last = jnp.arange(N + 1)[None] == label_length[:, None]
    b_blk_end = jnp.where(last, 0., _NEG_INF).astype(x.dtype)
    b_lab_end = jnp.where(last[:, 1:], 0., _NEG_INF).astype(x.dtype)
    next_lab = jnp.concatenate([obs_lab[1:], jnp.full_like(obs_lab[:1], _NEG_INF)], axis=0)
    next_blk = jnp.concatenate([obs_blk[1:], jnp.full_like(obs_blk[:1], _NEG_INF)], axis=0)

    def backward(carry, xs):
        lab, blk = carry  # beta at frame t + 1
        o_lab, o_blk, t = xs  # observations at frame t + 1
        s_lab, s_blk = lab + o_lab, blk + o_blk
        rec_lab = lse(s_lab + stay, s_blk[:, 1:], _after(s_lab + skip))
        rec_blk = lse(s_blk, jnp.pad(s_lab, ((0, 0), (0, 1)), constant_values=_NEG_INF))
        # With no label left (each was the blank or past it) the kernel's l' is
        # one blank and its beta starts at u = U - 2 = -1 too, which is the
        # entry of frame T - 2: that entry starts at log 1 instead of log 0.
        # Reproduced, so such losses equal TF's.
        early = ((label_length == 0) & (t == seq_len - 2))[:, None] & (jnp.arange(N + 1) == 0)[None]
        rec_blk = jnp.where(early, lse(rec_blk, jnp.zeros_like(rec_blk)), rec_blk)
        end = (t == seq_len - 1)[:, None]
        inside = (t < seq_len - 1)[:, None]
        lab = jnp.where(end, b_lab_end, jnp.where(inside, rec_lab, _NEG_INF))
        blk = jnp.where(end, b_blk_end, jnp.where(inside, rec_blk, _NEG_INF))
        return (lab, blk), (lab, blk)

    init = (jnp.full((B, N), _NEG_INF, x.dtype), jnp.full((B, N + 1), _NEG_INF, x.dtype))
    _, (b_lab, b_blk) = jax.lax.scan(backward, init, (next_lab, next_blk, jnp.arange(T)), reverse=True)
    # the kernel's log p: alpha * beta at frame 0, where only the leading blank
    # and the first label can be
    start = a_blk[0, :, 0] + b_blk[0, :, 0]
    log_p = lse(start, a_lab[0, :, 0] + b_lab[0, :, 0]) if N else start
    return y, a_lab + b_lab, a_blk + b_blk, log_p


def _kernel_loss_value(x, labels, label_length, seq_len, skip, invalid, *, merge):
    log_p = _kernel_recursions(x, labels, label_length, seq_len, merge)[3]
    return jnp.where(invalid, jnp.nan, jnp.where(skip, jnp.zeros_like(log_p), -log_p))


def _kernel_loss_and_grad(x, labels, label_length, seq_len, skip, invalid, merge):
    T, B, C = x.shape
    y, ab_lab, ab_blk, log_p = _kernel_recursions(x, labels, label_length, seq_len, merge)
    found = log_p > _NEG_INF
    shift = jnp.where(found, log_p, 0.)[None, :, None]
    weight = jnp.exp(ab_lab - shift)
    rows = jnp.arange(B)[:, None]
    occupancy = jnp.zeros((T, B, C), x.dtype).at[:, rows, labels.astype(jnp.int32)].add(weight)
    occupancy = occupancy.at[..., C - 1].add(jnp.sum(jnp.exp(ab_blk - shift), axis=2))
    # no path: the kernel's gradient is the softmax itself
    grad = y - jnp.where(found[None, :, None], occupancy, 0.)
    keep = (jnp.arange(T)[:, None] < seq_len[None]) & ~skip[None]
    loss = jnp.where(invalid, jnp.nan, jnp.where(skip, jnp.zeros_like(log_p), -log_p))
    grad = jnp.where(keep[..., None], grad, jnp.zeros_like(grad))
    return loss, jnp.where(invalid[None, :, None], jnp.nan, grad)


def _kernel_core(merge):
    def value(x, labels, label_length, seq_len, skip, invalid):
        return _kernel_loss_value(x, labels, label_length, seq_len, skip, invalid, merge=merge)

    def loss_and_grad(x, labels, label_length, seq_len, skip, invalid):
        return _kernel_loss_and_grad(x, labels, label_length, seq_len, skip, invalid, merge)

    return _tf_gradient(value, loss_and_grad)


_KERNEL_CORES = {True: _kernel_core(True), False: _kernel_core(False)}


def _kernel_fn(logits, labels, label_length, seq_len, skip, invalid, *, time_major, blank, merge):
    order = None if blank is None else _class_order(logits.shape[2], blank, first=False)
    x = _time_major(logits, time_major, order)
    loss = _KERNEL_CORES[merge](x, labels, label_length, seq_len, skip, invalid)
    return loss.astype(logits.dtype) if logits.dtype in _HALF else loss


_ctc_kernel = Primitive(_kernel_fn, "CTCLoss")


def _traced_labels_fn(indices, values, seq_len, *, batch, max_time, classes, blank, collapse,
                      ignore_longer):
    """The kernel's reading of its labels as a JAX function, for tf.function:
    (labels [B, max_time], lengths, skip, invalid). `invalid` marks the rows
    whose labels TF's kernel rejects when it runs (their loss is NaN here);
    no row that fits its frames holds more than max_time labels."""
    if blank is not None:  # TF renumbers the labels around the blank it moves last
        values = jnp.where(values < blank, values, values - 1)
    values = values.astype(jnp.int32)
    row = indices[:, 0].astype(jnp.int32)
    count = jnp.zeros((batch,), jnp.int32).at[row].add(1, mode="drop")
    # TF lists each row's values in index order, whatever their positions
    rank = jnp.arange(values.shape[0], dtype=jnp.int32) - (jnp.cumsum(count) - count)[row]
    width = max_time
    raw = jnp.zeros((batch, width), jnp.int32).at[row, rank].set(values, mode="drop")
    present = jnp.arange(width)[None] < count[:, None]
    repeat = jnp.concatenate([jnp.zeros((batch, 1), bool), raw[:, 1:] == raw[:, :-1]], axis=1)
    seen = present & ~(repeat & collapse)
    ends = seen & (raw >= classes - 1)  # the blank or beyond ends the sequence
    ended = jnp.cumsum(ends, axis=1) - ends > 0
    kept = seen & ~ends & ~ended
    slot = jnp.cumsum(kept, axis=1) - 1
    labels = jnp.zeros((batch, width), jnp.int32).at[jnp.arange(batch)[:, None], jnp.where(kept, slot, width)].set(
        raw, mode="drop")
    label_length = jnp.sum(kept, axis=1).astype(jnp.int32)
    longer = count > seq_len
    invalid = ((count == 0) | (seq_len < 0) | (seq_len > max_time)
               | jnp.any(seen & ~ends & ended, axis=1) | jnp.any(kept & (raw < 0), axis=1)
               | (longer & (not ignore_longer)))
    skip = (seq_len == 0) | (longer & ignore_longer)
    return labels, label_length, skip, invalid


_traced_labels = Primitive(_traced_labels_fn, "CTCLossLabels", multiple_results=True,
                           differentiable=False)


def _sparse_labels(labels: SparseTensor, values: np.ndarray, batch: int, named: bool):
    """The kernel's reading of its label SparseTensor: per-batch label lists,
    after TF's checks (indices in [batch, max label position] and ordered)."""
    indices = host_array(labels.indices, "tf.nn.ctc_loss", "its labels").reshape(-1, 2)
    if indices.shape[0] != values.shape[0]:
        raise op_error("labels_indices and labels_values must contain the same number of rows, "
                       f"but saw shapes: [{indices.shape[0]},2] vs. [{values.shape[0]}]", "CTCLoss", named)
    width = int(indices[:, 1].max()) + 1 if len(indices) else 0
    for i, index in enumerate(indices):
        where = ",".join(str(int(v)) for v in index)
        if index[0] < 0 or index[0] >= batch or index[1] < 0 or index[1] >= width:
            raise op_error(f"label SparseTensor is not valid: indices[{i}] = [{where}] is out of "
                           f"bounds: need 0 <= index < [{batch},{width}]", "CTCLoss", named)
        if i and tuple(index) <= tuple(indices[i - 1]):
            what = "is repeated" if tuple(index) == tuple(indices[i - 1]) else (
                "is out of order. Many sparse ops require sorted indices.\n    Use "
                "`tf.sparse.reorder` to create a correctly ordered copy.\n\n")
            raise op_error(f"label SparseTensor is not valid: indices[{i}] = [{where}] {what}",
                           "CTCLoss", named)
    rows = [[] for _ in range(batch)]
    for (b, _), v in zip(indices, values):
        rows[int(b)].append(int(v))
    return rows


def _kernel_labels(rows, seq_len, num_classes, collapse, ignore_longer, named):
    """TF's CTCLoss label checks; (dense labels [B,N], lengths, skip flags)."""
    for b, n in enumerate(seq_len):
        if n < 0:
            raise op_error(f"seq_len({b}) < 0", "CTCLoss", named)
    out = []
    for b, label in enumerate(rows):
        if not label:
            raise op_error(f"Labels length is zero in batch {b}", "CTCLoss", named)
        kept, finished = [], False
        for i, v in enumerate(label):
            if i and collapse and v == label[i - 1]:
                continue
            if v >= num_classes - 1:  # the blank or beyond: the sequence ends here
                finished = True
            elif finished:
                raise op_error(
                    "Saw a non-null label (index >= num_classes - 1) following a null label, batch: "
                    f"{b} num_classes: {num_classes} labels: {','.join(map(str, label))} labels seen "
                    f"so far: {','.join(map(str, kept))}", "CTCLoss", named)
            else:
                kept.append(v)
        if any(v < 0 for v in kept):
            raise op_error(f"All labels must be nonnegative integers, batch: {b} labels: "
                           f"{','.join(map(str, kept))}", "CTCLoss", named)
        if not ignore_longer and len(label) > seq_len[b]:
            raise op_error(
                f"Not enough time for target transition sequence (required: {len(label)}, available: "
                f"{seq_len[b]}){b}You can turn this error into a warning by using the flag "
                "ignore_longer_outputs_than_inputs", "CTCLoss", named)
        out.append(kept)
    width = max(len(k) for k in out)
    dense = np.zeros((len(out), width), np.int32)
    for b, k in enumerate(out):
        dense[b, :len(k)] = k
    lengths = np.array([len(k) for k in out], np.int32)
    skip = np.array([n == 0 or (ignore_longer and len(r) > n) for r, n in zip(rows, seq_len)], bool)
    return dense, lengths, skip


_CTC_LOSS_SUMMARY = (
    "Op<name=CTCLoss; signature=inputs:T, labels_indices:int64, labels_values:int32, sequence_length:"
    "int32 -> loss:T, gradient:T; attr=preprocess_collapse_repeated:bool,default=false; attr="
    "ctc_merge_repeated:bool,default=true; attr=ignore_longer_outputs_than_inputs:bool,default=false; "
    "attr=T:type,default=DT_FLOAT,allowed=[DT_FLOAT, DT_DOUBLE]>")


def _kernel_loss(labels, logits, seq_len, time_major, blank, collapse=False, merge=True,
                 ignore_longer=False):
    """TF's CTCLoss kernel on `logits`. `blank`: the class TF 2 moves last first
    (renumbering the labels), or None (TF 1: the blank is already last)."""
    named = named_by(seq_len)  # TF's fast path (no list argument) ends its errors in ` name: `
    values = tensor(labels.values)
    traced = any(isinstance(t._value, jax.core.Tracer) for t in (labels.indices, values, tensor(seq_len)))
    if blank is not None and not traced:  # shown renumbered in TF's conversion error
        raw = host_array(values, "tf.nn.ctc_loss", "its labels")
        values = Tensor(jnp.asarray(np.where(raw < blank, raw, raw - 1).astype(raw.dtype)))
    if values.dtype != dtypes.int32:
        if named:
            raise dtype_mismatch("CTCLoss", 2, dtypes.int32, values.dtype)
        tensor(values, dtypes.int32)  # the slow path's conversion error, naming the values
    if isinstance(seq_len, Tensor) and seq_len.dtype != dtypes.int32:
        raise dtype_mismatch("CTCLoss", 3, dtypes.int32, seq_len.dtype)
    seq = tensor(seq_len, dtypes.int32)
    if logits.dtype.name not in ("float16", "bfloat16", "float32", "float64"):
        raise dtype_not_allowed("CTCLoss", logits.dtype, "float, double", _CTC_LOSS_SUMMARY, named=named)
    if logits.ndim != 3:
        raise op_error("inputs is not a 3-Tensor", "CTCLoss", named)
    if seq.ndim != 1:
        raise op_error("sequence_length is not a vector", "CTCLoss", named)
    shape = logits._meta.shape
    max_time, batch = (shape[0], shape[1]) if time_major else (shape[1], shape[0])
    classes = shape[2] if blank is None else len(_class_order(shape[2], blank, first=False))
    if seq._meta.shape[0] != batch:
        raise op_error(f"len(sequence_length) != batch_size.  len(sequence_length):  "
                       f"{seq._meta.shape[0]} batch_size: {batch}", "CTCLoss", named)
    if batch == 0:
        raise op_error("batch_size must not be 0", "CTCLoss", named)
    static = dict(time_major=bool(time_major), blank=blank, merge=bool(merge))
    if traced:  # inside tf.function: the labels are read by XLA, their errors become NaN losses
        dense, label_length, skip, invalid = _traced_labels(
            labels.indices, values, seq, batch=batch, max_time=max_time, classes=classes, blank=blank,
            collapse=bool(collapse), ignore_longer=bool(ignore_longer))
        return _ctc_kernel(logits, dense, label_length, seq, skip, invalid, **static)
    rows = _sparse_labels(labels, host_array(values, "tf.nn.ctc_loss", "its labels").reshape(-1), batch,
                          named)
    lengths = [int(n) for n in host_array(seq, "tf.nn.ctc_loss", "its sequence lengths")]
    for b, n in enumerate(lengths):
        if n > max_time:
            raise op_error(f"sequence_length({b}) <= {max_time}", "CTCLoss", named)
    dense, label_length, skip = _kernel_labels(rows, lengths, classes, collapse, ignore_longer, named)
    return _ctc_kernel(logits, Tensor(jnp.asarray(dense)), Tensor(jnp.asarray(label_length)), seq,
                       Tensor(jnp.asarray(skip)), Tensor(jnp.zeros(len(lengths), bool)), **static)


# -- the public ops ------------------------------------------------------------------

_ONE_HOT_TI = ("uint8", "int8", "int32", "int64")
_ONE_HOT_SUMMARY = ("Op<name=OneHot; signature=indices:TI, depth:int32, on_value:T, off_value:T -> "
                    "output:T; attr=axis:int,default=-1; attr=T:type; attr=TI:type,default=DT_INT64,"
                    "allowed=[DT_UINT8, DT_INT8, DT_INT32, DT_INT64]>")


def _one_hot_indices(x):
    """TF one-hot encodes the labels and label lengths: other dtypes fail there."""
    if x.dtype.name not in _ONE_HOT_TI:
        raise dtype_not_allowed("OneHot", x.dtype, "uint8, int8, int32, int64", _ONE_HOT_SUMMARY, "TI")
    return x


def _dense_loss(labels, logits, label_length, logit_length, time_major, blank_index, unique=None):
    logits = tensor(logits)
    labels, label_length = tensor(labels), tensor(label_length)
    logit_length = tensor(logit_length)
    if logits.ndim != 3:
        raise ValueError(f"`logits` must be 3-D [frames, batch, classes] (time major) or [batch, "
                         f"frames, classes], got shape {logits.shape}")
    check_dtype(logits, "LogSoftmax")
    shape = logits._meta.shape
    classes = shape[2]
    batch = shape[1] if time_major else shape[0]
    if labels.ndim != 2 or label_length.ndim != 1 or logit_length.ndim != 1 or \
            not labels._meta.shape[0] == label_length._meta.shape[0] == logit_length._meta.shape[0] == batch:
        raise InvalidArgumentError(
            None, None, f"ctc_loss expects labels [batch, max_label_length] and label_length and "
            f"logit_length [batch] for batch {batch}; got labels {labels.shape}, label_length "
            f"{label_length.shape}, logit_length {logit_length.shape}")
    blank = int(blank_index)
    if blank != 0 and blank < 0:
        blank += classes
    # TF's failures in its order: one-hot labels, the float32 state weights
    # meeting float64 log-probabilities in a Mul, one-hot label lengths
    _one_hot_indices(labels)
    if logits.dtype == dtypes.float64:
        raise dtype_mismatch("Mul", 1, dtypes.float64, dtypes.float32)
    _one_hot_indices(label_length)
    extra = () if not unique else tuple(tensor(u) for u in unique)
    return _ctc_dense(logits, labels, label_length, logit_length, *extra, time_major=bool(time_major),
                      blank=blank)


@defined("nn.ctc_loss", "compat.v1.nn.ctc_loss_v2")
def ctc_loss(labels, logits, label_length, logit_length, logits_time_major=True, unique=None,
             blank_index=None, name=None):
    """CTC loss -log p(labels | logits) per batch element (TF 2's `ctc_loss_v3`).

    Dense labels [batch, max_label_length] (with `label_length`, blank 0 unless
    `blank_index`) take TF's dense forward-backward; a SparseTensor of labels
    (label_length None) needs `blank_index` and takes TF's CTCLoss kernel.
    `unique` (from `ctc_unique_labels`) is TF's TPU speed-up; it credits the
    gradient per unique label, as TF does.
    """
    if isinstance(labels, SparseTensor):
        if blank_index is None:
            raise ValueError("Argument `blank_index` must be provided when `labels` is a "
                             "`SparseTensor`.")
        logits = tensor(logits)
        if logits.ndim < 3:  # TF slices out the blank's column first
            raise op_error(f"Index out of range using input dim 2; input has only {logits.ndim} dims",
                           "StridedSlice")
        blank = int(blank_index)
        if blank < 0:
            blank += logits._meta.shape[2]
        return _kernel_loss(labels, logits, logit_length, logits_time_major, blank)
    return _dense_loss(labels, logits, label_length, logit_length, logits_time_major,
                       0 if blank_index is None else blank_index, unique)


@defined("compat.v1.nn.ctc_loss")
def ctc_loss_v1(labels, inputs=None, sequence_length=None, preprocess_collapse_repeated=False,
                ctc_merge_repeated=True, ignore_longer_outputs_than_inputs=False, time_major=True,
                logits=None):
    """TF 1's CTC loss: SparseTensor labels, blank the last class (TF's CTCLoss kernel)."""
    if not isinstance(labels, SparseTensor):
        raise TypeError("Expected argument `labels` to be a SparseTensor. Received "
                        f"labels={labels} of type: {type(labels).__name__}")
    if logits is not None and inputs is not None:
        raise ValueError("Cannot specify both 'inputs' and 'logits'.")
    x = tensor(inputs if logits is None else logits)
    return _kernel_loss(labels, x, sequence_length, time_major, None,
                        collapse=bool(preprocess_collapse_repeated), merge=bool(ctc_merge_repeated),
                        ignore_longer=bool(ignore_longer_outputs_than_inputs))


@defined("nn.ctc_unique_labels", "compat.v1.nn.ctc_unique_labels")
def ctc_unique_labels(labels, name=None):
    """Per row: its distinct labels in order of first appearance, padded with 0
    (int64), and each label's index among them (int32)."""
    x = tensor(labels)
    if x.ndim != 2:
        raise op_error("unique expects a 1D vector.", "Unique")
    rows = host_array(x, "tf.nn.ctc_unique_labels", "the size of its output")
    ys, idxs = np.zeros(rows.shape, np.int64), np.zeros(rows.shape, np.int32)
    for b, row in enumerate(rows):
        seen: dict = {}
        for i, v in enumerate(row.tolist()):
            idxs[b, i] = seen.setdefault(v, len(seen))
        ys[b, :len(seen)] = list(seen)
    return [Tensor(jnp.asarray(ys)), Tensor(jnp.asarray(idxs))]


@defined("nn.collapse_repeated", "compat.v1.nn.collapse_repeated")
def collapse_repeated(labels, seq_length, name=None):
    """Merges runs of a repeated label in each row: (labels [batch, new max
    length] padded with 0, new lengths in `seq_length`'s dtype)."""
    x, n = tensor(labels), tensor(seq_length)
    values = host_array(x, "tf.nn.collapse_repeated", "the size of its output")
    lengths = host_array(n, "tf.nn.collapse_repeated", "the size of its output").reshape(-1)
    batch, width = values.shape
    keep = np.ones(values.shape, bool)
    keep[:, 1:] = values[:, 1:] != values[:, :-1]
    keep &= np.arange(width)[None] < lengths[:, None]
    new_len = keep.sum(axis=1)
    new_width = int(new_len.max()) if batch else 0
    # Each output position gathers its kept label; padding gathers an appended 0.
    source = np.full((batch, new_width), batch * width, np.int64)
    for b in range(batch):
        picked = np.flatnonzero(keep[b])
        source[b, :len(picked)] = b * width + picked
    flat = concat([reshape(x, [-1]), Tensor(jnp.zeros((1,), x._value.dtype))], 0)
    out = gather(flat, Tensor(jnp.asarray(source)))
    return out, Tensor(jnp.asarray(new_len.astype(n.dtype.as_numpy_dtype)))
