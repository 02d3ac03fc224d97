"""TF's array ops, one topic per module: `creation`, `shape`, `identity`, `join`,
`split`, `tile`, `pad`, `reorder`, `sort`, `gather`, `scatter`, `slicing`
(with `index_checks`, TF's checks on index arguments)."""
