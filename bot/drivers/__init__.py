"""Key drivers: which attributes move overall satisfaction, and where to act first.

- `statistics`: per-pattern sufficient statistics (n, sums, cross-products), built from rows.
- `rules`: Johnson's relative weights, quadrants and bootstrap stability, from those statistics.
- `queries`: the stored statistics and the rows they are rebuilt from.
- `service`: `key_drivers` for people; `refresh_statistics`/`recompute_statistics` for the
  intake's transaction; `fix_first` for the account report.
"""
