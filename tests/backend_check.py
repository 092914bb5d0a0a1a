"""Run in a subprocess with KERAS_BACKEND set: load converted files, compare with references.

    python tests/backend_check.py CONVERTED REFS [CONVERTED REFS ...]

Prints one JSON object: path -> max abs difference (float) or the error (string).
"""

import json
import sys

import keras
import numpy as np

import kerasmigrate.keras_objects  # noqa: F401
from kerasmigrate.verify import load_references


def main(argv):
    out = {"backend": keras.backend.backend()}
    for path, refs in zip(argv[0::2], argv[1::2]):
        inputs, expected = load_references(refs)
        try:
            model = keras.saving.load_model(path, compile=False)
            got = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
            got = got if isinstance(got, (list, tuple)) else [got]
            out[path] = max(float(np.max(np.abs(np.asarray(g, dtype=np.float64) - e))) for g, e in zip(got, expected))
        except Exception as exc:  # reported, the test decides
            out[path] = f"{type(exc).__name__}: {str(exc)[:300]}"
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
