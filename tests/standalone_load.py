"""Load converted files in a process where kerasmigrate cannot be imported: Keras 3 only.

    python -I tests/standalone_load.py JOBS.json      (KERAS_BACKEND=tensorflow|jax)

JOBS.json is a list of {"path": converted .keras, "refs": references .npz or null,
"module": a Keras 3 module file to import first (a mapped sample's custom layers) or null}.
Prints one JSON object: {"backend", "blocked": attempts to import kerasmigrate, "results":
{path: {"max_abs": float or null (no references), "half": bool} or {"error": str}}}.

This file imports nothing of the project: `-I` keeps PYTHONPATH, the script's folder and
the current directory off sys.path, and the finder below refuses `kerasmigrate` (an
editable install would otherwise still provide it), so a converted file that refers to
a kerasmigrate function fails to load here exactly as on a server without kerasmigrate.
"""

import importlib.abc
import importlib.util
import json
import os
import sys

BLOCKED = []


class _NoKerasmigrate(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "kerasmigrate" or name.startswith("kerasmigrate."):
            BLOCKED.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: the file must load without it)")
        return None


sys.meta_path.insert(0, _NoKerasmigrate())
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))  # Keras 3 walks deep graphs recursively
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def _arrays(npz, prefixes):
    for prefix in prefixes:
        keys = sorted(
            (k for k in npz.files if k.startswith(prefix) and k[len(prefix) :].isdigit()),
            key=lambda k: int(k[len(prefix) :]),
        )
        if keys:
            return [npz[k] for k in keys]
    return []


def _import_module(path, imported):
    if path in imported:
        return
    spec = importlib.util.spec_from_file_location(f"user_module_{len(imported)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    imported.add(path)


def _flatten(outputs):
    if isinstance(outputs, dict):
        return [np.asarray(outputs[k]) for k in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o) for o in outputs]
    return [np.asarray(outputs)]


def _run(model, inputs):
    if any(x.dtype.kind in "US" for x in inputs):  # lookup layers: TensorFlow string tensors
        import tensorflow as tf

        feed = [tf.constant(x) for x in inputs]
        return _flatten(model(feed[0] if len(feed) == 1 else feed, training=False))
    if keras.backend.backend() == "tensorflow" and any(
        getattr(layer, "data_format", None) == "channels_first" for layer in model._flatten_layers()
    ):
        # TensorFlow's CPU kernels run channels_first convolutions only with oneDNN (CPUs with AVX-512);
        # XLA compiles them on any CPU, as kerasmigrate.verify does.
        import tensorflow as tf

        feed = inputs[0] if len(inputs) == 1 else inputs
        return _flatten(tf.function(lambda x: model(x, training=False), jit_compile=True)(feed))
    return _flatten(model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0, batch_size=len(inputs[0])))


def _check(job, imported):
    if job.get("module"):
        _import_module(job["module"], imported)
    model = keras.saving.load_model(job["path"], compile=False, safe_mode=True)
    half = any(
        getattr(layer, "compute_dtype", "float32") in ("float16", "bfloat16") for layer in model._flatten_layers()
    )
    if not job.get("refs"):
        inputs = [
            np.zeros([2] + [d or 8 for d in t.shape[1:]], dtype="float32" if "float" in str(t.dtype) else str(t.dtype))
            for t in model.inputs
        ]
        _run(model, inputs)
        return {"max_abs": None, "half": half}
    with np.load(job["refs"], allow_pickle=False) as npz:
        inputs = _arrays(npz, ("input_", "in_"))
        expected = _arrays(npz, ("output_", "out_"))
    got = _run(model, inputs)
    if len(got) != len(expected):
        return {"error": f"{len(got)} outputs, the references have {len(expected)}"}
    diffs = [
        float(np.max(np.abs(np.asarray(g, dtype=np.float64) - np.asarray(e, dtype=np.float64)))) if np.size(e) else 0.0
        for g, e in zip(got, expected)
    ]
    return {"max_abs": max(diffs), "half": half}


def main(jobs_file):
    with open(jobs_file) as f:
        jobs = json.load(f)
    imported: set = set()
    results = {}
    for job in jobs:
        try:
            results[job["path"]] = _check(job, imported)
        except Exception as exc:  # reported; the test decides
            results[job["path"]] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        keras.backend.clear_session()
    assert not any(m == "kerasmigrate" or m.startswith("kerasmigrate.") for m in sys.modules)
    print(json.dumps({"backend": keras.backend.backend(), "blocked": sorted(set(BLOCKED)), "results": results}))


if __name__ == "__main__":
    main(sys.argv[1])
