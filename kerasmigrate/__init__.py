"""kerasmigrate: move Keras models across format generations, without running Keras to do it.

kerasmigrate.api          one function per command (inspect, convert, repair, diagnose, ...)
kerasmigrate.convert_tree convert every model of a tree (kerasmigrate.batch)
kerasmigrate.check_tree   does every model of a tree load in a Keras 3 release
"""

__version__ = "0.1.0"

_BATCH = ("convert_tree", "check_tree", "TreeResult", "FileRecord", "Summary")


def __getattr__(name):
    # Imported on first use: `import kerasmigrate` stays light (no h5py, numpy).
    if name in _BATCH:
        from kerasmigrate import batch

        return getattr(batch, name)
    raise AttributeError(f"module 'kerasmigrate' has no attribute {name!r}")
