"""Run inside one Keras 3 release's environment: load .keras files, compare with references.

    python tests/keras3_release_check.py LIST.json

LIST.json is a list of [keras_file, refs_npz] pairs. Prints one JSON object
on its last line: {"keras_version": ..., "backend": ..., "results": {file:
max abs difference (float) or the error (string)}}. One process loads many
files: starting a release's Keras and its backend costs more than a load.

Standalone on purpose: the release environments hold that Keras and its
dependencies only; kerasmigrate is not installed there (the project root on
PYTHONPATH gives `kerasmigrate.keras_objects`, which needs Keras alone).
"""

import json
import sys
import time
import warnings
import zipfile

import keras
import numpy as np

try:
    import kerasmigrate.keras_objects  # noqa: F401  registers the functions converted files may use
except ImportError:
    pass


def _arrays(npz, prefix):
    keys = sorted(
        (k for k in npz.files if k.startswith(prefix) and k[len(prefix) :].isdigit()),
        key=lambda k: int(k[len(prefix) :]),
    )
    return [npz[k] for k in keys]


def _carries_optimizer_state(path: str) -> bool:
    with zipfile.ZipFile(path) as zf:
        metadata = json.loads(zf.read("metadata.json")) if "metadata.json" in zf.namelist() else {}
    carried = (metadata.get("kerasmigrate") or {}).get("training")
    # not converted by kerasmigrate (a Keras file): assume it does
    return carried is None or any(item.startswith("optimizer state") for item in carried)


def check(path: str, refs: str):
    with np.load(refs, allow_pickle=False) as npz:
        # input_i/output_i (the project's references) or in_i/out_i (../shared/realworld)
        inputs = _arrays(npz, "input_") or _arrays(npz, "in_")
        expected = _arrays(npz, "output_") or _arrays(npz, "out_")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.saving.load_model(path)  # as a server would: compile=True, safe_mode=True
    # A load that skipped weights or optimizer variables only warns: a failure here. Except
    # optimizer variables of a file that carries no optimizer state (its metadata says what was
    # carried): Keras warns so for its own compiled-but-untrained files too.
    for w in caught:
        text = str(w.message).lower()
        if "skipping variable loading for optimizer" in text and not _carries_optimizer_state(path):
            continue
        if "skipping variable loading" in text or (
            "weights" in text and ("skip" in text or "not loaded" in text or "mismatch" in text)
        ):
            return f"warning: {str(w.message)[:300]}"
    if any(x.dtype.kind in "US" for x in inputs):
        # String inputs (lookup layers), as kerasmigrate.verify feeds them: TensorFlow string
        # tensors (Keras has no dtype for numpy strings), the model called directly (predict's
        # tf.data path was measured to give other outputs for such a model, in 3.3 and 3.15).
        import tensorflow as tf

        feed = [tf.constant(x) for x in inputs]
        got = model(feed[0] if len(feed) == 1 else feed, training=False)
        got = [np.asarray(g) for g in got] if isinstance(got, (list, tuple)) else np.asarray(got)
    else:
        got = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
    got = got if isinstance(got, (list, tuple)) else [got]
    if len(got) != len(expected):
        return f"{len(got)} outputs, the references have {len(expected)}"
    return max(float(np.max(np.abs(np.asarray(g, dtype=np.float64) - e))) for g, e in zip(got, expected))


def main(argv) -> int:
    pairs = json.loads(open(argv[0]).read())
    results = {}
    start = time.monotonic()
    for index, (path, refs) in enumerate(pairs):
        try:
            results[path] = check(path, refs)
        except Exception as exc:  # reported, the test decides
            results[path] = f"{type(exc).__name__}: {str(exc)[:400]}"
        keras.backend.clear_session()  # one model's graph state must not slow the next
        print(
            f"[{keras.__version__}] {index + 1}/{len(pairs)} {time.monotonic() - start:.0f}s {path}",
            file=sys.stderr,
            flush=True,
        )
    print(json.dumps({"keras_version": keras.__version__, "backend": keras.backend.backend(), "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
