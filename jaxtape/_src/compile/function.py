"""`tf.function`: a Python function compiled whole with `jax.jit`.

A trace runs the Python function once on traced tensors under
`jax.make_jaxpr`, with variables routed through a `capture.Scope`. The
program's constants then include one copy per variable read; those become
inputs, and the final values of written variables become outputs, so a
`ConcreteFunction` is a pure function `(variable values, tensors) ->
(outputs, new variable values)`, jitted once. A call feeds it the variables'
current arrays and writes the new values back: a whole training step
(forward, tape, gradient, `assign_sub`) is one XLA computation. Outside
tapes a written variable's array is donated to its new value (updated in
place) unless something else still holds it.

Called inside a `GradientTape`, the compiled call is a `Primitive` whose
inputs include the variables' reads, so the tape records one node and JAX
derives its VJP (a program with host callbacks keeps its pullback instead,
`saved_call.py`). The elements of a tf.data dataset the function iterates
are inputs too, read at each call (`feeds.py`).
"""
from __future__ import annotations

import functools
import weakref
from sys import getrefcount

import jax
import jax.numpy as jnp
from jax import tree_util
from jax.sharding import SingleDeviceSharding

from jaxtape._src.compile import capture, feeds, graph_ops, saved_call
from jaxtape._src.compile import signature
from jaxtape._src.compile.signature import TRACED
from jaxtape._src.framework.convert import cached_scalar_ids, convert_to_tensor
from jaxtape._src.framework import name_scope
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.nest import flatten_with_tree, in_key_order, key_order
from jaxtape._src.framework.state import local
from jaxtape._src.framework.strings import StringTensor, not_traceable
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.variables import Variable
from jaxtape._src.tape import stack
from jaxtape._src.tape.primitive import TRAINABLE, Primitive


class traced(stack.hidden):
    """Context: this thread is tracing; outer tapes and accumulators are hidden
    (only `tapes` are active inside).

    A tape active outside must not record ops on tracers; the call as a whole
    is recorded after the trace instead.
    """

    __slots__ = ()

    def __enter__(self):
        super().__enter__()
        graph_ops.installed().__enter__()
        local.tracing += 1
        return self

    def __exit__(self, *exc):
        local.tracing -= 1
        graph_ops.installed().__exit__()
        super().__exit__(*exc)


def output_leaf(leaf):
    """A traced output leaf as an array, or None for a value kept as is."""
    if isinstance(leaf, Variable):
        leaf = leaf._read_for_op()
    if isinstance(leaf, StringTensor):  # strings are host constants folded at trace time
        return None
    if isinstance(leaf, Tensor):
        return leaf._value
    if leaf is None or isinstance(leaf, str):
        return None
    try:
        return convert_to_tensor(leaf)._value
    except (TypeError, ValueError):
        return None


class FollowAll(stack.Recorder):
    """Stands in `local.tapes` while a body is traced; records every op, so a
    trace knows which outer tensors it captured and what its outputs depend on."""

    __slots__ = ("ids", "nodes", "watched")

    def __init__(self):
        self.ids = stack.EVERY_ID
        self.nodes = []
        self.watched = {}

    def watch_variable(self, var):
        self.watched[id(var)] = var

    def reaching(self, out_ids):
        """The ids of the tensors the `out_ids` depend on through differentiable ops
        (TF's gradient rules: ops without a gradient and integer tensors cut)."""
        live = set(out_ids)
        for node in reversed(self.nodes):
            for o in node.out_ids:
                if o in live:
                    live.update(a._id for a in node.args if isinstance(a, Tensor))
                    break
        return live


class _CompiledCall(Primitive):
    """The compiled call as one recorded op, sharing the jitted function."""

    def __init__(self, pure, jitted, name):
        super().__init__(pure, name, multiple_results=True)
        self._jitted = jitted

    def bind_static(self, skey, static):
        return self._jitted


class ConcreteFunction:
    """One trace: the jitted pure function and how to feed it and unpack it."""

    def __init__(self, name, closed, scope, out_tree, out_template, n_out, written, created,
                 captured, live, collector, out_order=None):
        consts = list(closed.consts)
        in_vars, caps, slots, index = [], [], [], {}
        for i, c in enumerate(consts):
            var = scope.copies.get(id(c))
            if var is not None:
                j = index.get(id(var))
                if j is None:
                    j = index[id(var)] = len(in_vars)
                    in_vars.append(var)
                slots.append((i, j))
                consts[i] = None  # fed at each call; do not keep the copy alive
            elif id(c) in captured:
                caps.append((i, captured[id(c)]))
        n_vars = len(in_vars)
        for i, t in caps:  # captured tensors a tape may follow are inputs after the variables
            j = index.get(id(t))
            if j is None:
                j = index[id(t)] = len(in_vars)
                in_vars.append(t)
            slots.append((i, j))
        # Arrays a feed staged (tf.data elements): inputs after the captures, each
        # call's own values (`feeds.py`).
        feed_index = []
        for i, c in enumerate(consts):
            where = collector.slots.get(id(c)) if c is not None else None
            if where is not None:
                slots.append((i, len(in_vars) + len(feed_index)))
                feed_index.append(where)
                consts[i] = None
        self.feeds = feeds.kept(collector.feeds, {k for k, _ in feed_index})
        renumber = {id(f): n for n, f in enumerate(self.feeds)}
        self.feed_index = [(renumber[id(collector.feeds[k])], j) for k, j in feed_index]
        jaxpr = closed.jaxpr
        n_pre = len(in_vars) + len(self.feed_index)
        self.captured = tuple(in_vars[n_vars:])
        in_vars = in_vars[:n_vars]

        def pure(*flat):
            c = list(consts)
            for i, j in slots:
                c[i] = flat[j]
            return tuple(jax.core.eval_jaxpr(jaxpr, c, *flat[n_pre:]))

        pure.__name__ = name
        self.in_vars = tuple(in_vars)
        self.arg_vars = ()  # the variable arguments it was traced with (`Function`)
        self.capture_values = tuple(t._value for t in self.captured)
        # Per input (variables, captures, arguments): whether any output depends on it
        # through differentiable ops. The others get None gradients, as TF gives them.
        self.live = live
        self.written = tuple(written)
        self.created = tuple(created)
        self.n_out = n_out
        self.out_tree = out_tree
        self.out_template = out_template
        self.out_order = out_order  # the returned dicts' key order, when not JAX's sorted one
        self.single = out_tree.num_leaves == 1 and n_out == 1 and tree_util.treedef_is_leaf(out_tree)
        self.jitted = jax.jit(pure)
        # Outside tapes the variables it writes give their old arrays to the new
        # values (XLA updates them in place, as `jax.jit(..., donate_argnums)`
        # does in a JAX training loop): one program, no fresh buffers per call.
        written_ids = {id(v) for v in written}
        self.donated = tuple(i for i, v in enumerate(in_vars) if id(v) in written_ids)
        self.donating = jax.jit(pure, donate_argnums=self.donated) if self.donated else self.jitted
        self.prim = _CompiledCall(pure, self.jitted, name)
        # A program that calls back into Python keeps its pullback under a tape, so its
        # callbacks run once per call, as TF's do (`saved_call.py`).
        self.saved_op = saved_call.SavedCallOp(name) if saved_call.has_callbacks(jaxpr) else None

    def _fed(self, values):
        return [values[k][j] for k, j in self.feed_index]

    def initial_values(self, tensors):
        """Runs the trace once for the values of the variables it created."""
        fed = self._fed(feeds.peek_values(self.feeds)) if self.feeds else ()
        res = self.jitted(*[v._value for v in self.in_vars], *self.capture_values, *fed,
                          *[t._value for t in tensors])
        start = self.n_out + len(self.written)
        for var, value in zip(self.created, res[start:]):
            var.__dict__["_value"] = value

    def _for_call(self, variables):
        """`in_vars` and `written` with this call's variable arguments in place of
        those the trace met (TF's one trace per VariableSpec)."""
        swap = {id(a): b for a, b in zip(self.arg_vars, variables) if a is not b}
        if not swap:
            return self.in_vars, self.written
        return ([swap.get(id(v), v) for v in self.in_vars],
                [swap.get(id(v), v) for v in self.written])

    def __call__(self, tensors, variables=()):
        st = local
        in_vars, written = self._for_call(variables) if variables else (self.in_vars, self.written)
        fed = self._fed(feeds.call_values(self.feeds)) if self.feeds else ()
        if st.tapes or st.accumulators:
            ins = [v._read_for_op() for v in in_vars]
            ins.extend(self.captured)
            ins.extend(Tensor(jnp.asarray(a)) for a in fed)
            ins.extend(tensors)
            # An input no output depends on goes in as a plain array: no tape follows it.
            ins = [t if live else t._value for t, live in zip(ins, self.live)]
            if self.saved_op is not None and not st.accumulators:
                res = saved_call.call(self.saved_op, self.jitted, ins)
            else:
                res = self.prim(*ins)
            outs = res[:self.n_out]
            new = [t._value for t in res[self.n_out:]]
        else:
            values = [v._value for v in in_vars]
            jitted = self.donating
            for i in self.donated:
                value = values[i]
                if type(getattr(value, "sharding", None)) is not SingleDeviceSharding:
                    # Donating arrays laid out over several devices crashed XLA:CPU
                    # (tf.distribute's mirrored variables; jax 0.10): not donated.
                    jitted = self.jitted
                    break
                # Held elsewhere too (a tensor read from the variable, another
                # variable): give away a copy, so the holder keeps its array.
                if getrefcount(value) > 4:  # the variable, `values`, `value`, this call
                    values[i] = jax.device_put(value, may_alias=False)
            res = jitted(*values, *self.capture_values, *fed, *[t._value for t in tensors])
            outs = [Tensor(r) for r in res[:self.n_out]]
            new = res[self.n_out:]
        for var, value in zip(written, new):
            var._value = value
        if self.single:
            return outs[0]
        it = iter(outs)
        leaves = [next(it) if t is TRACED else t for t in self.out_template]
        if self.out_order is None:
            return tree_util.tree_unflatten(self.out_tree, leaves)
        return in_key_order(self.out_order, tree_util.tree_unflatten(self.out_tree, leaves))


def trace(python_function, name, tensors, template, treedef, spread, allow_create, given=None):
    """Traces `python_function` on `tensors` into a `ConcreteFunction`.

    given: the structure `treedef` was flattened from (the call's arguments, or
    the input signature), whose dict key order the traced arguments keep.
    """
    in_order = key_order(given) if given is not None else None
    scope = capture.Scope(allow_create)
    follow = FollowAll()
    info = {}
    first_id = Tensor(None)._id  # tensors made before the trace are captures

    def body(*arrays):
        it = iter(arrays)
        leaves = [Tensor(next(it)) if t is TRACED else t for t in template]
        info["args"] = [leaf for leaf in leaves if isinstance(leaf, Tensor)]
        structure = in_key_order(in_order, tree_util.tree_unflatten(treedef, leaves))
        if spread:
            out = python_function(*structure)
        else:
            out = python_function(*structure[0], **structure[1])
        flat, out_tree = flatten_with_tree(out)
        arrays_out, out_template, out_ids = [], [], []
        for leaf in flat:
            value = output_leaf(leaf)
            if value is None:
                out_template.append(leaf)
            else:
                arrays_out.append(value)
                out_template.append(TRACED)
                if isinstance(leaf, (Tensor, Variable)) and value.dtype in TRAINABLE:
                    out_ids.append(leaf._id)
        info["out_ids"] = out_ids
        written = [v for k, v in scope.written.items() if k not in scope.created]
        created = list(scope.created.values())
        info.update(out_tree=out_tree, out_template=out_template, n_out=len(arrays_out),
                    written=written, created=created, out_order=key_order(out, plain_dicts=True))
        return (arrays_out, [scope.shadow[id(v)] for v in written],
                [scope.base[id(v)] for v in created])

    if any(isinstance(t, StringTensor) for t in tensors):
        raise TypeError(not_traceable(f"the arguments of tf.function {name!r}"))
    # A function graph starts at the root name scope, with no names in use.
    with traced([follow]), name_scope.reset_for_trace(), capture.tracing_scope(scope), \
            feeds.Collector() as collector:
        closed = jax.make_jaxpr(body)(*[t._value for t in tensors])
    constants = cached_scalar_ids()
    captured = {}
    for node in follow.nodes:
        for a in node.args:
            if (isinstance(a, Tensor) and a._id < first_id and id(a) not in constants
                    and a._value.dtype in TRAINABLE and id(a._value) not in scope.copies):
                captured.setdefault(id(a._value), a)
    reached = follow.reaching(info["out_ids"])
    concrete = ConcreteFunction(name, closed, scope, info["out_tree"], info["out_template"],
                                info["n_out"], info["written"], info["created"], captured, None,
                                collector, info["out_order"])
    live = [t._id in reached for t in [*concrete.in_vars, *concrete.captured, *info["args"]]]
    at = len(concrete.in_vars) + len(concrete.captured)
    live[at:at] = [False] * len(concrete.feed_index)  # fed data carries no gradient
    concrete.live = tuple(live)
    return concrete


def _variables(template):
    """The variable arguments among a bound call's leaves (`signature.bind`)."""
    return tuple(t for t in template if isinstance(t, Variable))


# `tf.config.run_functions_eagerly`: every `tf.function` calls its Python function as it is.
_run_eagerly = [False]


def set_run_eagerly(flag: bool) -> None:
    _run_eagerly[0] = bool(flag)


def runs_eagerly() -> bool:
    return _run_eagerly[0]


class Function:
    """A `tf.function`: traces per input signature, then calls compiled code."""

    def __init__(self, python_function, input_signature=None, autograph=True, jit_compile=None,
                 reduce_retracing=False, name=None, **experimental):
        self._python_function = python_function
        self._name = name or getattr(python_function, "__name__", "function")
        self._input_signature = input_signature
        self._signature = (None if input_signature is None
                           else signature.Signature(input_signature, python_function))
        self._options = dict(autograph=autograph, jit_compile=jit_compile,
                             reduce_retracing=reduce_retracing, **experimental)
        self._cache = {}
        self._fast = {}  # (shape, dtype, ...) of all-tensor positional calls -> concrete
        self._tracing_count = 0
        self._traced_once = False
        self._bound = weakref.WeakKeyDictionary()
        functools.update_wrapper(self, python_function)

    @property
    def python_function(self):
        return self._python_function

    @property
    def input_signature(self):
        return self._input_signature

    def experimental_get_tracing_count(self):
        return self._tracing_count

    def __get__(self, instance, owner=None):
        """On a method: one Function per instance, as TF binds them."""
        if instance is None:
            return self
        try:
            bound = self._bound.get(instance)
        except TypeError:  # not weak-referenceable: bind afresh
            bound = None
        if bound is None:
            bound = Function(self._python_function.__get__(instance, owner),
                             self._input_signature, name=self._name, **self._options)
            try:
                self._bound[instance] = bound
            except TypeError:
                pass
        return bound

    def _bind(self, args, kwargs):
        """(key, tensors, template, treedef, spread, the structure flattened)."""
        if self._signature is None:
            return signature.bind(args, kwargs) + (False, (args, kwargs))
        return self._signature.bind(args, kwargs) + (True, self._signature.structure)

    def _concrete(self, bound):
        key, tensors, template, treedef, spread, given = bound
        concrete = self._cache.get(key)
        if concrete is None:
            # cycle: autograph's runtime imports closure, which imports this module
            from jaxtape._src.compile.autograph import api as autograph
            fn = (autograph.converted(self._python_function) if self._options["autograph"]
                  else self._python_function)  # AutoGraph stages Python control flow on tensors
            concrete = trace(fn, self._name, tensors, template, treedef,
                             spread, allow_create=not self._traced_once, given=given)
            self._tracing_count += 1
            if concrete.created:  # TF traces again once the variables exist
                concrete.initial_values(tensors)
                concrete = trace(fn, self._name, tensors, template,
                                 treedef, spread, allow_create=False, given=given)
                self._tracing_count += 1
            self._traced_once = True
            concrete.arg_vars = _variables(template)
            self._cache[key] = concrete
        return concrete, tensors

    def __call__(self, *args, **kwargs):
        if local.tracing or _run_eagerly[0]:  # inside another trace: inline, as TF does;
            return self._python_function(*args, **kwargs)  # or `tf.config.run_functions_eagerly`
        fast = not kwargs and self._signature is None
        if fast:  # all-tensor positional calls skip flattening (a training loop's case)
            key = []
            for a in args:
                if type(a) is not Tensor:
                    fast = False
                    break
                key.append(a._value.shape)
                key.append(a._value.dtype)
            else:
                concrete = self._fast.get(tuple(key))
                if concrete is not None:
                    try:
                        return concrete(args)
                    except feeds.FeedChanged:
                        return self._retrace(concrete, args, kwargs)
        bound = self._bind(args, kwargs)
        concrete, tensors = self._concrete(bound)
        if fast:
            self._fast[tuple(key)] = concrete
        variables = _variables(bound[2]) if concrete.arg_vars else ()
        try:
            return concrete(tensors, variables)
        except feeds.FeedChanged:
            return self._retrace(concrete, args, kwargs)

    def _retrace(self, concrete, args, kwargs):
        """This call's tf.data elements have other shapes than `concrete` was traced
        with (`feeds.py`): forget it and trace again."""
        for cache in (self._cache, self._fast):
            for k in [k for k, c in cache.items() if c is concrete]:
                del cache[k]
        return self(*args, **kwargs)

    def get_concrete_function(self, *args, **kwargs):
        """The trace for these arguments (`TensorSpec`s with full shapes allowed)."""
        def example(x):
            if isinstance(x, signature.TensorSpec):
                if not x.shape.is_fully_defined():
                    raise NotImplementedError(
                        "jaxtape traces per concrete shape: get_concrete_function needs "
                        f"fully defined shapes, got {x!r}")
                return Tensor(jnp.zeros(tuple(x.shape), x.dtype.as_numpy_dtype))
            return x

        if not args and not kwargs and self._signature is not None:
            args = tuple(self._signature.structure)
        args, kwargs = tree_util.tree_map(
            example, (args, kwargs), is_leaf=lambda x: x is None or isinstance(x, signature.TensorSpec))
        concrete, _ = self._concrete(self._bind(args, kwargs))
        return _Bound(self, concrete)

    def __repr__(self):
        return f"<jaxtape.function {self._name}>"


class _Bound:
    """What `get_concrete_function` returns: callable with matching arguments."""

    def __init__(self, function, concrete):
        self._function = function
        self._concrete = concrete

    def __call__(self, *args, **kwargs):
        return self._function(*args, **kwargs)

    @property
    def variables(self):
        return self._concrete.in_vars

    @property
    def trainable_variables(self):
        return tuple(v for v in self._concrete.in_vars if v.trainable)


@export("function")
def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None, name=None):
    """Compiles `func` with `jax.jit`; usable as `@function` or `@function(...)`.

    `autograph` (default True) converts Python `if`/`while`/`for` on tensors
    into `tf.cond` / `tf.while_loop` (`compile/autograph`). `jit_compile` and
    `reduce_retracing` are accepted and have no effect: everything compiles
    with XLA.
    """
    options = dict(input_signature=input_signature, autograph=autograph,
                   jit_compile=jit_compile, reduce_retracing=reduce_retracing, name=name)
    if func is None:
        return lambda f: Function(f, **options)
    return Function(func, **options)
