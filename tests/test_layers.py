"""The layers of jaxtape/_src import only downwards.

framework < tape < ops (ops/support below the op families) < compile <
autodiff < data, train, keras < distribute < api < the public modules (jaxtape/__init__.py, __main__.py,
numpy.py). Every import is read with `ast`, at module level and inside
functions; a function-level import of a jaxtape module must carry a comment
(same line or the line above) naming the cycle it breaks.
"""
from __future__ import annotations

import ast
import io
import pathlib
import tokenize

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jaxtape"

# (layer name, rank); a module may import only from ranks <= its own. `data`
# and `train` (tf.data, checkpoints) are packages on top of the core layers.
RANKS = {"_src": -1, "framework": 0, "tape": 1, "ops/support": 2, "ops": 3, "compile": 4,
         "autodiff": 5, "data": 6, "train": 6, "keras": 6, "config": 6, "summary": 6,
         "distribute": 7, "api": 8, "public": 9}


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> str | None:
    """The layer of a jaxtape module, or None for a module outside jaxtape."""
    parts = module.split(".")
    if parts[0] != "jaxtape":
        return None
    if len(parts) == 1 or parts[1] != "_src":
        return "public"
    if len(parts) == 2:
        return "_src"
    if parts[2] == "ops" and len(parts) > 3 and parts[3] == "support":
        return "ops/support"
    return parts[2]


def _comments(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0]: t.string for t in tokens if t.type == tokenize.COMMENT}


def _imports(tree: ast.AST):
    """(node, inside_function) for every import statement."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            yield from walk(child, in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))
    yield from walk(tree, False)


def _targets(node, module: str, is_package: bool, exists) -> list[str]:
    """The modules an import statement loads (a `from` import may name submodules)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module
    out = []
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        out.append(sub if exists(sub) else source)
    return out


def check(source: str, module: str, filename: str, is_package: bool = False,
          exists=lambda name: False) -> list[str]:
    """Violations in one module's source, as `file:line: ...` lines."""
    own = layer(module)
    if own not in RANKS:
        return [f"{filename}:1: {module} is in no layer ({own}): rank it in tests/test_layers.py"]
    comments = _comments(source)
    found = []
    for node, in_function in _imports(ast.parse(source, filename)):
        for target in dict.fromkeys(_targets(node, module, is_package, exists)):
            theirs = layer(target)
            if theirs is None:
                continue
            if RANKS.get(theirs, len(RANKS)) > RANKS[own]:
                found.append(f"{filename}:{node.lineno}: imports {target} ({theirs}) "
                             f"from {module} ({own})")
            if in_function:
                note = comments.get(node.lineno, "") + comments.get(node.lineno - 1, "")
                if "cycle" not in note.lower():
                    found.append(f"{filename}:{node.lineno}: function-level import of {target} "
                                 f"without a comment naming the cycle it breaks")
    return found


def _exists(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += check(path.read_text(), module_name(path), str(path.relative_to(ROOT)),
                       is_package=path.name == "__init__.py", exists=_exists)
    return found


def test_no_import_runs_up_the_layers():
    found = violations()
    assert not found, "imports that break the layers:\n" + "\n".join(found)


def test_every_module_has_a_layer():
    for path in PACKAGE.rglob("*.py"):
        assert layer(module_name(path)) in RANKS, path


UPWARD = """\
import numpy as np
from jaxtape._src.framework import dtypes
from jaxtape._src.ops.support import args
from ..compile.function import function


def late():
    from jaxtape._src.tape import backward
    # breaks the cycle tape.gradient_tape -> framework.variables -> tape.gradient_tape
    from jaxtape._src.framework import variables
    import jaxtape
"""


def test_checker_reports_upward_and_uncommented_late_imports():
    found = check(UPWARD, "jaxtape._src.tape.jacobians", "jaxtape/_src/tape/jacobians.py")
    assert found == [
        "jaxtape/_src/tape/jacobians.py:3: imports jaxtape._src.ops.support (ops/support) "
        "from jaxtape._src.tape.jacobians (tape)",
        "jaxtape/_src/tape/jacobians.py:4: imports jaxtape._src.compile.function (compile) "
        "from jaxtape._src.tape.jacobians (tape)",
        "jaxtape/_src/tape/jacobians.py:8: function-level import of jaxtape._src.tape "
        "without a comment naming the cycle it breaks",
        "jaxtape/_src/tape/jacobians.py:11: imports jaxtape (public) "
        "from jaxtape._src.tape.jacobians (tape)",
        "jaxtape/_src/tape/jacobians.py:11: function-level import of jaxtape "
        "without a comment naming the cycle it breaks",
    ]


@pytest.mark.parametrize("module, source, upward", [
    ("jaxtape._src.ops.math.unary", "from jaxtape._src.ops.array import manipulation\n", False),
    ("jaxtape._src.ops.math.unary", "from ..support import define\n", False),
    ("jaxtape._src.ops.support.args", "from jaxtape._src.ops.math import unary\n", True),
    ("jaxtape._src.ops.support.args", "from .. import image\n", True),
    ("jaxtape._src.api.runner", "from jaxtape._src.autodiff import forward\n", False),
    ("jaxtape._src.autodiff.forward", "from jaxtape._src.api import interop\n", True),
    ("jaxtape.numpy", "from jaxtape._src.api.interop import op\n", False),
])
def test_checker_ranks(module, source, upward):
    exists = {"jaxtape._src.ops.support.define", "jaxtape._src.ops.image",
              "jaxtape._src.ops.array.manipulation", "jaxtape._src.ops.math.unary"}.__contains__
    found = check(source, module, "f.py", exists=exists)
    assert bool(found) == upward, found


def test_relative_import_in_a_package_init_resolves_from_the_package():
    found = check("from .support import define\n", "jaxtape._src.ops", "ops/__init__.py",
                  is_package=True, exists={"jaxtape._src.ops.support.define"}.__contains__)
    assert found == []
    found = check("from ..api import build\n", "jaxtape._src.ops", "ops/__init__.py",
                  is_package=True, exists={"jaxtape._src.api.build"}.__contains__)
    assert len(found) == 1 and "jaxtape._src.api.build (api)" in found[0]
