"""`tf.nest` over `jax.tree_util`, with TF's conventions (None is a leaf).

The public `tf.nest` namespace is built from the exported names only. Inside
the package, structures are flattened and packed only through `is_leaf`,
`flatten_with_tree` and `pack_like` (or `key_order` / `in_key_order`, which
give a structure unflattened from a treedef its dicts' written key order).
"""
from __future__ import annotations

import collections
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


class _Dot:
    """A leaf as TF's "Entire ... structure" dump prints it."""

    def __repr__(self):
        return "."


def _type_name(x) -> str:
    """The type name TF's message prints: its eager tensors are `EagerTensor`s and
    its variables `ResourceVariable`s."""
    name = type(x).__name__
    if name in ("Tensor", "StringTensor") and hasattr(x, "numpy"):
        return "EagerTensor"
    return "ResourceVariable" if name == "Variable" and hasattr(x, "assign") else name


def _described(x):
    return f"type={_type_name(x)} str={str(x)}"  # str, not format: a tensor formats as its value


def _mismatch(a, b, check_types):
    """(exception type, TF's "More specifically" text) for the first place where
    `a` and `b` differ, walking both as TF does (dict values by sorted key); None
    when they agree."""
    a_seq, b_seq = is_nested(a), is_nested(b)
    if a_seq != b_seq:
        seq, leaf = (a, b) if a_seq else (b, a)
        return ValueError, (f'Substructure "{_described(seq)}" is a sequence, while substructure '
                            f'"{_described(leaf)}" is not')
    if not a_seq:
        return None
    if check_types:
        if type(a) is not type(b):
            return TypeError, (f"The two namedtuples don't have the same sequence type. First "
                               f"structure {_described(a)} has type {type(a).__name__}, while second "
                               f"structure {_described(b)} has type {type(b).__name__}")
        if isinstance(a, dict) and set(a) != set(b):
            return ValueError, (f"The two dictionaries don't have the same set of keys. First "
                                f"structure has keys {_described(list(a))}, while second structure "
                                f"has keys {_described(list(b))}")
    children = zip(([a[k] for k in sorted(a)] if isinstance(a, dict) else a),
                   ([b[k] for k in sorted(b)] if isinstance(b, dict) else b))
    for x, y in children:  # TF walks the pairs first: a length difference shows at the end
        found = _mismatch(x, y, check_types)
        if found is not None:
            return found
    if len(a) != len(b):
        return ValueError, (f"The two structures don't have the same number of elements. First "
                            f"structure: {_described(a)}. Second structure: {_described(b)}")
    return None


def _dots(x):
    return pack_like(x, tree_util.tree_map(lambda _: _Dot(), x, is_leaf=is_leaf))


@export("nest.assert_same_structure")
def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """ValueError when the nesting differs; TypeError (with `check_types`) when
    only the sequence types do; TF's text, naming the first difference."""
    found = _mismatch(nest1, nest2, check_types)
    if found is not None:
        error, detail = found
        raise error(f"The two structures don't have the same nested structure.\n\n"
                    f"First structure: {_described(nest1)}\n\nSecond structure: {_described(nest2)}"
                    f"\n\nMore specifically: {detail}\nEntire first structure:\n{_dots(nest1)}\n"
                    f"Entire second structure:\n{_dots(nest2)}")


@export("nest.is_nested")
def is_nested(seq):
    return isinstance(seq, (list, tuple, dict))


# JAX flattens these mappings by sorted key and unflattens them in that order;
# TF packs a structure back in the order its dicts were written.
_SORTED_MAPPINGS = (dict, collections.defaultdict)


def _skeleton(x, plain):
    """(skeleton, whether `in_key_order` has anything to change)."""
    kind = type(x)
    if kind in _SORTED_MAPPINGS or kind is collections.OrderedDict:
        keys = tuple(x)
        children = [_skeleton(x[k], plain) for k in keys]
        as_dict = plain and kind is collections.defaultdict
        needed = as_dict or any(n for _, n in children)
        if kind is not collections.OrderedDict and not needed:
            try:
                needed = list(keys) != sorted(keys)
            except TypeError:  # keys JAX cannot sort either: it raises on flattening
                needed = False
        return ("dict", keys, tuple(s for s, _ in children), as_dict), needed
    if isinstance(x, (list, tuple)):
        children = [_skeleton(v, plain) for v in x]
        return ("seq", tuple(s for s, _ in children)), any(n for _, n in children)
    return None, False


def key_order(structure, plain_dicts=False):
    """What `in_key_order` needs to give JAX-unflattened copies of `structure`
    its dict key order; None when JAX's order is already that (the common case,
    which then costs nothing). plain_dicts: a `defaultdict` comes back a `dict`
    (what a `tf.function` or `tf.cond` in one returns)."""
    skeleton, needed = _skeleton(structure, plain_dicts)
    return skeleton if needed else None


def in_key_order(order, packed):
    """`packed` (unflattened from a treedef of the structure `order` was taken
    from) with that structure's dict key order."""
    if order is None:
        return packed
    if order[0] == "dict":
        _, keys, children, as_dict = order
        items = [(k, in_key_order(c, packed[k])) for k, c in zip(keys, children)]
        if as_dict:
            return dict(items)
        if type(packed) is collections.defaultdict:
            return collections.defaultdict(packed.default_factory, items)
        return type(packed)(items)
    values = [in_key_order(c, p) for c, p in zip(order[1], packed)]
    if isinstance(packed, tuple) and hasattr(packed, "_fields"):
        return type(packed)(*values)
    return type(packed)(values)
