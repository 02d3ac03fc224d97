"""The backward pass over a tape's recorded nodes.

`gradients` prunes the recording to the nodes that lie between the sources
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
differs.
"""
from __future__ import annotations

import collections
import operator

import jax
import jax.numpy as jnp

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.tape.primitive import TRAINABLE, Primitive

# How many times a structure must be seen before it is compiled whole (the
# second sighting already predicts a loop), and the largest plan worth it:
# compiling costs ~1 ms per op, so a 10,000-op tape stays step by step.
config = {"compile_after": 2, "compile_max_steps": 2000, "cache_size": 256}

_add = jax.jit(operator.add)


class Plan:
    """The backward pass as data: steps over value and cotangent slots.

    steps: tuple of (prim, skey, static, mask, arg_slots, out_slots, in_slots,
    out_avals), in reverse recording order.
    """

    __slots__ = ("key", "steps", "n_cts", "target_slots", "source_slots", "values")

    def __init__(self, key, steps, n_cts, target_slots, source_slots, values):
        self.key = key
        self.steps = steps
        self.n_cts = n_cts
        self.target_slots = target_slots
        self.source_slots = source_slots
        self.values = values


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
        step = (node.prim, node.skey, node.static, tuple(mask), tuple(arg_slots),
                tuple(out_slots), tuple(in_slots), node.out_avals)
        steps.append(step)
        key.append((node.prim, node.skey, step[3], step[4], step[5], step[6], node.out_avals))
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

    `call(step, args, cts)` executes one VJP; `add` sums cotangents; `zeros`
    makes the missing cotangent of a multi-output op from its (shape, dtype).
    """
    cts = [None] * n_cts
    for slot, seed in zip(target_slots, seeds):
        cts[slot] = seed if cts[slot] is None else add(cts[slot], seed)
    keep = set(source_slots)
    for step in steps:
        out_slots = step[5]
        outs = [cts[s] for s in out_slots]
        if len(outs) == 1:
            if outs[0] is None:
                continue
        else:
            if all(o is None for o in outs):
                continue
            outs = [zeros(av) if o is None else o for o, av in zip(outs, step[7])]
        for s in out_slots:
            if s not in keep:
                cts[s] = None
        grads = call(step, [values[i] for i in step[4]], outs)
        for s, g in zip(step[6], grads):
            if g is not None:  # a custom gradient may give an input none
                cts[s] = g if cts[s] is None else add(cts[s], g)
    return [cts[s] for s in source_slots]


# -- the three ways to execute a step -------------------------------------

def _call_kernel(step, args, cts):
    return step[0].vjp_kernel(step[1], step[2], step[3])(*args, *cts)


def _zeros_array(aval):
    return jnp.zeros(aval[0], aval[1])


def _call_recorded(step, args, cts):
    return step[0].vjp_primitive(step[1], step[2], step[3])(*args, *cts)


def _call_traced(step, args, cts):
    return step[0].raw_vjp(step[1], step[2], step[3])(*args, *cts)


class _LRU(collections.OrderedDict):
    def touch(self, key, default):
        value = self.pop(key, default)
        self[key] = value
        if len(self) > config["cache_size"]:
            self.popitem(last=False)
        return value


_seen = _LRU()
_compiled = _LRU()


def _compile(plan):
    steps, n_cts, tslots, sslots = plan.steps, plan.n_cts, plan.target_slots, plan.source_slots

    def program(values, seeds):
        return run_plan(steps, n_cts, tslots, sslots, values, seeds,
                        _call_traced, operator.add, _zeros_array)

    return jax.jit(program)


def _compilable(plan):
    return len(plan.steps) <= config["compile_max_steps"] and all(step[0].jit for step in plan.steps)


def run_eager(plan, seeds):
    """Runs a plan on arrays: compiled if its structure keeps coming back."""
    program = _compiled.get(plan.key)
    if program is None and _compilable(plan):
        # Sightings are counted by the key's hash: holding the full key of
        # every plan ever run would pin megabytes per large tape, and a hash
        # collision only compiles a plan one sighting early.
        h = hash(plan.key)
        seen = _seen.touch(h, 0) + 1
        _seen[h] = seen
        if seen >= config["compile_after"]:
            program = _compiled.touch(plan.key, _compile(plan))
    values = [v._value if isinstance(v, Tensor) else v for v in plan.values]
    if program is not None:
        return program(values, list(seeds))
    return run_plan(plan.steps, plan.n_cts, plan.target_slots, plan.source_slots,
                    values, seeds, _call_kernel, _add, _zeros_array)


def connected_sources(plan):
    """Which sources receive a cotangent at all (static: None-ness is structural)."""
    live = set(plan.target_slots)
    for step in plan.steps:
        for s in step[5]:
            if s in live:
                live.update(step[6])
                break
    return tuple(s in live for s in plan.source_slots)


_recorded = _LRU()


def _program_primitive(plan, connected):
    """The whole backward pass as one primitive: an outer tape records a single
    node, and its own gradient (second order) is JAX's VJP of the program."""
    steps, n_cts, tslots, sslots = plan.steps, plan.n_cts, plan.target_slots, plan.source_slots
    n_values = len(plan.values)

    def backward_program(*flat):
        grads = run_plan(steps, n_cts, tslots, sslots, list(flat[:n_values]), list(flat[n_values:]),
                         _call_traced, operator.add, _zeros_array)
        return tuple(g for g, c in zip(grads, connected) if c)

    return Primitive(backward_program, "Gradient", multiple_results=True)


def run_recorded(plan, seeds):
    """Runs a plan as one recorded primitive, so active tapes record the backward pass."""
    connected = connected_sources(plan)
    if not any(connected):
        return [None] * len(connected)
    if not _compilable(plan):
        # Too large to compile whole, or holding an op whose shapes depend on
        # values: record each step's VJP as its own node.
        from jaxtape._src.ops.math.arithmetic import add_recorded  # late: ops import the tape
        return run_plan(plan.steps, plan.n_cts, plan.target_slots, plan.source_slots,
                        plan.values, seeds, _call_recorded, add_recorded,
                        lambda av: Tensor(jnp.zeros(av[0], av[1])))
    key = (plan.key, connected)
    prim = _recorded.get(key)
    if prim is None:
        prim = _recorded.touch(key, _program_primitive(plan, connected))
    grads = iter(prim(*plan.values, *seeds))
    return [next(grads) if c else None for c in connected]
