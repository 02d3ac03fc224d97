"""docs/API.md is generated from the code, current, and points at real definitions."""
import ast
import pathlib

from jaxtape._src.api import build, coverage
from jaxtape._src.framework.exports import REGISTRY

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_docs_api_table_is_current():
    path = REPO / "docs" / "API.md"
    assert path.read_text() == coverage.table(), (
        "docs/API.md is stale: run `python -m jaxtape._src.api.coverage > docs/API.md`")


def test_every_exported_name_resolves_through_the_namespaces():
    import jaxtape as tf
    for name, obj in REGISTRY.items():
        target = tf
        for part in name.split("."):
            target = getattr(target, part)
        assert target is obj, name


def test_every_name_is_defined_at_a_line_that_names_it():
    """The `def`/`class` or the registering statement: the name is on that line or just below."""
    build.load_ops()
    for name in REGISTRY:
        file, line = coverage.defined_in(name)
        assert file.startswith("jaxtape/"), (name, file)
        lines = (REPO / file).read_text().splitlines()
        assert name.rpartition(".")[2] in "\n".join(lines[line - 1:line + 5]), (name, file, line)


def test_every_tf_name_is_a_literal_string_in_the_code():
    """So that `grep -rn '"math.sin"' jaxtape` finds where tf.math.sin is defined."""
    build.load_ops()
    literals = set()
    for path in (REPO / "jaxtape").rglob("*.py"):
        literals.update(node.value for node in ast.walk(ast.parse(path.read_text()))
                        if isinstance(node, ast.Constant) and isinstance(node.value, str))
    built = [name for name in REGISTRY if name not in literals]
    assert not built, f"TF names built at run time instead of written out: {built}"
