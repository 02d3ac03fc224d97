"""The backward pass over a tape's recorded nodes.

`build_plan` prunes the recording to the nodes that lie between the sources
and the targets, turns them into a `Plan` (a flat list of VJP steps over
numbered value and cotangent slots) and runs the plan one of three ways:

* cold: each step calls its primitive's jitted VJP kernel, cached per op and
  static arguments, so a structure seen once costs one kernel call per op;
* hot: a plan whose structure has come back with the same shapes (a
  training loop) is compiled whole with `jax.jit` and then costs one
  dispatch, once compiling is predicted to pay (see `run_eager`);
* recorded: when a tape is recording, the whole plan runs as one primitive,
  so that tape records the backward pass as a single node whose own VJP JAX
  derives (higher-order gradients).

All three run the same `run_plan` loop; only the way a step is executed
differs. `run` chooses among them (`config["force"]` pins one, for tests).
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import operator
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework import kernel_cache
from jaxtape._src.tape import dependence, host_tier, release, tiers
from jaxtape._src.tape.primitive import TRAINABLE, Dropped, Primitive

# When a plan is compiled whole (see `run_eager`): not before its structure
# and shapes have been seen `compile_after` times, and not before running it
# step by step has cost as much time as compiling it is predicted to cost
# (`compile_s` + `compile_s_per_step` per step, scaled by what compiles have
# really cost so far), or at the latest at the `compile_by`th sighting if it
# has been at least `dense` of the plans run since its first sighting: the
# time measured is the steps' dispatch, not what fusing them whole saves in
# compute, so a structure that keeps recurring is compiled anyway (one among
# hundreds that each come back rarely is not: its compile would not be
# repaid). A first sighting whose VJP kernels are mostly new to the process
# (its first gradient, a training loop's first step) compiles whole at once
# when `compile_s` per new kernel is at least the whole plan's predicted
# compile: one compile instead of one per kernel (`first_whole`: False,
# never), in the quick tier where there is one (a first gradient may be the
# only one), the full tier compiled in the background from its
# `tiers.config["full_at"]`th call (a training loop) and swapped in when
# ready (`_quick_then_full`); the compile the ski-rental rule decides is
# the full tier's, at once (that structure has proved that it recurs).
# Never above `compile_max_steps` steps (a 10,000-op tape stays step by
# step). `cache_size` bounds the compiled programs and
# `stats_size` the structures whose cost is tracked (a hash and three numbers
# each). A structure met with more than `quick_plan_after` shape signatures
# compiles each new one whole in the quick tier (see `tiers`; None: never),
# promoted to the full tier at its `promote_after`th call. `force` pins one
# way of running for tests: None (choose), "steps"
# (never compile whole; recorded step by step under a tape), "compiled"
# (compile whole at the first sighting) or "recorded" (run as a recorded
# primitive even with no tape to record it).
config = {"compile_after": 2, "compile_max_steps": 2000, "cache_size": 256, "force": None,
          "stats_size": 16384, "compile_s": 0.02, "compile_s_per_step": 0.0005,
          "compile_by": 8, "dense": 1 / 16, "first_whole": True,
          "quick_plan_after": 2, "promote_after": 8}

_add = jax.jit(operator.add)

# Cotangent accumulation when a tape records the backward pass step by step.
_add_recorded = Primitive(jnp.add, "AddV2")


_new_step = tuple.__new__


class Step(NamedTuple):
    """One VJP of the plan. Slots index the plan's values and cotangents.

    mask: per argument, whether it gets a gradient (a followed tensor).
    arg_slots: value slot per argument; out_slots: cotangent slot per
    output; in_slots: cotangent slot per masked argument; out_avals: as
    `Node.out_avals` (None for a single output).
    """

    prim: Primitive
    skey: tuple
    static: object
    mask: tuple
    arg_slots: tuple
    out_slots: tuple
    in_slots: tuple
    out_avals: tuple | None


@dataclasses.dataclass(slots=True, eq=False)
class Plan:
    """The backward pass as data: steps over value and cotangent slots.

    key: the structure (what a compiled program depends on), hashable.
    steps: `Step`s, in reverse recording order.
    values: the saved inputs the steps read (tensors or raw values).
    """

    key: tuple
    steps: tuple
    n_cts: int
    target_slots: tuple
    source_slots: tuple
    values: list


def build_plan(nodes, targets, sources):
    """Prunes `nodes` to what connects `sources` to `targets` and numbers it."""
    # Integer sources start nothing: TF gives them None, and JAX cannot take a VJP in them.
    source_ids = {s._id for s in sources if s._value.dtype in TRAINABLE}
    reach = set(source_ids)
    forward = []
    for node in nodes:
        for a in node.args:
            if (isinstance(a, Tensor) or type(a) is Dropped and node.prim.vjp_reads is not None) \
                    and a._id in reach:
                forward.append(node)
                reach.update(node.out_ids)
                break
    needed = {t._id for t in targets if t._id in reach}
    ct_slot = {}
    val_slot = {}
    values = []
    steps = []
    key = []
    dropped = False  # whether the node's inputs hold a `Dropped` (a released tape's)
    for node in reversed(forward):
        out_ids = node.out_ids
        for o in out_ids:
            if o in needed:
                break
        else:
            continue
        args = node.args
        mask = []
        arg_slots = []
        in_slots = []
        for a in args:
            if isinstance(a, Tensor):
                slot = val_slot.get(id(a))
                if slot is None:
                    slot = val_slot[id(a)] = len(values)
                    values.append(a)
                arg_slots.append(slot)
                if a._id in reach:
                    mask.append(True)
                    needed.add(a._id)
                    c = ct_slot.get(a._id)
                    if c is None:
                        c = ct_slot[a._id] = len(ct_slot)
                    in_slots.append(c)
                    continue
            else:
                arg_slots.append(len(values))
                values.append(a)
                # Let go by its tape (`release`): the cotangent is still routed. (A
                # `Dropped` a recorded backward pass took as a value is a constant.)
                if type(a) is Dropped and node.prim.vjp_reads is not None:
                    dropped = True
                    if a._id in reach:
                        mask.append(True)
                        needed.add(a._id)
                        c = ct_slot.get(a._id)
                        if c is None:
                            c = ct_slot[a._id] = len(ct_slot)
                        in_slots.append(c)
                        continue
            mask.append(False)
        if dropped:
            release.check_reads(node, mask)
            dropped = False
        out_slots = []
        for o in out_ids:
            c = ct_slot.get(o)
            if c is None:
                c = ct_slot[o] = len(ct_slot)
            out_slots.append(c)
        # tuple.__new__ skips the NamedTuple's Python-level __new__ (one call per step).
        step = _new_step(Step, (node.prim, node.skey, node.static, tuple(mask), tuple(arg_slots),
                                tuple(out_slots), tuple(in_slots), node.out_avals))
        steps.append(step)
        # Flat, seven entries a step (unambiguous): no tuple per step for the
        # garbage collector to walk while the plan is alive.
        key.extend((node.prim, node.skey, step.mask, step.arg_slots, step.out_slots,
                    step.in_slots, node.out_avals))
    for t in targets:
        if t._id not in ct_slot:
            ct_slot[t._id] = len(ct_slot)
    for s in sources:
        if s._id not in ct_slot:
            ct_slot[s._id] = len(ct_slot)
    target_slots = tuple(ct_slot[t._id] for t in targets)
    source_slots = tuple(ct_slot[s._id] for s in sources)
    full_key = (tuple(key), target_slots, source_slots, len(values))
    return Plan(full_key, tuple(steps), len(ct_slot), target_slots, source_slots, values)


def run_plan(steps, n_cts, target_slots, source_slots, values, seeds, call, add, zeros):
    """Walks the steps, accumulating cotangents; returns one per source slot.

    `call(prim, skey, static, mask, args, cts)` executes one VJP; `add` sums
    cotangents; `zeros` makes the missing cotangent of a multi-output op from
    its (shape, dtype).
    """
    cts = [None] * n_cts
    for slot, seed in zip(target_slots, seeds):
        cts[slot] = seed if cts[slot] is None else add(cts[slot], seed)
    keep = set(source_slots)
    for prim, skey, static, mask, arg_slots, out_slots, in_slots, out_avals in steps:
        outs = [cts[s] for s in out_slots]
        if len(outs) == 1:
            if outs[0] is None:
                continue
        else:
            if all(o is None for o in outs):
                continue
            outs = [zeros(av) if o is None else o for o, av in zip(outs, out_avals)]
        for s in out_slots:
            if s not in keep:
                cts[s] = None
        grads = call(prim, skey, static, mask, [values[i] for i in arg_slots], outs)
        for s, g in zip(in_slots, grads):
            if g is not None:  # a custom gradient may give an input none
                cts[s] = g if cts[s] is None else add(cts[s], g)
    return [cts[s] for s in source_slots]


# -- the three ways to execute a step -------------------------------------

def _call_kernel(prim, skey, static, mask, args, cts):
    return prim.vjp_kernel(skey, static, mask)(*args, *cts)


def _call_recorded(prim, skey, static, mask, args, cts):
    return prim.vjp_primitive(skey, static, mask)(*args, *cts)


def call_traced(prim, skey, static, mask, args, cts):
    """A step inside a program that may be differentiated again (recorded, a
    jacobian): the VJP from the inputs, not kept residuals (see `KeptResiduals`)."""
    vjp = prim.recompute_vjp(skey, static, mask)
    if prim.jax_derivatives:
        return dependence.with_discrete_dependence(vjp, *args, *cts)
    return vjp(*args, *cts)


def _call_compiled(prim, skey, static, mask, args, cts):
    """A step inside an eager whole-plan program, never differentiated: kept
    residuals are used."""
    return prim.raw_vjp(skey, static, mask)(*args, *cts)


def zeros_array(aval):
    return jnp.zeros(aval[0], aval[1])


class LRU(collections.OrderedDict):
    """A cache of at most `config[size]` entries, least recently touched out first."""

    def __init__(self, size="cache_size"):
        super().__init__()
        self.size = size

    def touch(self, key, default):
        value = self.pop(key, default)
        self[key] = value
        if len(self) > config[self.size]:
            self.popitem(last=False)
        return value


class Stats:
    """What running one (structure, shapes) step by step has cost so far."""

    __slots__ = ("sightings", "timed", "best_s", "compiles", "first")

    def __init__(self, first):
        self.first = first  # `_runs` at the first sighting: how densely it recurs
        self.sightings = 0
        self.timed = 0  # step-by-step runs timed: all but the first
        # The fastest of them: a run that compiled kernels (a new shape's
        # first or second sighting, see `tiers`) is not what later runs cost.
        self.best_s = 0.0
        self.compiles = 0

    def step_s(self):
        """What running step by step has cost since the first sighting."""
        return self.best_s * self.timed


# Keyed by the hash of (structure, shapes): holding the full key of every plan
# ever run would pin megabytes per large tape, and a collision only merges two
# plans' costs.
_stats = LRU("stats_size")
_compiled = LRU()
_shape_kinds = LRU("stats_size")  # structure hash -> (shape signatures met, `_runs` at the first)
# Measured compile time / predicted, averaged: corrects the prior in `config`
# to this machine and this kind of plan.
_cost = {"scale": 1.0}
_clock = time.perf_counter  # a fake clock in tests makes the policy deterministic
_runs = itertools.count()  # plans run eagerly that could compile: the recurrence clock


def predicted_compile_s(plan):
    return _cost["scale"] * (config["compile_s"] + config["compile_s_per_step"] * len(plan.steps))


def _learn_compile_cost(plan, seconds):
    ratio = seconds / (config["compile_s"] + config["compile_s_per_step"] * len(plan.steps) or 1e-3)
    # Clamped: a process's first compile also pays JAX's own one-time set-up.
    _cost["scale"] = 0.7 * _cost["scale"] + 0.3 * min(max(ratio, 0.1), 10.0)


def shapes_of(values):
    """The shapes and dtypes a compiled program depends on besides the structure."""
    try:  # `aval` rather than the `shape`/`dtype` properties: no Python call per value
        return tuple([(v.aval.shape, v.aval.dtype) for v in values])
    except AttributeError:  # a raw Python value among them
        return tuple([(getattr(v, "shape", None), getattr(v, "dtype", type(v))) for v in values])


def _program(plan):
    steps, n_cts, tslots, sslots = plan.steps, plan.n_cts, plan.target_slots, plan.source_slots

    def program(values, seeds):
        return run_plan(steps, n_cts, tslots, sslots, values, seeds,
                        _call_compiled, operator.add, zeros_array)

    return program


def _compile(plan, options=None, program=None):
    """`jax.jit` of the plan's program; `program` shares one (its trace and
    lowering) between the quick and the full tier. A plain one is looked up
    in the kernel cache first (by the plan's identity and the shapes of its
    first call: `_compiled` keys a program by both), so a fresh process's
    first gradient of a structure met before runs with no trace."""
    if options:
        return jax.jit(program or _program(plan), compiler_options=options)
    if program is not None:
        return jax.jit(program)
    return kernel_cache.planned(jax.jit(_program(plan)), plan)


def _quick_then_full(plan, key, options, full_at):
    """The plan compiled in the quick tier (see `tiers`); at its `full_at`th
    call the full tier is compiled (in the background: `tiers.promote`)
    while the quick program serves, and replaces it in `_compiled` once ready."""
    plan = dataclasses.replace(plan, values=[])  # held in `_compiled`: not the tensors
    fn = _program(plan)
    quick = _compile(plan, options, fn)
    state = {"calls": 0, "full": None, "ready": False}

    def program(values, seeds):
        if state["ready"]:
            if _compiled.get(key) is program:
                _compiled[key] = state["full"]  # same LRU position; the plain jit from now on
            return state["full"](values, seeds)
        state["calls"] += 1
        if state["calls"] == full_at:
            full = state["full"] = _compile(plan, None, fn)
            # (Not learnt from: the compile thread's time includes its queue.)
            tiers.promote(full, (values, seeds), functools.partial(state.__setitem__, "ready", True))
            if state["ready"]:  # compiled on this thread: this call pays it
                return program(values, seeds)
        return quick(values, seeds)

    return program


def compilable(plan):
    # A list, not a generator: one call, where a generator resumes once per step.
    return len(plan.steps) <= config["compile_max_steps"] and all([s.prim.jit for s in plan.steps])


# Hashes of (primitive id, static key, mask) of the VJP kernels plans have
# needed: hashes, so that primitives made on the fly are not kept alive; a
# collision (or a reused id) only makes a first sighting run step by step.
_known_kernels = set()


def _mostly_new_kernels(plan):
    """Whether compiling `plan` whole costs less than compiling the VJP
    kernels it needs that no plan has needed before (a process's first
    gradient, a training loop's first step); they count as known from now
    on, so the next plan that needs them compiles them step by step."""
    known = _known_kernels
    if len(known) > config["stats_size"]:
        known.clear()
    new = 0
    for step in plan.steps:
        k = hash((id(step.prim), step.skey, step.mask))
        if k not in known:
            known.add(k)
            new += 1
    return new > 1 and new * _cost["scale"] * config["compile_s"] >= predicted_compile_s(plan)


def run(plan, seeds, recorded):
    """Runs a plan on seed tensors; one Tensor (or None) per source.

    recorded: whether an active tape or accumulator must see the backward
    pass (then it runs as recorded primitives).
    """
    force = config["force"]
    tiers.gradient_done()
    if recorded or force == "recorded":
        return run_recorded(plan, seeds)
    return [None if g is None else Tensor(g)
            for g in run_eager(plan, [s._value for s in seeds], force)]


def _compile_and_run(plan, key, values, seeds):
    """Compiles `plan` whole (kept under `key`), runs it, and learns what the
    compile cost (not when the kernel cache served it: nothing compiled)."""
    program = _compiled.touch(key, _compile(plan))
    start = _clock()
    out = program(values, list(seeds))
    if not getattr(program, "loaded", False):
        _learn_compile_cost(plan, _clock() - start)
    return out


def run_eager(plan, seeds, force=None):
    """Runs a plan on arrays: compiled whole once that is predicted to pay.

    A compiled program is specific to the structure and the shapes, so
    both key it: a structure that comes back with a new batch size every
    call never compiles (it would compile on every call). Otherwise this is
    the ski-rental rule: keep running step by step until the time spent on
    a (structure, shapes) since its first sighting reaches what compiling
    it is predicted to cost, then compile. Whatever the future, the total
    is then at most about twice the better of the two choices; a structure
    compiled, evicted and seen again needs twice the step time (or twice
    the sightings) before each recompile, so more recurring structures than `cache_size` cannot thrash.
    The exception is a structure that keeps meeting new shapes: its kernels
    would each compile for every new shape anyway, so one quick-tier
    compile of the whole plan replaces them.
    """
    # `type(v) is Tensor` first: no call for the common case.
    values = [v._value if type(v) is Tensor or isinstance(v, Tensor) else v for v in plan.values]
    stats = None
    if force != "steps" and compilable(plan):
        key = (plan.key, shapes_of(values), shapes_of(seeds))
        program = _compiled.get(key)
        if program is not None:
            return program(values, list(seeds))
        h = hash(key)
        run = next(_runs)
        stats = _stats.pop(h, None) or Stats(run)
        _stats[h] = stats  # most recent last (see LRU.touch), bounded below
        if len(_stats) > config["stats_size"]:
            _stats.popitem(last=False)
        stats.sightings += 1
        n = stats.sightings
        backoff = 2 ** stats.compiles
        if force == "compiled" or (n >= config["compile_after"] and (
                stats.step_s() >= predicted_compile_s(plan) * backoff
                or (n >= config["compile_by"] * backoff
                    and n >= (run - stats.first + 1) * config["dense"]))):
            stats.compiles += 1
            return _compile_and_run(plan, key, values, seeds)
        if n == 1 and config["first_whole"] and _mostly_new_kernels(plan):
            stats.compiles += 1
            options = tiers.quick_options() if tiers.config["quick_first"] else None
            if options is not None:
                # Quick first: a first gradient may be the only one; a training
                # loop's second step starts the full tier's compile (`tiers`).
                program = _compiled.touch(key, _quick_then_full(
                    plan, key, options, tiers.config["full_at"]))
                return program(values, list(seeds))
            return _compile_and_run(plan, key, values, seeds)
        if stats.sightings == 1:
            options = tiers.quick_options()
            if options is not None and config["quick_plan_after"] is not None \
                    and not host_tier.serves(values):
                # A structure that keeps meeting new shapes (a new batch size every
                # call): one quick compile of the whole plan costs less than
                # compiling each of its kernels for the new shapes (unless NumPy
                # runs those: `host_tier`, cheaper still).
                # Only while it recurs densely (`dense`): one met again among
                # many others (the same op sequences run on several tensor
                # sizes in turn) finds its kernels compiled for the new
                # shapes by those others, and would compile on every call.
                h = hash(plan.key)
                kinds, first = _shape_kinds.pop(h, None) or (0, run)
                kinds += 1
                _shape_kinds.touch(h, (kinds, first))
                if kinds > config["quick_plan_after"] and kinds >= (run - first + 1) * config["dense"]:
                    program = _compiled.touch(key, _quick_then_full(
                        plan, key, options, config["promote_after"]))
                    return program(values, list(seeds))
            stats = None  # the first run pays kernel compiles a repeat will not
    start = _clock() if stats is not None else 0.0
    out = run_plan(plan.steps, plan.n_cts, plan.target_slots, plan.source_slots,
                   values, seeds, _call_kernel, _add, zeros_array)
    if stats is not None:
        spent = _clock() - start
        stats.best_s = spent if not stats.timed else min(stats.best_s, spent)
        stats.timed += 1
    return out


def connected_sources(plan):
    """Which sources receive a cotangent at all (static: None-ness is structural)."""
    live = set(plan.target_slots)
    for step in plan.steps:
        for s in step.out_slots:
            if s in live:
                live.update(step.in_slots)
                break
    return tuple(s in live for s in plan.source_slots)


_recorded = LRU()


def _program_primitive(plan, connected):
    """The whole backward pass as one primitive: an outer tape records a single
    node, and its own gradient (second order) is JAX's VJP of the program."""
    steps, n_cts, tslots, sslots = plan.steps, plan.n_cts, plan.target_slots, plan.source_slots
    n_values = len(plan.values)

    def backward_program(*flat):
        grads = run_plan(steps, n_cts, tslots, sslots, list(flat[:n_values]), list(flat[n_values:]),
                         call_traced, operator.add, zeros_array)
        return tuple(g for g, c in zip(grads, connected) if c)

    return Primitive(backward_program, "Gradient", multiple_results=True)


def run_recorded(plan, seeds):
    """Runs a plan as one recorded primitive, so active tapes record the backward pass."""
    connected = connected_sources(plan)
    if not any(connected):
        return [None] * len(connected)
    if config["force"] == "steps" or not compilable(plan):
        # Too large to compile whole, or holding an op whose shapes depend on
        # values: record each step's VJP as its own node.
        return run_plan(plan.steps, plan.n_cts, plan.target_slots, plan.source_slots,
                        plan.values, seeds, _call_recorded, _add_recorded,
                        lambda av: Tensor(jnp.zeros(av[0], av[1])))
    key = (plan.key, connected)
    entry = _recorded.get(key)
    if entry is None:
        prim = _program_primitive(plan, connected)
        entry = _recorded.touch(key, (prim, _used_values(prim, plan.values, seeds)))
    prim, used = entry
    # A value no gradient depends on enters unfollowed: its outer gradient is None, as in TF.
    values = [v if u or not isinstance(v, Tensor) else Tensor(v._value)
              for v, u in zip(plan.values, used)]
    grads = iter(prim(*values, *seeds))
    return [next(grads) if c else None for c in connected]


def _used_values(prim, values, seeds):
    arrays = [v._value if isinstance(v, Tensor) else v for v in values] + [s._value for s in seeds]
    closed = jax.make_jaxpr(prim.fn)(*arrays)
    used = iter(dependence.used_inputs(closed.jaxpr, range(len(closed.jaxpr.outvars)),
                                       discrete=False))
    # A `Dropped` value is no input of the jaxpr (a pytree without leaves).
    return [False if type(v) is Dropped else next(used) for v in values]


# -- for tape/deferred.py, which runs a pending forward and a plan as one program --

call_compiled = _call_compiled


def is_compiled(plan, seeds):
    """Whether `run_eager` holds this plan compiled whole for these seed arrays'
    shapes (its policy judged that the structure recurs and compiling pays)."""
    values = [v._value if isinstance(v, Tensor) else v for v in plan.values]
    return (plan.key, shapes_of(values), shapes_of(seeds)) in _compiled
