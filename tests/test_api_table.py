"""The API coverage table in docs/ is generated from the code and current."""
import pathlib

from jaxtape._src.api import coverage
from jaxtape._src.framework.exports import REGISTRY


def test_docs_api_table_is_current():
    path = pathlib.Path(__file__).resolve().parents[1] / "docs" / "API.md"
    assert path.read_text() == coverage.table(), (
        "docs/API.md is stale: run `python -m jaxtape._src.api.coverage > docs/API.md`")


def test_every_exported_name_resolves_through_the_namespaces():
    import jaxtape as tf
    for name, obj in REGISTRY.items():
        target = tf
        for part in name.split("."):
            target = getattr(target, part)
        assert target is obj, name
