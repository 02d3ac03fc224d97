"""`tf.nest` over `jax.tree_util`, with TF's conventions (None is a leaf).

The public `tf.nest` namespace is built from the exported names only. Inside
the package, structures are flattened and packed only through `is_leaf`,
`flatten_with_tree` and `pack_like`.
"""
from __future__ import annotations

import copy

from jax import tree_util

from jaxtape._src.framework.exports import export


def is_leaf(x) -> bool:
    """TF keeps None as a leaf; JAX would drop it."""
    return x is None


def flatten_with_tree(structure):
    """(leaves, treedef) in TF's order: dict keys sorted, None kept as a leaf."""
    return tree_util.tree_flatten(structure, is_leaf=is_leaf)


@export("nest.flatten")
def flatten(structure, expand_composites=False):
    return tree_util.tree_leaves(structure, is_leaf=is_leaf)


@export("nest.map_structure")
def map_structure(func, *structure, **kwargs):
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if not structure:
        raise ValueError("Must provide at least one structure")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    flats = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*xs) for xs in zip(*flats)])


@export("nest.pack_sequence_as")
def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    treedef = tree_util.tree_structure(structure, is_leaf=is_leaf)
    flat = list(flat_sequence)
    if treedef.num_leaves != len(flat):
        raise ValueError(
            f"Could not pack sequence. Structure had {treedef.num_leaves} atoms, but "
            f"flat_sequence had {len(flat)} items.  Structure: {structure}, flat_sequence: {flat}.")
    return pack_like(structure, tree_util.tree_unflatten(treedef, flat))


def pack_like(template, packed):
    """Gives packed dicts the template's key order: TF flattens dicts in sorted
    order but packs them back in the order the caller wrote."""
    if isinstance(template, dict):
        out = copy.copy(template)  # keeps the mapping's type (OrderedDict, defaultdict)
        out.clear()
        out.update((k, pack_like(template[k], packed[k])) for k in template)
        return out
    if isinstance(template, tuple) and hasattr(template, "_fields"):
        return type(template)(*(pack_like(t, p) for t, p in zip(template, packed)))
    if isinstance(template, (list, tuple)):
        return type(packed)(pack_like(t, p) for t, p in zip(template, packed))
    return packed


def _shape_only(x):
    """The nesting with every sequence as a list: what must agree whatever the types."""
    if isinstance(x, dict):
        return {k: _shape_only(x[k]) for k in sorted(x)}
    if isinstance(x, (list, tuple)):
        return [_shape_only(v) for v in x]
    return None


def _described(x):
    return f"type={type(x).__name__} str={x}"


@export("nest.assert_same_structure")
def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """ValueError when the nesting differs; TypeError (with `check_types`) when
    only the sequence types do, as TF."""
    head = (f"The two structures don't have the same nested structure.\n\n"
            f"First structure: {_described(nest1)}\n\nSecond structure: {_described(nest2)}")
    if tree_util.tree_structure(_shape_only(nest1)) != tree_util.tree_structure(_shape_only(nest2)):
        raise ValueError(head)
    if check_types:
        t1 = tree_util.tree_structure(nest1, is_leaf=is_leaf)
        t2 = tree_util.tree_structure(nest2, is_leaf=is_leaf)
        if t1 != t2:
            raise TypeError(head + "\n\nMore specifically: the sequence types differ.")


@export("nest.is_nested")
def is_nested(seq):
    return isinstance(seq, (list, tuple, dict))
