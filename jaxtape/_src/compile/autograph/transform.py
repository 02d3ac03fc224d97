"""The source transformation: a function's AST with its control flow made functional.

Three passes over each function (nested functions get their own):

1. `return` inside a branch or loop becomes `ag__do_return = True;
   ag__retval = value`, later statements are guarded by `if not
   ag__do_return`, loops stop on the flag, and the function ends in one
   `return`. Statements after an `if` whose body always returns move into
   its `else` first, so both branches define the return value.
2. `break` and `continue` become flags the same way; a loop stops on its
   break flag, and its `else` clause runs after it unless the flag is set.
3. `if`, `while`, `for`, `x if c else y`, `and`, `or`, `not` become calls of
   the run-time helpers (`runtime.py`) that run Python when the condition is
   a Python value and `tf.cond` / `tf.while_loop` when it is a tensor. A
   branch or loop body becomes a local function taking the names the
   statement assigns and returning their new values; every call `f(...)`
   becomes `ag__.converted(f)(...)` so user functions it calls are converted
   too.
"""
from __future__ import annotations

import ast
import builtins
import copy
import itertools

from jaxtape._src.compile.autograph import analysis

AG = "ag__"
DO_RETURN = "ag__do_return"
RETVAL = "ag__retval"
_BUILTINS = frozenset(dir(builtins))


def name_node(id_, store=False):
    return ast.Name(id=id_, ctx=ast.Store() if store else ast.Load())


def _ag(attr):
    return ast.Attribute(value=name_node(AG), attr=attr, ctx=ast.Load())


def _call(fn, *args, keywords=()):
    return ast.Call(func=fn, args=list(args), keywords=list(keywords))


def _assign(id_, value):
    return ast.Assign(targets=[name_node(id_, store=True)], value=value)


def _const(value):
    return ast.Constant(value=value)


def _not(expr):
    return _call(_ag("not_"), expr)


def _lambda(body):
    return ast.Lambda(args=arguments([]), body=body)


def arguments(names):
    return ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in names], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])


def _def(name, params, body):
    return ast.FunctionDef(name=name, args=arguments(params), body=body or [ast.Pass()],
                           decorator_list=[], returns=None)


def _names_tuple(names, store=False):
    return ast.Tuple(elts=[name_node(n, store) for n in names],
                     ctx=ast.Store() if store else ast.Load())


# -- passes 1 and 2: jumps become flags ------------------------------------

def _move_after_return(stmts):
    """`if c: return a` + rest -> `if c: return a else: rest` (recursively), so
    no path falls through with an undefined return value."""
    out = []
    for i, s in enumerate(stmts):
        for field in ("body", "orelse", "finalbody"):
            if isinstance(getattr(s, field, None), list) and not isinstance(s, analysis.SCOPES):
                setattr(s, field, _move_after_return(getattr(s, field)))
        for h in getattr(s, "handlers", ()):
            h.body = _move_after_return(h.body)
        out.append(s)
        rest = stmts[i + 1:]
        if isinstance(s, ast.If) and rest:
            if analysis.always_returns(s.body):
                s.orelse = _move_after_return(s.orelse + rest)
                return out
            if analysis.always_returns(s.orelse):
                s.body = _move_after_return(s.body + rest)
                return out
    return out


def _flagged(stmts, kinds, replace, on_loop):
    """`stmts` with each jump of `kinds` replaced by `replace(jump)` and every
    statement after a statement that may jump guarded by `if not flag`
    (`replace.flag`, the name the replacement sets)."""
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, kinds):
            out.extend(replace(s))
            return out  # the rest is unreachable
        if not analysis.has_jump(s, kinds):
            out.append(s)
            continue
        _flagged_inside(s, kinds, replace, on_loop)
        out.append(s)
        rest = stmts[i + 1:]
        if rest:
            out.append(ast.copy_location(
                ast.If(test=_not(name_node(replace.flag)), body=_flagged(rest, kinds, replace, on_loop),
                       orelse=[]), rest[0]))
        return out
    return out


def _flagged_inside(s, kinds, replace, on_loop):
    """Rewrites the blocks of compound statement `s` in place."""
    if isinstance(s, analysis.LOOPS):  # only a `return` crosses a loop
        if ast.Return in kinds:
            s.body = _flagged(s.body, kinds, replace, on_loop)
            on_loop(s)
        s.orelse = _flagged(s.orelse, kinds, replace, on_loop)
    else:
        for field in ("body", "orelse", "finalbody"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _flagged(getattr(s, field), kinds, replace, on_loop))
        for h in getattr(s, "handlers", ()):
            h.body = _flagged(h.body, kinds, replace, on_loop)
        for c in getattr(s, "cases", ()):
            c.body = _flagged(c.body, kinds, replace, on_loop)


def _stop_on(loop, flag):
    setattr(loop, analysis.STOP, getattr(loop, analysis.STOP, ()) + (flag,))


def _lift_returns(func):
    """Pass 1 on one function."""
    body = func.body
    if not any(analysis.has_jump(s, (ast.Return,)) for s in body
               if s is not body[-1] or not isinstance(s, ast.Return)):
        return  # no `return` but a final one
    body = _move_after_return(body)

    def replace(ret):
        value = ret.value if ret.value is not None else _const(None)
        return [ast.copy_location(_assign(DO_RETURN, _const(True)), ret),
                ast.copy_location(_assign(RETVAL, value), ret)]
    replace.flag = DO_RETURN
    body = _flagged(body, (ast.Return,), replace, lambda loop: _stop_on(loop, DO_RETURN))
    func.body = ([_assign(DO_RETURN, _const(False)),
                  _assign(RETVAL, _call(_ag("UndefinedReturnValue")))] + body +
                 [ast.Return(value=_call(_ag("retval"), name_node(RETVAL)))])


class _Loops(ast.NodeTransformer):
    """Pass 2 on one function: `break` and `continue` of each loop become flags."""

    def __init__(self):
        self.count = itertools.count()

    def visit_FunctionDef(self, node):
        return node  # its own pass

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    def visit_While(self, node):
        self.generic_visit(node)  # inner loops first: their jumps are their own
        before, after = [], []
        if analysis.has_jump(ast.Module(body=node.body), (ast.Continue,)):
            flag = f"ag__continue_{next(self.count)}"
            node.body = [_assign(flag, _const(False))] + self._flag(node.body, ast.Continue, flag)
            before.append(_assign(flag, _const(False)))
        if analysis.has_jump(ast.Module(body=node.body), (ast.Break,)):
            flag = f"ag__break_{next(self.count)}"
            node.body = self._flag(node.body, ast.Break, flag)
            before.append(_assign(flag, _const(False)))
            _stop_on(node, flag)
            if node.orelse:
                after.append(ast.If(test=_not(name_node(flag)), body=node.orelse, orelse=[]))
        elif node.orelse:
            after = node.orelse
        node.orelse = []
        return [ast.copy_location(s, node) for s in before] + [node] + after

    visit_For = visit_While

    @staticmethod
    def _flag(body, kind, flag):
        def replace(jump):
            return [ast.copy_location(_assign(flag, _const(True)), jump)]
        replace.flag = flag
        return _flagged(body, (kind,), replace, lambda loop: None)


# -- pass 3: functional control flow --------------------------------------

def _rebind_caught(stmts, names):
    """`except ... as e` unbinds `e` when its handler ends, so a generated body
    returning its state would fail to read it (UnboundLocalError): for each
    carried name an `except` clause binds, `try: e / except NameError: e =
    Unbound('e')` first (a later read raises Python's NameError)."""
    caught = {node.name for stmt in stmts if not isinstance(stmt, analysis.SCOPES)
              for node in [stmt, *analysis.walk_scope(stmt)]
              if isinstance(node, ast.ExceptHandler) and node.name}
    return [ast.Try(body=[ast.Expr(value=name_node(n))],
                    handlers=[ast.ExceptHandler(type=name_node("NameError"), name=None,
                                                body=[_assign(n, _call(_ag("Unbound"), _const(n)))])],
                    orelse=[], finalbody=[])
            for n in names if n in caught]


class _Functional(ast.NodeTransformer):
    """Pass 3 on one function (nested functions recurse through `convert_def`)."""

    def __init__(self, func, count):
        self.count = count
        self.declared = analysis.declared(func)
        self.counts = analysis.load_counts(func)
        self.state = {}  # every name some converted statement carries
        self.globals_ = {n for node in analysis.walk_scope(func) if isinstance(node, ast.Global)
                         for n in node.names}
        params = {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}
        self.maybe_undefined = {  # names a converted statement may leave `Undefined`
            n for node in analysis.walk_scope(func) if isinstance(node, (ast.If, ast.While, ast.For))
            for n in analysis.assigned_names(node.body + node.orelse) + [
                t.id for t in ast.walk(getattr(node, "target", node)) if isinstance(t, ast.Name)]
        } - params - self.declared

    def _carried(self, node, stmts, extra=()):
        names = [n for n in analysis.assigned_names(stmts) if n not in self.declared]
        names = list(dict.fromkeys([*extra, *names]))
        live = analysis.read_outside(node, self.counts)
        for n in names:
            self.state.setdefault(n, None)
        return names, tuple(n for n in names if n in live)

    def _scoped(self, stmts, names):
        """A generated body: `global`/`nonlocal` names it assigns stay declared."""
        decl = [n for n in analysis.assigned_names(stmts) if n in self.declared]
        head = [ast.Global(names=[n for n in decl if n in self.globals_]),
                ast.Nonlocal(names=[n for n in decl if n not in self.globals_])]
        return [h for h in head if h.names] + stmts + _rebind_caught(stmts, names) + [
            ast.Return(value=_names_tuple(names))]

    def visit_FunctionDef(self, node):
        return convert_def(node, self.count, top=False)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        return node

    def visit_If(self, node):
        names, outs = self._carried(node, node.body + node.orelse)
        self.generic_visit(node)
        k = next(self.count)
        body = _def(f"if_body_{k}", names, self._scoped(node.body, names))
        orelse = _def(f"else_body_{k}", names, self._scoped(node.orelse, names))
        call = _call(_ag("if_stmt"), node.test, name_node(body.name), name_node(orelse.name),
                     _names_tuple(names), _const(tuple(names)), _const(outs))
        return self._emit(node, [body, orelse], call, names)

    def visit_While(self, node):
        names, outs = self._carried(node, node.body)
        self.generic_visit(node)
        k = next(self.count)
        test = node.test
        for flag in reversed(getattr(node, analysis.STOP, ())):
            test = _call(_ag("and_"), _lambda(_not(name_node(flag))), _lambda(test))
        test_fn = _def(f"loop_test_{k}", names, [ast.Return(value=test)])
        body = _def(f"loop_body_{k}", names, self._scoped(node.body, names))
        call = _call(_ag("while_stmt"), name_node(test_fn.name), name_node(body.name),
                     _names_tuple(names), _const(tuple(names)), _const(outs))
        return self._emit(node, [test_fn, body], call, names)

    def visit_For(self, node):
        target_names = analysis.assigned_names([ast.Assign(targets=[node.target], value=_const(0))])
        names, outs = self._carried(node, node.body, extra=target_names)
        self.generic_visit(node)
        k = next(self.count)
        defs = []
        stops = getattr(node, analysis.STOP, ())
        if stops:
            test = _not(name_node(stops[-1]))
            for flag in reversed(stops[:-1]):
                test = _call(_ag("and_"), _lambda(_not(name_node(flag))), _lambda(test))
            defs.append(_def(f"extra_test_{k}", names, [ast.Return(value=test)]))
        item = f"ag__item_{k}"
        body_stmts = [ast.Assign(targets=[node.target], value=name_node(item))] + node.body
        body = _def(f"loop_body_{k}", [item, *names], self._scoped(body_stmts, names))
        defs.append(body)
        iterable = node.iter
        if isinstance(iterable, ast.Call):  # `tf.range(n)`, `range(n)` over traced n: symbolic
            inner = iterable.func
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) \
                    and inner.func.attr == "converted" and inner.args:
                inner = inner.args[0]  # undo this pass's call wrapping
            iterable = ast.Call(func=_ag("iterate_call"), args=[inner, *iterable.args],
                                keywords=iterable.keywords)
        call = _call(_ag("for_stmt"), iterable, name_node(defs[0].name) if stops else _const(None),
                     name_node(body.name), _names_tuple(names), _const(tuple(names)), _const(outs))
        return self._emit(node, defs, call, names)

    def _emit(self, node, defs, call, names):
        if names:
            stmt = ast.Assign(targets=[_names_tuple(names, store=True)], value=call)
        else:
            stmt = ast.Expr(value=call)
        return [ast.copy_location(s, node) for s in defs + [stmt]]

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.maybe_undefined:
            return ast.copy_location(_call(_ag("ld"), node), node)  # raises if still undefined
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        return ast.copy_location(_call(_ag("if_exp"), node.test, _lambda(node.body),
                                       _lambda(node.orelse)), node)

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        helper = "and_" if isinstance(node.op, ast.And) else "or_"
        expr = node.values[-1]
        for value in reversed(node.values[:-1]):
            expr = _call(_ag(helper), _lambda(value), _lambda(expr))
        return ast.copy_location(expr, node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.copy_location(_not(node.operand), node)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Name) and f.id in _BUILTINS or \
                isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == AG:
            return node  # builtins and this module's helpers run as they are
        node.func = ast.copy_location(_call(_ag("converted"), f), f)
        return node


def convert_def(func, count=None, top=True):
    """The converted copy of a `FunctionDef` node (decorators dropped at the top)."""
    func = copy.deepcopy(func) if top else func
    count = count if count is not None else itertools.count()
    if top:
        func.decorator_list = []
    _lift_returns(func)
    func.body = _Loops().visit(ast.Module(body=func.body, type_ignores=[])).body
    tr = _Functional(func, count)
    body = []
    for s in func.body:
        res = tr.visit(s)
        body.extend(res if isinstance(res, list) else [res])
    params = {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
    params |= {a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None}
    undefined = [_assign(n, _call(_ag("Undefined"), _const(n)))
                 for n in tr.state if n not in params]
    func.body = [ast.copy_location(s, func) for s in undefined] + body
    return func
