"""Batches: convert or check whole trees of models, locally or on a Dask cluster.

    convert_tree(paths, output_dir, ...) -> TreeResult   (kerasmigrate convert DIR -o OUTDIR)
    check_tree(paths, target=...)        -> TreeResult   (kerasmigrate check PATH...)

Built on the public API (kerasmigrate.api) alone: walk (discover) -> ledger -> workers
(executors, worker) -> records -> reports (report). Paths may be fsspec URLs (storage).
"""

from kerasmigrate.batch.records import FileRecord, Summary
from kerasmigrate.batch.tree import TreeResult, check_tree, convert_tree

__all__ = ["FileRecord", "Summary", "TreeResult", "check_tree", "convert_tree"]
