#!/usr/bin/env python
"""Write kerasmigrate's feature-column samples with a real TensorFlow 2.x (DenseFeatures models).

    run.sh STACK scripts/gen_feature_column_samples.py OUTDIR [--only a,b]
    TF_USE_LEGACY_KERAS=1 ORACLE_KERAS_API=tf.keras .venv/bin/python scripts/gen_feature_column_samples.py OUTDIR

Runs inside an oracle stack of ../shared/oracles (tf.keras 2.2 ... 2.15) or with tf_keras. Each sample NAME is a
Sequential starting with `tf.keras.layers.DenseFeatures(columns)`, as TensorFlow's structured-data
tutorial builds it, fed a dict of named inputs (floats, integers and strings, with values outside
every vocabulary, the ignored '' and -1, and the hashed ones). It gives the SavedModel directory
NAME/ and, where the stack can save one, NAME.h5, with NAME.refs.npz: input_0.. in sorted feature
order (the order of the converted model's inputs), output_0.. computed by the writing stack.
OUTDIR/manifest.json records the versions, and which samples must be refused (kind "refused",
with the words the refusal must contain; `h5_refusal` where only the .h5 file is). Python 3.8 syntax (the TF 2.2 and 2.4 stacks).
"""

import argparse
import json
import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from gen_samples import SEED, _tf_module, keras, seed_weights, start_manifest  # noqa: E402

tf = _tf_module()
fc = tf.feature_column
L = keras.layers
ROWS = 8

COLORS = np.array([["red"], ["green"], ["blue"], [""], ["pink"], ["red"], ["blue"], ["zzz"]])
SHAPES = np.array([["circle"], ["square"], ["star"], ["oval"], [""], ["circle"], ["hex"], ["square"]])
CITIES = np.array([["paris"], ["rome"], ["oslo"], ["lima"], ["rome"], [""], ["paris"], ["kyiv"]])
WORDS = np.array([["the"], ["a"], ["quick"], ["fox"], [""], ["jumps"], ["over"], ["dog"]])


def numeric_inputs(rs):
    return {
        "age": rs.uniform(-1.5, 1.5, size=(ROWS, 1)).astype("float32"),
        "measure": rs.uniform(-1.0, 1.0, size=(ROWS, 2)).astype("float32"),
        "count": rs.randint(-3, 9, size=(ROWS, 1)).astype("int64"),
    }


def numeric(outdir, rs):
    columns = [
        fc.numeric_column("age"),
        fc.numeric_column("measure", shape=(2,)),
        fc.numeric_column("count", dtype=tf.int64),
        fc.bucketized_column(fc.numeric_column("age"), boundaries=[-1.0, -0.25, 0.0, 0.5, 1.0]),
    ]
    return columns, numeric_inputs(rs), "numeric (float, 2-wide, int64) and bucketized columns"


def categorical(outdir, rs):
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
    shape = fc.categorical_column_with_vocabulary_list("shape", ["circle", "square", "star"], num_oov_buckets=2)
    code = fc.categorical_column_with_vocabulary_list("code", [10, 20, 30, 40], dtype=tf.int64)
    word = fc.categorical_column_with_hash_bucket("word", hash_bucket_size=7)
    zipcode = fc.categorical_column_with_hash_bucket("zip", hash_bucket_size=5, dtype=tf.int64)
    columns = [
        fc.numeric_column("age"),
        fc.indicator_column(color),
        fc.indicator_column(shape),
        fc.indicator_column(code),
        fc.indicator_column(word),
        fc.indicator_column(zipcode),
        fc.embedding_column(color, dimension=3),
        fc.embedding_column(shape, dimension=2, combiner="sum"),
        fc.embedding_column(word, dimension=4),
    ]
    inputs = {
        "age": rs.uniform(-1.5, 1.5, size=(ROWS, 1)).astype("float32"),
        "color": COLORS,
        "shape": SHAPES,
        "code": np.array([[10], [20], [-1], [40], [50], [30], [10], [7]], dtype="int64"),
        "word": WORDS,
        "zip": np.array([[94110], [10001], [-1], [75001], [94110], [1], [0], [60601]], dtype="int64"),
    }
    return columns, inputs, "vocabulary list (string, int) and hashed (string, int) columns: indicator and embedding"


def multivalent(outdir, rs):
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"], num_oov_buckets=3)
    tags = fc.categorical_column_with_hash_bucket("tags", hash_bucket_size=6)
    code = fc.categorical_column_with_vocabulary_list("code", [3, 5, 8], dtype=tf.int64, num_oov_buckets=4)
    columns = [
        fc.indicator_column(color),
        fc.indicator_column(code),
        fc.indicator_column(fc.categorical_column_with_identity("level", num_buckets=4)),
        fc.embedding_column(tags, dimension=3, combiner="sum"),
    ]
    inputs = {
        "code": np.array([[3, 5, 9], [-1, 8, 100], [7, -1, -1], [12345, 3, 5]] * 2, dtype="int64"),
        "level": np.array([[0, 1, -1], [3, 3, 2], [-1, -1, -1], [2, 0, 1]] * 2, dtype="int64"),
        "color": np.array([["red", "red", "zzz"], ["", "blue", "pink"], ["green", "", ""], ["a", "b", "c"]] * 2),
        "tags": np.array([["x", "y", ""], ["", "", ""], ["x", "x", "z"], ["q", "", "y"]] * 2),
    }
    return (
        columns,
        inputs,
        "three values per row (OOV buckets of strings and ints, identity): indicator counts, embedding summed",
    )


def vocabulary_file(outdir, rs):
    path = os.path.join(outdir, "cities.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("paris\nrome\noslo\nlima\nkyiv\n")
    city = fc.categorical_column_with_vocabulary_file("city", path, vocabulary_size=4)
    columns = [fc.numeric_column("age"), fc.indicator_column(city), fc.embedding_column(city, dimension=2)]
    inputs = {"age": rs.uniform(-1.5, 1.5, size=(ROWS, 1)).astype("float32"), "city": CITIES}
    return columns, inputs, "vocabulary file (its first 4 lines): indicator and embedding"


def functional(outdir, rs):
    shape = fc.categorical_column_with_vocabulary_list("shape", ["circle", "square", "star"], num_oov_buckets=1)
    columns = [
        fc.bucketized_column(fc.numeric_column("age"), boundaries=[-0.5, 0.5]),
        fc.indicator_column(shape),
        fc.embedding_column(fc.categorical_column_with_hash_bucket("word", hash_bucket_size=5), dimension=2),
    ]
    inputs = {"age": rs.uniform(-1.5, 1.5, size=(ROWS, 1)).astype("float32"), "shape": SHAPES, "word": WORDS}
    return columns, inputs, "a functional model on a dict of Inputs, DenseFeatures beside the raw age input"


def crossed(outdir, rs):
    age_buckets = fc.bucketized_column(fc.numeric_column("age"), boundaries=[-0.5, 0.0, 0.5])
    columns = [
        fc.numeric_column("age"),
        fc.indicator_column(fc.crossed_column(["shape", "word"], hash_bucket_size=11)),
        fc.embedding_column(fc.crossed_column([age_buckets, "shape"], hash_bucket_size=7), dimension=2),
    ]
    inputs = {"age": rs.uniform(-1.5, 1.5, size=(ROWS, 1)).astype("float32"), "shape": SHAPES, "word": WORDS}
    return columns, inputs, "crossed columns: raw string keys (indicator), bucketized x raw key (embedding)"


def crossed_ids(outdir, rs):
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
    columns = [fc.numeric_column("age"), fc.indicator_column(fc.crossed_column([color, "shape"], hash_bucket_size=11))]
    inputs = {"age": rs.uniform(-1.5, 1.5, size=(ROWS, 1)).astype("float32"), "color": COLORS, "shape": SHAPES}
    return columns, inputs, "a cross of a vocabulary column's ids: Keras lookups number them differently"


def weighted(outdir, rs):
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
    columns = [fc.numeric_column("age"), fc.indicator_column(fc.weighted_categorical_column(color, "color_weight"))]
    inputs = {
        "age": rs.uniform(-1.5, 1.5, size=(ROWS, 1)).astype("float32"),
        "color": np.where(COLORS == "", "red", COLORS),  # ids dropped as '' would leave weights unmatched
        "color_weight": rs.uniform(0.0, 2.0, size=(ROWS, 1)).astype("float32"),
    }
    return columns, inputs, "a weighted categorical column: no exact Keras 3 equivalent"


def combiners(outdir, rs):
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
    code = fc.categorical_column_with_vocabulary_list("code", [3, 5, 8], dtype=tf.int64, num_oov_buckets=2)
    tags = fc.categorical_column_with_hash_bucket("tags", hash_bucket_size=6)
    columns = [
        fc.embedding_column(color, dimension=3, combiner="mean"),
        fc.embedding_column(code, dimension=2, combiner="sqrtn"),
        fc.embedding_column(tags, dimension=2, combiner="mean"),
        fc.embedding_column(fc.categorical_column_with_identity("level", num_buckets=4), dimension=2, combiner="sqrtn"),
        fc.embedding_column(
            fc.categorical_column_with_hash_bucket("word", hash_bucket_size=5), dimension=2, combiner="sum"
        ),
    ]
    inputs = {  # '' and -1 padding, values outside the vocabulary (dropped or hashed), empty rows, repeats
        "color": np.array([["red", "red", "zzz"], ["", "blue", "pink"], ["", "", ""], ["green", "blue", "red"]] * 2),
        "code": np.array([[3, 5, 9], [-1, 8, 100], [-1, -1, -1], [3, 3, 5]] * 2, dtype="int64"),
        "tags": np.array([["x", "y", ""], ["", "", ""], ["x", "x", "z"], ["q", "", "y"]] * 2),
        "level": np.array([[0, 1, -1], [3, 3, 2], [-1, -1, -1], [2, 0, 1]] * 2, dtype="int64"),
        "word": np.array([["the", "fox", ""], ["a", "", ""], ["", "", ""], ["dog", "dog", "the"]] * 2),
    }
    return columns, inputs, "embeddings of three values per row with the mean, sqrtn and sum combiners (padding, OOV)"


def nested(outdir, rs):
    shape = fc.categorical_column_with_vocabulary_list("shape", ["circle", "square", "star"], num_oov_buckets=1)
    columns = [
        fc.numeric_column("age"),
        fc.indicator_column(shape),
        fc.embedding_column(fc.categorical_column_with_hash_bucket("word", hash_bucket_size=5), dimension=2),
    ]
    inputs = {"age": rs.uniform(-1.5, 1.5, size=(ROWS, 1)).astype("float32"), "shape": SHAPES, "word": WORDS}
    return columns, inputs, "DenseFeatures inside a nested Sequential, called on a dict of Inputs by a functional model"


SAMPLES = [
    ("dense_features_numeric", numeric),
    ("dense_features_categorical", categorical),
    ("dense_features_trained", categorical),
    ("dense_features_multivalent", multivalent),
    ("dense_features_functional", functional),
    ("dense_features_vocabulary_file", vocabulary_file),
    ("dense_features_crossed", crossed),
    ("dense_features_crossed_ids", crossed_ids),
    ("dense_features_weighted", weighted),
    ("dense_features_combiners", combiners),
    ("dense_features_nested", nested),
]
REFUSALS = {
    "dense_features_crossed_ids": "crosses the ids of VocabularyListCategoricalColumn",
    "dense_features_weighted": "WeightedCategoricalColumn",
}
# The .h5 format keeps only the path of a vocabulary file; a SavedModel copies the file into assets/.
H5_REFUSALS = {"dense_features_vocabulary_file": "an .h5 file only names it"}


def build(columns, inputs, name):
    return keras.models.Sequential(
        [
            keras.layers.DenseFeatures(columns, name="features"),
            L.Dense(4, activation="tanh", name="hidden"),
            L.Dense(2, name="out"),
        ],
        name=name,
    )


def build_functional(columns, inputs, name):
    tensors = {
        k: keras.Input((v.shape[1],), name=k, dtype=tf.string if v.dtype.kind == "U" else v.dtype.name)
        for k, v in inputs.items()
    }
    x = keras.layers.DenseFeatures(columns, name="features")(tensors)
    x = L.Dense(4, activation="tanh", name="hidden")(x)
    x = L.Concatenate(name="with_age")([x, tensors["age"]])
    return keras.models.Model(tensors, L.Dense(2, name="out")(x), name=name)


def build_nested(columns, inputs, name):
    tensors = {
        k: keras.Input((v.shape[1],), name=k, dtype=tf.string if v.dtype.kind == "U" else v.dtype.name)
        for k, v in inputs.items()
    }
    tower = keras.models.Sequential(
        [keras.layers.DenseFeatures(columns, name="features"), L.Dense(4, activation="tanh", name="hidden")],
        name="tower",
    )
    return keras.models.Model(tensors, L.Dense(2, name="out")(tower(tensors)), name=name)


BUILDERS = {"dense_features_functional": build_functional, "dense_features_nested": build_nested}


def sorted_inputs(inputs):
    return [inputs[k] for k in sorted(inputs)]


def save_refs(path, inputs, outputs):
    refs = {f"input_{i}": arr for i, arr in enumerate(sorted_inputs(inputs))}
    refs["output_0"] = np.asarray(outputs)
    np.savez(path, **refs)


def make(name, builder, outdir, index):
    rs = np.random.RandomState(SEED + index)
    columns, inputs, description = builder(outdir, rs)
    model = BUILDERS.get(name, build)(columns, inputs, name)
    model({k: tf.constant(v) for k, v in inputs.items()})
    seed_weights(model, SEED + 100 + index)
    if name == "dense_features_trained":  # optimizer state, the embedding matrices' slots included
        description += "; compiled with Adam and trained one step"
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        model.fit({k: tf.constant(v) for k, v in inputs.items()}, np.ones((ROWS, 2), "float32"), verbose=0)
    outputs = model({k: tf.constant(v) for k, v in inputs.items()}).numpy()
    path = os.path.join(outdir, name)
    if os.path.exists(path):
        shutil.rmtree(path)
    model.save(path, save_format="tf")
    save_refs(os.path.join(outdir, name + ".refs.npz"), inputs, outputs)
    entry = {
        "name": name,
        "file": name,
        "refs": name + ".refs.npz",
        "kind": "model",
        "description": description,
        "inputs": sorted(inputs),
        "model_class": model.__class__.__name__,
    }
    try:
        model.save(os.path.join(outdir, name + ".h5"))
        entry["h5"] = name + ".h5"
        if name in H5_REFUSALS:
            entry["h5_refusal"] = H5_REFUSALS[name]
    except Exception as exc:  # some stacks cannot write DenseFeatures to HDF5
        entry["h5_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        if os.path.exists(os.path.join(outdir, name + ".h5")):
            os.remove(os.path.join(outdir, name + ".h5"))
    if name in REFUSALS:
        entry.update(kind="refused", refusal=REFUSALS[name])
    return entry


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--only", default="", help="regenerate these samples (comma-separated), keep the others")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    outdir = args.outdir
    wanted = [n for n in args.only.split(",") if n] or [n for n, _ in SAMPLES]
    manifest = start_manifest(outdir, "scripts/gen_feature_column_samples.py", wanted, bool(args.only))
    for index, (name, builder) in enumerate(SAMPLES):
        if name not in wanted:
            continue
        try:
            entry = make(name, builder, outdir, index)
        except Exception as exc:  # one sample must not hide the others
            print(f"[gen] {name} FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            manifest["failed"].append({"name": name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        manifest["samples"].append(entry)
        manifest["samples"].sort(key=lambda e: [n for n, _ in SAMPLES].index(e["name"]))
        print("[gen] {} -> {}".format(name, entry["file"]), file=sys.stderr)
    text = json.dumps(manifest, indent=2, sort_keys=True)
    with open(os.path.join(outdir, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(text if not isinstance(text, bytes) else text.decode("utf-8"))
        f.write("\n")
    return 1 if manifest["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
