#!/usr/bin/env python
"""Write `.keras` archives with tf.keras 2.12-2.15 (the format Keras 3 refuses).

    run.sh tf2.15 scripts/gen_keras2_archives.py OUTDIR [--only a,b]

Runs inside an oracle stack of ../shared/oracles; builds the models of
scripts/gen_samples.py (same builders, seeds and references) and saves each
with `model.save("NAME.keras")`. OUTDIR/manifest.json lists them with kind
"keras2-archive" (the .h5 sample tests do not pick them up).
"""
from __future__ import absolute_import, division, print_function

import argparse
import io
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_samples as g  # noqa: E402
import numpy as np  # noqa: E402

DEFAULT = ["mlp_sequential", "functional_nested", "sequential_in_functional", "nested_three_levels",
           "shared_layers", "conv_bn", "rnn_lstm_gru", "embedding", "compiled_trained",
           "multi_head_attention", "rnn_family"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--only", default=",".join(DEFAULT))
    args = parser.parse_args(argv)
    wanted = [n for n in args.only.split(",") if n]
    if not os.path.isdir(args.outdir):
        os.makedirs(args.outdir)
    manifest = {"generator": "scripts/gen_keras2_archives.py", "seed": g.SEED, "versions": g.versions(),
                "samples": [], "failed": []}
    for index, (name, builder) in enumerate(g.SAMPLES):
        if name not in wanted:
            continue
        rs = np.random.RandomState(g.SEED + index)
        model, inputs, description = builder(rs)
        g.seed_weights(model, g.SEED + 100 + index)
        if name == "compiled_trained":
            model.compile(optimizer=g.adam(0.01), loss="mse", metrics=["mae"])
            model.train_on_batch(inputs[0], rs.uniform(-1.0, 1.0, size=(g.BATCH, 2)).astype("float32"))
        outputs = g.predict(model, inputs)
        refs = dict(("input_%d" % i, a) for i, a in enumerate(inputs))
        refs.update(("output_%d" % i, np.asarray(a)) for i, a in enumerate(outputs))
        np.savez(os.path.join(args.outdir, name + ".refs.npz"), **refs)
        model.save(os.path.join(args.outdir, name + ".keras"))
        manifest["samples"].append({"name": name, "description": description, "file": name + ".keras",
                                    "refs": name + ".refs.npz", "kind": "keras2-archive"})
        print("[gen] %s -> %s.keras" % (name, name), file=sys.stderr)
    with io.open(os.path.join(args.outdir, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, indent=2, sort_keys=True))
        f.write(u"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
