"""The backward pass over a tape's recorded nodes.

`build_plan` prunes the recording to the nodes that lie between the sources
and the targets, turns them into a `Plan` (a flat list of VJP steps over
numbered value and cotangent slots) and runs the plan one of three ways:

* cold: each step calls its primitive's jitted VJP kernel, cached per op and
  static arguments, so a structure seen once costs one kernel call per op;
* hot: a plan whose structure has come back (a training loop) is compiled
  whole with `jax.jit` and then costs one dispatch;
* recorded: when a tape is recording, the whole plan runs as one primitive,
  so that tape records the backward pass as a single node whose own VJP JAX
  derives (higher-order gradients).

All three run the same `run_plan` loop; only the way a step is executed
differs. `run` chooses among them (`config["force"]` pins one, for tests).
"""
from __future__ import annotations

import collections
import dataclasses
import operator
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.tape import dependence
from jaxtape._src.tape.primitive import TRAINABLE, Primitive

# How many times a structure must be seen before it is compiled whole (the
# second sighting already predicts a loop), and the largest plan worth it:
# compiling costs ~1 ms per op, so a 10,000-op tape stays step by step.
# `force` pins one way of running for tests: None (choose), "steps" (never
# compile whole; recorded step by step under a tape), "compiled" (compile
# whole at the first sighting) or "recorded" (run as a recorded primitive
# even with no tape to record it).
config = {"compile_after": 2, "compile_max_steps": 2000, "cache_size": 256, "force": None}

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
            if isinstance(a, Tensor) and a._id in reach:
                forward.append(node)
                reach.update(node.out_ids)
                break
    needed = {t._id for t in targets if t._id in reach}
    ct_slot = {}
    val_slot = {}
    values = []
    steps = []
    key = []
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
            mask.append(False)
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
        key.append((node.prim, node.skey, step.mask, step.arg_slots, step.out_slots,
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
    return prim.raw_vjp(skey, static, mask)(*args, *cts)


def zeros_array(aval):
    return jnp.zeros(aval[0], aval[1])


class LRU(collections.OrderedDict):
    """A cache of at most `config["cache_size"]` entries, least recently touched out first."""

    def touch(self, key, default):
        value = self.pop(key, default)
        self[key] = value
        if len(self) > config["cache_size"]:
            self.popitem(last=False)
        return value


_seen = LRU()
_compiled = LRU()


def _compile(plan):
    steps, n_cts, tslots, sslots = plan.steps, plan.n_cts, plan.target_slots, plan.source_slots

    def program(values, seeds):
        return run_plan(steps, n_cts, tslots, sslots, values, seeds,
                        call_traced, operator.add, zeros_array)

    return jax.jit(program)


def compilable(plan):
    return len(plan.steps) <= config["compile_max_steps"] and all(step.prim.jit for step in plan.steps)


def run(plan, seeds, recorded):
    """Runs a plan on seed tensors; one Tensor (or None) per source.

    recorded: whether an active tape or accumulator must see the backward
    pass (then it runs as recorded primitives).
    """
    force = config["force"]
    if recorded or force == "recorded":
        return run_recorded(plan, seeds)
    return [None if g is None else Tensor(g)
            for g in run_eager(plan, [s._value for s in seeds], force)]


def run_eager(plan, seeds, force=None):
    """Runs a plan on arrays: compiled if its structure keeps coming back."""
    program = None
    if force != "steps":
        program = _compiled.get(plan.key)
        if program is None and compilable(plan):
            # Sightings are counted by the key's hash: holding the full key of
            # every plan ever run would pin megabytes per large tape, and a hash
            # collision only compiles a plan one sighting early.
            h = hash(plan.key)
            seen = _seen.touch(h, 0) + 1
            _seen[h] = seen
            if seen >= config["compile_after"] or force == "compiled":
                program = _compiled.touch(plan.key, _compile(plan))
    values = [v._value if isinstance(v, Tensor) else v for v in plan.values]
    if program is not None:
        return program(values, list(seeds))
    return run_plan(plan.steps, plan.n_cts, plan.target_slots, plan.source_slots,
                    values, seeds, _call_kernel, _add, zeros_array)


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
    return dependence.used_inputs(closed.jaxpr, range(len(closed.jaxpr.outvars)))[:len(values)]
