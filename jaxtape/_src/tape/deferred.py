"""Deferred execution of recorded ops: a taped op costs Python, not a dispatch.

JAX dispatches each eager op in several microseconds, more than a whole
taped op may cost. So while exactly one GradientTape records (no
ForwardAccumulator, no `tf.function` trace), an op whose output aval is
already known for its input avals is not run: its result is a pending
`Tensor` (no `_value` yet, see `framework.tensor.Tensor`) and the op is
appended to the tape's `Segment`, with its inputs as positions in the
segment or as concrete leaves. The first sighting of an op with given input avals always runs
eagerly (it learns the output aval), so shape and dtype errors are raised
at the op that causes them, as in eager TF.

A pending value runs when something needs it:

* reading `_value` (NumPy conversion, printing, `bool()`, an op that is not
  deferred, a variable assign, another thread) runs the whole segment op by
  op with the same jitted kernels eager execution uses (the same results,
  only later), or, once its structure recurs as `backward` requires of a
  plan before compiling it, as one jitted program of its live outputs
  (`_forward_run`). An op whose segment keeps being run with it alone
  while the tape records (the next op wrapper read its value at once)
  stops deferring at those input avals (`_alone`);
* `tape.gradient` on a segment holding the whole recording, once the plain
  backward pass of that structure has been compiled whole by `backward`'s
  policy (it recurs: a training loop), runs the pending forward and the
  backward plan as one jitted program (`gradient`): the forward is replayed
  from each primitive's `fn`, the backward is `backward.run_plan` over the
  plan `backward.build_plan` makes, and only the pending tensors still alive
  after the tape is released are outputs;
* once that program has run, the next `tape.gradient` of its structure
  runs nothing: the gradients stay pending in a `Tail`, with the untaped
  ops on them and the variable writes of their results (the SGD update),
  and the first read of any of them (the next step's forward reading a
  variable) runs the step, once its structure recurs, as one program that
  updates the variables' buffers in place (see "the update" below).

`config["on"]` (env `JAXTAPE_DEFER=0`: off) switches it; off, every op runs
at once as before.
"""
from __future__ import annotations

import itertools
import operator
import os
import threading
import time
import weakref
from sys import getrefcount

import jax
import jax.numpy as jnp
from jax.sharding import SingleDeviceSharding

from jaxtape._src.framework import variables
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor, _next_id
from jaxtape._src.tape import backward, primitive
from jaxtape._src.tape.primitive import NO_STATIC, TRAINABLE, Node

# max_ops: a segment that long runs (bounds what a pending segment holds);
# fuse_after: plain gradients of a structure before it runs fused (`observe`);
# alone: how often an op's segment may run with it alone, read while its tape
# records, before the op stops deferring at those input avals (see `_alone`).
# tail: a fused gradient's results stay pending, with the untaped ops and
# variable writes after it (`Tail`); tail_after: sightings of a tail's
# structure before it runs as one program with the gradient.
config = {"on": os.environ.get("JAXTAPE_DEFER", "1") != "0", "max_ops": 1000, "alone": 16,
          "fuse_after": 16, "tail": True, "tail_after": 3}
# Runs of tails: as one program with their gradient ("whole"), or the gradient
# program then op by op ("ops"). For tests and benchmarks.
counts = {"whole": 0, "ops": 0, "copied": 0}

# Recorder classes whose ops may defer (GradientTape's recording registers itself):
# not custom_gradient's watcher nor tracing's capture tape.
recorders = set()

# One segment runs at a time: a pending tensor may be read from another thread.
_lock = threading.RLock()


class Segment:
    """The deferred ops of one tape, in order.

    flat: per op `prim, skey, n, *ins`, one flat list (no tuple per op for
    the garbage collector to walk, and `tuple(flat)` is the structure's
    key); `ins` holds, per input, its position in the segment (>= 0) or
    `~i` for `leaves[i]` (a concrete tensor; `leaf_pos` maps its `id` to
    `~i`). statics: per op. outs: a weak reference per op to its pending
    tensor: the segment keeps no result alive. start: how many nodes the
    tape held when it began.
    """

    __slots__ = ("start", "flat", "statics", "outs", "leaves", "leaf_avals", "leaf_pos", "done")

    def __init__(self, start):
        self.start = start
        self.flat = []
        self.statics = []
        self.outs = []
        self.leaves = []
        self.leaf_avals = []
        self.leaf_pos = {}
        self.done = False

    def add_leaf(self, a):
        """Adds concrete tensor `a` as a leaf: its input position `~i`, or None
        when its value is not a jax.Array."""
        try:
            aval = a._value.aval
        except AttributeError:
            return None
        i = self.leaf_pos[id(a)] = ~len(self.leaf_avals)
        self.leaves.append(a)
        self.leaf_avals.append(aval)
        return i

    def flush(self, whole=True):
        """Runs every op and fills the pending tensors: with the eager kernels,
        or as one compiled program once this structure recurs (`_forward_run`;
        not with `whole=False`)."""
        if local.tracing:  # read inside a tf.function trace (a captured tensor): concrete values
            with jax.ensure_compile_time_eval():
                return self._flush(whole)
        return self._flush(whole)

    def _flush(self, whole):
        with _lock:
            if self.done:
                return
            flat = self.flat
            stats = None
            if len(self.outs) == 1:
                tapes = local.tapes
                if tapes and getattr(tapes[-1], "segment", None) is self:  # read while recording
                    _alone(flat[0], (flat[1], *[self.leaf_avals[~i] for i in flat[3:]]))
            elif whole:
                stats = _forward_run(self)
                if stats is None:
                    return
            start = _clock()
            _run_ops(flat, self.outs, [leaf._value for leaf in self.leaves], [])
            self._release()
            if stats is not None:
                stats[1] += _clock() - start

    def fill(self, positions, values):
        for p, v in zip(positions, values):
            t = self.outs[p]()
            if t is not None:
                t._value = v
                t._pending = None
        self._release()

    def _release(self):
        self.done = True
        # Fresh lists, not None: an op its own thread is deferring meanwhile
        # appends to them harmlessly, then runs itself (see `defer`).
        self.flat, self.statics, self.outs = [], [], []
        self.leaves, self.leaf_avals, self.leaf_pos = [], [], {}


def _run_ops(flat, outs, leaves, vals):
    """Runs a segment's ops with the eager kernels, filling the pending tensors
    `outs` (a weak reference per op); `vals` holds the positions before them."""
    k = 0
    for w in outs:
        prim, skey, n = flat[k], flat[k + 1], flat[k + 2]
        if n == 2:  # binary ops, the commonest: no list
            i, j = flat[k + 3], flat[k + 4]
            out = prim._fwd[skey](vals[i] if i >= 0 else leaves[~i],
                                  vals[j] if j >= 0 else leaves[~j])
        else:
            out = prim._fwd[skey](*[vals[i] if i >= 0 else leaves[~i]
                                    for i in flat[k + 3:k + 3 + n]])
        k += 3 + n
        vals.append(out)
        t = w()
        if t is not None:
            t._value = out
            t._pending = None
    return vals


def ops(flat):
    """`(prim, skey, ins)` per op of a segment's flat structure."""
    k = 0
    while k < len(flat):
        n = flat[k + 2]
        yield flat[k], flat[k + 1], flat[k + 3:k + 3 + n]
        k += 3 + n


# Forced segments (no gradient) run op by op until their structure has
# recurred as `backward` requires of a plan before compiling it whole: seen
# `compile_after` times and its op-by-op runs have cost what compiling is
# predicted to (`compile_s` + `compile_s_per_step` per op, scaled as
# `backward` learned), or seen `compile_by` times while recurring densely.
_forward = backward.LRU()  # (structure, leaf avals) -> {output positions: jitted program}
_forward_stats = backward.LRU("stats_size")  # hash of that -> [sightings, op-by-op seconds, first]
_flushes = itertools.count()
_clock = time.perf_counter


def _forward_run(seg):
    """Runs `seg` as one program if its structure earned it (returns None);
    else the stats its op-by-op run adds its time to."""
    key = (tuple(seg.flat), tuple(seg.leaf_avals))
    progs = _forward.get(key)
    if progs is None:
        run = next(_flushes)
        h = hash(key)
        stats = _forward_stats.touch(h, None) or [0, 0.0, run]
        _forward_stats[h] = stats
        stats[0] += 1
        n = stats[0]
        c = backward.config
        predicted = backward._cost["scale"] * (c["compile_s"] + c["compile_s_per_step"] * len(seg.outs))
        if n < c["compile_after"] or not (
                stats[1] >= predicted or (n >= c["compile_by"] and n >= (run - stats[2] + 1) * c["dense"])):
            return stats
        progs = _forward.touch(key, {})
    alive = tuple([i for i, w in enumerate(seg.outs) if w() is not None])
    program = progs.get(alive)
    if program is None:
        flat, statics = key[0], tuple(seg.statics)

        def forward(leaf_values):
            vals = _replay(flat, statics, leaf_values)
            return [vals[p] for p in alive]

        program = progs[alive] = jax.jit(forward)
    seg.fill(alive, program([leaf._value for leaf in seg.leaves]))
    return None


def _replay(flat, statics, leaf_values, vals=None):
    """The segment's values, traced: each op's `fn` on its inputs (after
    `vals`, the positions before its first op)."""
    vals = [] if vals is None else vals
    for (prim, _, ins), static in zip(ops(flat), statics):
        args = [vals[j] if j >= 0 else leaf_values[~j] for j in ins]
        vals.append(prim.fn(*args, **static) if static else prim.fn(*args))
    return vals


# Primitives with an input-aval key marked by `_alone` (see `forget`).
_marked = weakref.WeakSet()


def _alone(prim, key):
    """A segment of `prim` alone (at input avals `key`) was run by a read
    while its tape records: the next op needed its value at once (an op
    wrapper reading `_value`), so deferring it only cost time. After
    `config["alone"]` such runs it stops deferring at these avals."""
    counts = prim.alone
    if len(counts) >= 4096:
        counts.clear()
    n = counts[key] = counts.get(key, 0) + 1
    if n >= config["alone"] and key in prim.out_avals:
        prim.out_avals[key] = False
        _marked.add(prim)


def forget():
    """Undoes every `_alone` mark (tests start from a clean state)."""
    for prim in list(_marked):
        prim.alone.clear()
        for key in [k for k, v in prim.out_avals.items() if v is False]:
            del prim.out_avals[key]
    _marked.clear()


def defer(prim, skey, static, args, state):
    """The op's pending result; or its aval key when it must run now to
    learn its output aval (`Primitive._run` stores it); or None when it
    cannot defer. `state`: the thread's `local.__dict__` (see `Primitive.__call__`)."""
    tapes = state["tapes"]
    if len(tapes) != 1:
        return None
    tape = tapes[0]
    if type(tape) not in recorders or state["accumulators"] or state["tracing"] or not config["on"]:
        return None
    seg = tape.segment
    if seg is None or seg.done:
        seg = tape.segment = Segment(len(tape.nodes))
    ids = tape.ids
    n = len(args)
    if n == 2:
        # Binary ops, the commonest, unrolled: the loop below builds its key
        # and input positions in lists (measured: 28 bytecodes and 3 C calls
        # more per op, of ~390 and ~17 per taped op).
        a, b = args
        if type(a) is not Tensor or type(b) is not Tensor:
            return None
        p = a._pending
        if p is None:
            ia = seg.leaf_pos.get(id(a))
            if ia is None and (ia := seg.add_leaf(a)) is None:
                return None
            ka = seg.leaf_avals[~ia]
        elif p[1] is seg:
            ka, ia = p[0], p[2]
        else:
            return None  # pending in another segment: runs now, which runs that one
        p = b._pending
        if p is None:
            ib = seg.leaf_pos.get(id(b))
            if ib is None and (ib := seg.add_leaf(b)) is None:
                return None
            kb = seg.leaf_avals[~ib]
        elif p[1] is seg:
            kb, ib = p[0], p[2]
        else:
            return None
        if a._id not in ids and b._id not in ids:
            return None
        key = (skey, ka, kb)
    else:
        got = _op_inputs(seg, args, ids)
        if got is None or not got[2]:
            return None
        key, ins = (skey, *got[0]), got[1]
    aval = prim.out_avals.get(key)
    if aval is None:
        return key
    if aval is False:  # run alone every time (see `_alone`)
        return None
    outs = seg.outs
    pos = len(outs)
    # Its id kept in a local: a Tensor attribute read is not specialised by
    # CPython (the class has `__getattr__`), ~20 ns each.
    tid = _next_id()
    t = _new(Tensor)
    t._id = tid
    t._pending = (aval, seg, pos)
    static = static or NO_STATIC
    if n == 2:  # no star-unpacking: it builds a list first
        seg.flat.extend((prim, skey, 2, ia, ib))
        tape.nodes.append(Node((prim, skey, static, None, tid, a, b)))
    else:
        seg.flat.extend((prim, skey, n, *ins))
        tape.nodes.append(Node((prim, skey, static, None, tid, *args)))
    seg.statics.append(static)
    outs.append(_ref(t))
    if aval.dtype in TRAINABLE:
        ids.add(tid)
    if pos + 1 >= config["max_ops"]:
        # Op by op: a long tape's bounded segments must not compile programs of
        # `max_ops` ops (a persistent 10,000-op tape doubled its RSS doing so).
        seg.flush(whole=False)
    elif seg.done:  # run by another thread's read while this op was being added
        t._value = prim._fwd[skey](*[a._value for a in args])
        t._pending = None
    return t


_new = object.__new__
_ref = weakref.ref


primitive.defer_hook = defer

# Gradient programs of pending segments, per structure: a list of
# (output positions, jitted program); an empty list: the structure's plain
# backward has been compiled by `backward`'s policy, so its next sighting compiles.
_programs = backward.LRU()
# Plain gradients seen per structure not fused yet: fusing waits for
# `fuse_after` of them, past a training loop's first steps (a first
# sighting compiled whole is no sign that it recurs, and the fused program
# is a second whole compile of the same step).
_sightings = backward.LRU("stats_size")


def gradient_key(recording, targets, sources):
    """What a fused gradient program of `recording`'s pending segment depends
    on, or None when the segment cannot run as one (see `gradient`)."""
    seg = recording.segment
    if seg is None or seg.done or seg.start or len(recording.nodes) != len(seg.outs):
        return None
    if local.tapes or local.accumulators:  # the backward pass would be recorded
        return None
    tpos = []
    for t in targets:
        p = t._pending
        if p is None or p[1] is not seg:
            return None
        tpos.append(p[2])
    leaves = seg.leaves
    classes = {}
    leaf_cls = tuple([classes.setdefault(leaf._id, len(classes)) for leaf in leaves])
    ids = recording.ids
    scls = []
    for s in sources:
        c = classes.get(s._id)
        if c is None or s._pending is not None:
            return None
        scls.append(c)
    return (tuple(seg.flat), tuple(seg.leaf_avals), leaf_cls,
            tuple([leaf._id in ids for leaf in leaves]), tuple(tpos), tuple(scls))


def gradient(recording, persistent, key, targets, sources):
    """The raw gradients (arrays or None, one per source) computed with the
    pending forward in one program, or None (not compiled yet: the caller
    runs the plain path, then `observe`); once the program's gradient avals
    are known, pending tensors of a new `Tail` instead of arrays. `sources`
    are detached already."""
    progs = _programs.get(key)
    if progs is None:
        # Op by op: the structure's fused gradient program, not a forward one,
        # is what compiles once it recurs (see `observe`).
        recording.segment.flush(whole=False)
        return None
    _programs.touch(key, progs)
    seg = recording.segment
    with _lock:
        if seg.done:  # run by another thread meanwhile
            return None
        if not persistent:
            # The recording is released after this call: what only it holds is dead now.
            recording.nodes.clear()
        alive = frozenset([i for i, w in enumerate(seg.outs) if w() is not None])
        for entry in progs:
            if alive <= entry[0]:
                break
        else:
            outs = tuple(sorted(alive))
            entry = [frozenset(outs), _compile(seg, key[4], [t._pending[0] for t in targets],
                                               sources, outs), None]
            progs.append(entry)
        outs, program, grad_avals = entry
        arrays = [leaf._value for leaf in seg.leaves]
        if grad_avals is not None and not persistent and config["tail"]:
            return _open_tail(seg, program, arrays, grad_avals, sorted(outs))
        grads, values = program(arrays)
        seg.fill(sorted(outs), values)
        entry[2] = [None if g is None else g.aval for g in grads]
    return grads


def observe(key, plan, seeds):
    """After a plain gradient of a pending segment: its structure gets a
    fused program once `backward` has compiled its backward pass whole."""
    if key in _programs:
        return
    n = _sightings.touch(key, 0) + 1
    _sightings[key] = n
    if n >= config["fuse_after"] and backward.is_compiled(plan, [s._value for s in seeds]):
        _programs.touch(key, [])
        _sightings.pop(key, None)


def _compile(seg, tpos, seed_avals, sources, outs):
    """The forward of `seg` and the backward plan as one jitted program of the
    leaves; `tpos`: the targets' positions, `seed_avals`: their avals.

    The plan is built from nodes rebuilt over stand-in tensors for the
    segment's positions (the tape's own nodes may be gone already)."""
    flat, statics, leaves = tuple(seg.flat), tuple(seg.statics), seg.leaves
    stand = [Tensor(None) for _ in statics]
    nodes = [Node((prim, skey, static, None, stand[i]._id,
                   *[stand[j] if j >= 0 else leaves[~j] for j in ins]))
             for i, ((prim, skey, ins), static) in enumerate(zip(ops(flat), statics))]
    plan = backward.build_plan(nodes, [stand[p] for p in tpos], sources)
    position = {id(t): i for i, t in enumerate(stand)}
    refs = tuple([position[id(v)] if id(v) in position else seg.leaf_pos[id(v)] for v in plan.values])
    steps, n_cts, tslots, sslots = plan.steps, plan.n_cts, plan.target_slots, plan.source_slots
    outs = tuple(sorted(outs))

    def program(leaf_values):
        vals = _replay(flat, statics, leaf_values)
        values = [vals[r] if r >= 0 else leaf_values[~r] for r in refs]
        seeds = [jnp.ones(a.shape, a.dtype) for a in seed_avals]
        grads = backward.run_plan(steps, n_cts, tslots, sslots, values, seeds,
                                  backward.call_compiled, operator.add, backward.zeros_array)
        return grads, [vals[p] for p in outs]

    return jax.jit(program)


# -- the update after a fused gradient: a `Tail` ------------------------------
#
# A training step's gradient is followed by untaped ops on it and variable
# writes (`v.assign_sub(lr * g)`): a dozen eager dispatches after the one fused
# program. Once that program's gradient avals are known, `gradient` runs
# nothing: the gradients and the forward's live values are pending in a
# `Tail`, the untaped ops on them defer into it (`defer_untaped`), and so do
# writes of its values into variables (`defer_write`: the variable's `_value`
# leaves its instance dictionary until the tail runs, see `Variable`). The
# next read of any of them (the next step's forward reading a variable) runs
# the tail: once its structure recurs, as one program with the gradient.


class Tail(Segment):
    """A fused gradient and what followed it, pending.

    Positions `0..n_head-1` are the gradient program's outputs (its non-None
    gradients, then the forward's values); the ops after them are a
    segment's. head: `(program, its input arrays)`. writes: per deferred write
    `(variable, token, old)`: the token `(aval, tail, position)` is what the
    variable's `_write` holds while this is its latest write, `old` the input
    position of the value it updates (a leaf: the variable's array then).
    """

    __slots__ = ("head", "n_head", "writes", "__weakref__")

    def __init__(self, head):
        super().__init__(0)
        self.head = head
        self.n_head = 0
        self.writes = []

    def flush(self, whole=True):
        # Concrete even when read inside a trace (a tf.function capturing a
        # written variable): the results are the eager writes' values.
        with _lock, jax.ensure_compile_time_eval():
            if self.done:
                return
            ref = local.tail
            if ref is not None and ref() is self:  # this thread's: untaped ops stop asking
                local.tail = None
            program, arrays = self.head
            writes = []
            for var, token, old in self.writes:
                d = var.__dict__
                if d.get("_write") is token:
                    if "_value" in d:  # assigned a concrete value since: superseded
                        del d["_write"]
                    else:
                        writes.append((var, token, old))
            alive = tuple([i for i, w in enumerate(self.outs) if w() is not None])
            wpos = tuple([token[2] for _, token, _ in writes])
            leaves = [leaf._value for leaf in self.leaves]
            inputs, slots = _inputs(arrays, leaves)
            # A written variable's old array (a leaf) is given to XLA for its
            # new value: updated in place, no fresh buffer per step.
            n = len(arrays)
            donate = tuple(sorted({slots[n + ~old] for _, _, old in writes if old < 0}))
            key = (id(program), tuple(self.flat), tuple(self.leaf_avals), alive, wpos, slots,
                   donate)
            compiled = _tails.get(key)
            if type(compiled) is tuple and whole:
                _tails.touch(key, compiled)
                counts["whole"] += 1
                values, written = _call(compiled, inputs, donate)
                outs = self.outs
                for p, v in zip(alive, values):
                    t = outs[p]()
                    if t is not None:
                        t._value = v
                        t._pending = None
            else:
                if type(compiled) is not tuple:
                    seen = (compiled or 0) + 1
                    _tails.touch(key, seen)
                    _tails[key] = _compile_tail(self, program, alive, wpos, slots, n, donate) \
                        if whole and seen >= config["tail_after"] else seen
                counts["ops"] += 1
                grads, fvals = program(arrays)
                vals = [g for g in grads if g is not None]
                vals.extend(fvals)
                for w, v in zip(self.outs, vals):
                    t = w()
                    if t is not None:
                        t._value = v
                        t._pending = None
                vals = _run_ops(self.flat, self.outs[self.n_head:], leaves, vals)
                written = [vals[p] for p in wpos]
            for (var, _, _), v in zip(writes, written):
                d = var.__dict__
                # Straight into the dictionary: a trace's `_value` slot, when one is
                # installed, would take it for a write inside the trace.
                d["_value"] = v
                del d["_write"]
            self.head = None
            self.writes = []
            self._release()


# Tail structures: (gradient program's id, ops, leaf avals, live outputs,
# written positions, input slots, donated inputs) -> sightings so far (int),
# or the compiled programs (plain, donating, our references to each donated input).
_tails = backward.LRU()


def _inputs(arrays, leaves):
    """The programs' inputs, each array once (a donated buffer may not be
    passed twice: a variable's array is a forward leaf and its write's old
    value), and the slot in them of every head array, then every leaf."""
    inputs, where, slots = [], {}, []
    for a in itertools.chain(arrays, leaves):
        i = where.get(id(a))
        if i is None:
            i = where[id(a)] = len(inputs)
            inputs.append(a)
        slots.append(i)
    return inputs, tuple(slots)


def _compile_tail(tail, head, alive, wpos, slots, n, donate):
    flat, statics = tuple(tail.flat), tuple(tail.statics)

    def step(*inputs):
        grads, fvals = head([inputs[i] for i in slots[:n]])
        vals = [g for g in grads if g is not None]
        vals.extend(fvals)
        vals = _replay(flat, statics, [inputs[i] for i in slots[n:]], vals)
        return [vals[p] for p in alive], [vals[p] for p in wpos]

    # The references to each donated input that are ours when `_call` counts
    # them: `inputs`, the head's list per slot, per leaf slot the tail's leaf
    # tensor and `leaves`, `_call`'s local and getrefcount's argument.
    ours = tuple([3 + slots[:n].count(i) + 2 * slots[n:].count(i) for i in donate])
    plain = jax.jit(step)
    return plain, jax.jit(step, donate_argnums=donate) if donate else plain, ours


def _call(compiled, inputs, donate):
    """Runs a compiled tail, giving away the old arrays of the variables it
    writes unless something else holds them (a tensor read from the variable
    before the write: then a copy, and the holder keeps its array)."""
    plain, donating, ours = compiled
    a = None
    for i, mine in zip(donate, ours):
        a = inputs[i]
        if type(getattr(a, "sharding", None)) is not SingleDeviceSharding:
            # Donating arrays laid out over several devices crashed XLA:CPU (jax 0.10).
            return plain(*inputs)
        if getrefcount(a) > mine:
            counts["copied"] += 1
            inputs[i] = jax.device_put(a, may_alias=False)
    del a
    return donating(*inputs)


def _pending_tensor(aval, tail):
    t = _new(Tensor)
    t._id = _next_id()
    t._pending = (aval, tail, len(tail.outs))
    tail.outs.append(_ref(t))
    return t


def _dead():
    """A write's entry in `outs`: no tensor holds it."""
    return None


def _open_tail(seg, program, arrays, grad_avals, outs):
    """The gradients of fused `program` pending in a new tail, which takes
    over the forward segment's live tensors; it becomes this thread's open
    tail (`local.tail`). Called holding `_lock`."""
    tail = Tail((program, arrays))
    grads = [None if a is None else _pending_tensor(a, tail) for a in grad_avals]
    for p in outs:
        t = seg.outs[p]()
        if t is None:
            tail.outs.append(_dead)
        else:
            t._pending = (t._pending[0], tail, len(tail.outs))
            tail.outs.append(_ref(t))
    tail.n_head = len(tail.outs)
    seg._release()
    # Weakly: a tail whose pending tensors are all gone (its gradients never
    # read, nothing written) can take no more ops, and untaped ops stop asking.
    local.tail = _ref(tail)
    return grads


def defer_untaped(prim, skey, static, args):
    """An untaped op on values pending in this thread's open tail: its pending
    result, or its aval key (it must run now to learn its output aval), or
    None (it runs now). As `defer` for a tape's ops."""
    st = local
    tail = st.tail()
    if tail is None or tail.done:
        st.tail = None
        return None
    if st.accumulators or st.tracing or not config["on"]:
        return None
    for a in args:
        if type(a) is Tensor and a._pending is not None:
            break
    else:
        return None  # nothing pending: it runs now, as any op
    with _lock:
        if tail.done:
            return None
        got = _op_inputs(tail, args, None)
        if got is None or not got[2]:
            return None
        key, ins = (skey, *got[0]), got[1]
        aval = prim.out_avals.get(key)
        if aval is None or aval is False:
            return None if aval is False else key
        t = _pending_tensor(aval, tail)
        tail.flat.extend((prim, skey, len(ins), *ins))
        tail.statics.append(static or NO_STATIC)
    if len(tail.outs) >= config["max_ops"]:
        tail.flush(whole=False)
    return t


def _op_inputs(seg, args, ids):
    """Per input of an op joining `seg`: its aval (the key's part) and its
    position (a concrete tensor added as a leaf), and whether one of them is
    followed (its id in `ids`) or, with `ids` None, pending in `seg`; None
    when one is not a Tensor or is pending elsewhere."""
    key, ins, hit = [], [], False
    for a in args:
        if type(a) is not Tensor:
            return None
        p = a._pending
        if p is None:
            i = seg.leaf_pos.get(id(a))
            if i is None and (i := seg.add_leaf(a)) is None:
                return None
            key.append(seg.leaf_avals[~i])
            ins.append(i)
        elif p[1] is seg:
            key.append(p[0])
            ins.append(p[2])
            hit = hit or ids is None
        else:
            return None
        if ids is not None and not hit and a._id in ids:
            hit = True
    return key, ins, hit


class _Write:
    """A deferred variable write as a segment op: `fn(old, value) -> new`."""

    def __init__(self, name, fn, kernel):
        self.name = name
        self.fn = fn
        self._fwd = {(): kernel}


def _second(old, value):
    return value


_WRITES = {"sub": _Write("AssignSub", operator.sub, variables._sub),
           "add": _Write("AssignAdd", operator.add, variables._add),
           "assign": _Write("Assign", _second, _second)}


def defer_write(var, value, kind):
    """Records `var`'s write (`kind`: sub, add, assign) of `value`, pending in
    this thread's open tail, as a tail op; False when it cannot defer (the
    caller writes now). `value` has been checked against the variable."""
    st = local
    tail = st.tail
    tail = None if tail is None else tail()
    p = value._pending
    if tail is None or p is None or p[1] is not tail or st.tracing or not config["on"] \
            or "_value" in type(var).__dict__:  # a trace's `_value` slot is installed
        return False
    with _lock:
        if tail.done:
            return False
        d = var.__dict__
        old = d.get("_value")
        if old is None:
            w = d.get("_write")
            if w is None or w[1] is not tail:
                return False
            aval, i = w[0], w[2]
        else:
            i = tail.add_leaf(Tensor(old))
            if i is None:
                return False
            aval = tail.leaf_avals[~i]
        token = (aval, tail, len(tail.outs))
        tail.flat.extend((_WRITES[kind], (), 2, i, p[2]))
        tail.statics.append(NO_STATIC)
        tail.outs.append(_dead)
        tail.writes.append((var, token, i))
        d["_write"] = token
        d.pop("_value", None)
    return True


primitive.tail_hook = defer_untaped
variables.write_hook = defer_write
