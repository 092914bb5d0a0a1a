#!/usr/bin/env python
"""Write kerasmigrate's SavedModel samples with a real TensorFlow (2.2 … 2.15, or tf_keras).

    run.sh STACK scripts/gen_savedmodel_samples.py OUTDIR [--only a,b]
    TF_USE_LEGACY_KERAS=1 ORACLE_KERAS_API=tf.keras .venv/bin/python scripts/gen_savedmodel_samples.py OUTDIR

Runs inside an oracle stack of ../shared/oracles, so every directory is
exactly what that version's `model.save(DIR)` wrote (TF 2.0-2.15's default
format; `save_format="tf"` where the default changed). Each sample NAME
gives the SavedModel directory NAME/ and NAME.refs.npz (input_0.., output_0..
computed by the writing stack); OUTDIR/manifest.json records the versions and
which samples must be refused (kind "refused", with the words the refusal
must contain) and which convert with a mapping (kind "mapped"). Weights are set from a seeded RandomState after building.
Python 3.8 syntax (the TF 2.2 and 2.4 stacks).
"""
from __future__ import absolute_import, division, print_function

import argparse
import io
import json
import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from gen_samples import BATCH, SEED, _tf_module, adam, floats, keras, predict, save_refs, seed_weights, start_manifest  # noqa: E402

L = keras.layers
tf = _tf_module()


def sequential(rs):
    model = keras.models.Sequential(
        [L.Dense(5, activation="relu", input_shape=(4,), name="dense_in"), L.Dropout(0.2), L.Dense(3, name="dense_out")],
        name="mlp")
    return model, floats(rs, (4,)), "Sequential Dense-Dropout-Dense"


def functional_nested(rs):
    inner_in = keras.Input((6,), name="inner_in")
    x = L.Dense(5, activation="tanh", name="inner_dense")(inner_in)
    x = L.BatchNormalization(name="inner_bn")(x)
    inner = keras.models.Model(inner_in, x, name="inner")
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    merged = L.Concatenate(name="concat")([inner(a), inner(b)])
    out = L.Dense(2, name="head")(merged)
    model = keras.models.Model([a, b], out, name="outer")
    return model, floats(rs, (6,), (6,)), "Functional calling a nested Functional (shared) with BatchNormalization"


def rnn(rs):
    inp = keras.Input((5, 3), name="seq")
    x = L.GRU(4, return_sequences=True, name="gru")(inp)
    x = L.Bidirectional(L.SimpleRNN(3, name="simple_rnn"), name="bidi")(x)
    out = L.Dense(2, name="out")(x)
    model = keras.models.Model(inp, out, name="rnn")
    # (LSTM and GRU differ only in their cells here; one of them keeps the traced graphs small)
    return model, floats(rs, (5, 3)), "GRU then Bidirectional SimpleRNN"


def compiled_trained(rs):
    model = keras.models.Sequential(
        [L.Dense(4, activation="relu", input_shape=(3,), name="d1"), L.Dense(2, name="d2")], name="trained")
    return model, floats(rs, (3,)), "Sequential compiled with Adam and trained one step (optimizer state)"


class Scale(L.Layer):
    """A custom layer with a weight and get_config: needs a mapping to convert."""

    def __init__(self, factor=2.0, **kwargs):
        super(Scale, self).__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(int(input_shape[-1]),), initializer="ones")
        super(Scale, self).build(input_shape)

    def call(self, inputs):
        return inputs * self.w * self.factor

    def get_config(self):
        config = super(Scale, self).get_config()
        config["factor"] = self.factor
        return config


def custom_class(rs):
    inp = keras.Input((4,), name="x")
    out = Scale(3.0, name="scale")(L.Dense(4, name="dense")(inp))
    model = keras.models.Model(inp, out, name="custom")
    return model, floats(rs, (4,)), "Functional with a custom layer class (Scale)"


class Subclassed(keras.models.Model):
    def __init__(self):
        super(Subclassed, self).__init__(name="subclassed")
        self.dense = L.Dense(3, name="dense")

    def call(self, inputs):
        return self.dense(inputs)


def subclassed(rs):
    model = Subclassed()
    inputs = floats(rs, (4,))
    model(inputs[0])
    return model, inputs, "Subclassed keras.Model (no get_config): no Keras config"


def _preprocessing_layer(name):
    layer = getattr(L, name, None)
    if layer is None:  # TF 2.2-2.5 keep them in layers.experimental.preprocessing
        layer = getattr(L.experimental.preprocessing, name)
    return layer


def _takes(layer_class, argument):
    import inspect
    return argument in inspect.signature(layer_class.__init__).parameters


WORDS = ["red", "green", "blue", "red", "red", "green", "pink", "blue", "red", "teal"]
CODES = [7, 11, 13, 7, 7, 11, 3, 13, 7, 42, 11, 7]


def adapted_lookups(rs):
    """StringLookup and IntegerLookup adapted (vocabulary in lookup tables): token ids (the
    default mask/OOV of the version, two OOV buckets), and multi_hot/count/tf_idf where the
    version's lookups have output modes; inputs include tokens outside the vocabulary."""
    StringLookup = _preprocessing_layer("StringLookup")
    IntegerLookup = _preprocessing_layer("IntegerLookup")
    words = keras.Input((3,), name="words", dtype="string")
    codes = keras.Input((3,), name="codes", dtype="int64")
    corpus = np.array(WORDS).reshape(-1, 1)
    numbers = np.array(CODES, dtype="int64").reshape(-1, 1)

    def adapted(layer, data):
        layer.adapt(data)
        return layer

    outputs = [adapted(StringLookup(name="word_ids"), corpus)(words),
               adapted(IntegerLookup(name="code_ids"), numbers)(codes)]
    two_oov = {"num_oov_indices": 2}
    outputs.append(adapted(StringLookup(name="word_ids_2oov", **two_oov), corpus)(words))
    if _takes(StringLookup, "output_mode"):
        outputs.append(adapted(StringLookup(output_mode="multi_hot", name="word_hot"), corpus)(words))
        outputs.append(adapted(IntegerLookup(output_mode="count", name="code_counts"), numbers)(codes))
        outputs.append(adapted(StringLookup(output_mode="tf_idf", name="word_tf_idf"), corpus)(words))
        outputs.append(adapted(IntegerLookup(mask_token=0, oov_token=-7, name="code_masked"), numbers)(codes))
    model = keras.models.Model([words, codes], outputs, name="adapted_lookups")
    word_ids = np.array(["red", "green", "blue", "pink", "teal", "mauve", ""])[rs.randint(0, 7, size=(BATCH, 3))]
    code_ids = np.array([7, 11, 13, 3, 42, 5, 0], dtype="int64")[rs.randint(0, 7, size=(BATCH, 3))]
    return model, [word_ids, code_ids], "adapted StringLookup/IntegerLookup (tables in the checkpoint), OOV inputs"


def adapted_text_vectorization(rs):
    """TextVectorization adapted: token ids (int), multi_hot ("binary" before TF 2.6), bigram
    counts and TF-IDF, on sentences with words outside the vocabulary."""
    TextVectorization = _preprocessing_layer("TextVectorization")
    text = keras.Input((1,), name="text", dtype="string")
    corpus = np.array(["the cat sat on the mat", "the dog sat", "a cat and a dog", "the mat"]).reshape(-1, 1)
    modern = hasattr(sys.modules[TextVectorization.__module__], "MULTI_HOT")  # TF 2.6 renamed the modes
    hot = "multi_hot" if modern else "binary"
    layers = [TextVectorization(output_sequence_length=6, name="token_ids"),
              TextVectorization(output_mode=hot, name="hot"),
              TextVectorization(output_mode="count", ngrams=2, name="bigram_counts"),
              TextVectorization(output_mode="tf_idf" if modern else "tf-idf", name="tf_idf")]
    for layer in layers:
        layer.adapt(corpus)
    model = keras.models.Model(text, [layer(text) for layer in layers], name="adapted_text_vectorization")
    sentences = np.array(["The cat sat on the mat.", "the dog sat", "a bird on the mat, the cat",
                          "unknown words only"])
    return model, [sentences[rs.randint(0, len(sentences), size=(BATCH, 1))]], (
        "adapted TextVectorization: int, multi_hot, bigram count, tf_idf (tables in the checkpoint)")


def vocabulary_files(rs):
    """StringLookup, IntegerLookup and TextVectorization given vocabulary files, which the
    SavedModel copies into assets/ (the config keeps the writer's path); OOV inputs."""
    StringLookup = _preprocessing_layer("StringLookup")
    IntegerLookup = _preprocessing_layer("IntegerLookup")
    TextVectorization = _preprocessing_layer("TextVectorization")
    if not _takes(TextVectorization, "vocabulary"):
        raise AttributeError("TextVectorization takes no vocabulary argument in this version")
    import tempfile
    folder = tempfile.mkdtemp()
    files = {}
    for name, lines in (("words.txt", ["red", "green", "blue", "pink"]), ("codes.txt", ["7", "11", "13"])):
        files[name] = os.path.join(folder, name)
        with io.open(files[name], "w", encoding="utf-8") as f:
            f.write(u"".join(line + u"\n" for line in lines))
    words = keras.Input((3,), name="words", dtype="string")
    codes = keras.Input((3,), name="codes", dtype="int64")
    text = keras.Input((1,), name="text", dtype="string")
    outputs = [StringLookup(vocabulary=files["words.txt"], name="word_ids")(words),
               IntegerLookup(vocabulary=files["codes.txt"], name="code_ids")(codes),
               TextVectorization(vocabulary=files["words.txt"], output_sequence_length=5, name="text_ids")(text)]
    model = keras.models.Model([words, codes, text], outputs, name="vocabulary_files")
    word_ids = np.array(["red", "green", "blue", "pink", "mauve", ""])[rs.randint(0, 6, size=(BATCH, 3))]
    code_ids = np.array([7, 11, 13, 5, 0], dtype="int64")[rs.randint(0, 5, size=(BATCH, 3))]
    sentences = np.array(["red blue", "Pink, green and mauve", "nothing known"])[rs.randint(0, 3, size=(BATCH, 1))]
    return model, [word_ids, code_ids, sentences], "lookups and TextVectorization with vocabulary files (assets/)"


class TracedMLP(keras.models.Model):
    """Subclassed, no get_config: converted from its traced inference function."""

    def __init__(self):
        super(TracedMLP, self).__init__(name="traced_mlp")
        self.hidden = L.Dense(6, activation="relu", name="hidden")
        self.drop = L.Dropout(0.3)
        self.out = L.Dense(3, activation="softmax", name="out")

    def call(self, inputs, training=False):
        return self.out(self.drop(self.hidden(inputs), training=training))


class TracedConv(keras.models.Model):
    def __init__(self):
        super(TracedConv, self).__init__(name="traced_conv")
        self.conv = L.Conv2D(4, 3, padding="same", activation="relu", name="conv")
        self.bn = L.BatchNormalization(name="bn")
        self.pool = L.MaxPooling2D(2, name="pool")
        self.conv2 = L.Conv2D(3, 2, strides=2, padding="valid", name="conv2")
        self.avg = L.AveragePooling2D(2, padding="same", name="avg")
        self.flat = L.Flatten(name="flat")
        self.head = L.Dense(2, name="head")

    def call(self, inputs, training=False):
        x = self.pool(self.bn(self.conv(inputs), training=training))
        return self.head(self.flat(self.avg(self.conv2(x))))


class Affine(L.Layer):
    """A subclassed layer with its own variables, inside a subclassed model."""

    def __init__(self, units, **kwargs):
        super(Affine, self).__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(int(input_shape[-1]), self.units))
        self.b = self.add_weight(name="b", shape=(self.units,))

    def call(self, inputs):
        return tf.tanh(tf.matmul(inputs, self.w) + self.b)


class TracedNested(keras.models.Model):
    def __init__(self):
        super(TracedNested, self).__init__(name="traced_nested")
        self.affine = Affine(5, name="affine")
        self.head = L.Dense(2, name="head")

    def call(self, inputs):
        x = self.affine(inputs)
        return self.head(tf.concat([x, inputs * 2.0 - 1.0], axis=-1))


class TracedMultiIO(keras.models.Model):
    def __init__(self):
        super(TracedMultiIO, self).__init__(name="traced_multi_io")
        self.a = L.Dense(4, activation="tanh", name="a")
        self.b = L.Dense(4, activation="sigmoid", name="b")
        self.head = L.Dense(3, name="head")

    def call(self, inputs):
        left, right = inputs
        merged = self.a(left) * self.b(right)
        return [self.head(merged), tf.reduce_mean(merged, axis=-1, keepdims=True)]


class DenseTranspose(L.Layer):
    """A custom layer using another Dense's kernel, transposed; no get_config (its code is gone)."""

    def __init__(self, dense, activation=None, **kwargs):
        super(DenseTranspose, self).__init__(**kwargs)
        self.dense = dense
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.b = self.add_weight(name="bias", shape=(int(self.dense.kernel.shape[0]),), initializer="zeros")

    def call(self, inputs):
        return self.activation(tf.matmul(inputs, self.dense.kernel, transpose_b=True) + self.b)


class PyFunctionModel(keras.models.Model):
    def __init__(self):
        super(PyFunctionModel, self).__init__(name="py_function_model")
        self.dense = L.Dense(3, name="dense")

    def call(self, inputs):
        x = tf.py_function(lambda t: t * 2.0, [inputs], tf.float32)
        x.set_shape(inputs.shape)
        return self.dense(x)


class TracedRNN(keras.models.Model):
    """LSTM and GRU on their cuDNN-compatible path (the standard_lstm/standard_gru functions)."""

    def __init__(self):
        super(TracedRNN, self).__init__(name="traced_rnn")
        self.lstm = L.LSTM(4, return_sequences=True, name="lstm")
        self.gru = L.GRU(3, go_backwards=True, name="gru")
        self.head = L.Dense(2, name="head")

    def call(self, inputs):
        return self.head(self.gru(self.lstm(inputs)))


class DataDependentLoop(keras.models.Model):
    """A loop whose trip count is computed from the input (what a `for i in tf.range(n)` in a
    tf.function becomes): a While whose body is this code, not a Keras RNN's (refused, naming
    the op, the function and the model)."""

    def __init__(self):
        super(DataDependentLoop, self).__init__(name="data_dependent_loop")
        self.dense = L.Dense(3, name="dense")

    def call(self, inputs):
        x = self.dense(inputs)
        steps = tf.cast(tf.reduce_max(tf.abs(inputs)) * 3.0, tf.int32) + 1
        _, total = tf.while_loop(lambda i, t: i < steps, lambda i, t: (i + 1, t + x * tf.cast(i, tf.float32)),
                                 (tf.constant(0), tf.zeros_like(x)))
        return total


def _built(model, inputs):
    model(inputs if len(inputs) > 1 else inputs[0])
    return model


def traced_mlp(rs):
    inputs = floats(rs, (4,))
    return _built(TracedMLP(), inputs), inputs, "subclassed MLP (Dense relu, Dropout, Dense softmax), traced functions only"


def traced_conv(rs):
    inputs = floats(rs, (8, 8, 2))
    return _built(TracedConv(), inputs), inputs, "subclassed Conv2D, BatchNormalization, pooling, Flatten, Dense"


def traced_nested(rs):
    inputs = floats(rs, (3,))
    return _built(TracedNested(), inputs), inputs, "subclassed model holding a subclassed layer (tf.matmul, tanh), concat"


def traced_multi_io(rs):
    inputs = floats(rs, (3,), (2,))
    return _built(TracedMultiIO(), inputs), inputs, "subclassed model with two inputs and two outputs"


def dense_transpose(rs):
    inp = keras.Input((6,), name="x")
    dense = L.Dense(3, activation="relu", name="encoder")
    out = DenseTranspose(dense, activation="sigmoid", name="decoder")(dense(inp))
    model = keras.models.Model(inp, out, name="tied")
    return model, floats(rs, (6,)), "Functional with a code-less custom layer reusing another Dense's kernel transposed"


def traced_rnn(rs):
    inputs = floats(rs, (5, 3))
    return _built(TracedRNN(), inputs), inputs, "subclassed LSTM (sequences) then GRU (backwards), traced functions only"


def data_dependent_loop(rs):
    inputs = floats(rs, (4,))
    return _built(DataDependentLoop(), inputs), inputs, "subclassed model with a tf.while_loop over a computed count: refused"


def py_function(rs):
    inputs = floats(rs, (4,))
    return _built(PyFunctionModel(), inputs), inputs, "subclassed model calling tf.py_function: refused"


SAMPLES = [
    ("sequential", sequential),
    ("functional_nested", functional_nested),
    ("rnn", rnn),
    ("compiled_trained", compiled_trained),
    ("custom_class", custom_class),
    ("subclassed", subclassed),
    ("no_keras_config", None),
    ("adapted_lookups", adapted_lookups),
    ("adapted_text_vectorization", adapted_text_vectorization),
    ("vocabulary_files", vocabulary_files),
    ("traced_mlp", traced_mlp),
    ("traced_conv", traced_conv),
    ("traced_nested", traced_nested),
    ("traced_multi_io", traced_multi_io),
    ("dense_transpose", dense_transpose),
    ("py_function", py_function),
    ("traced_rnn", traced_rnn),
    ("data_dependent_loop", data_dependent_loop),
]

# custom_class converts with ../mapping.toml and ../keras3_layers.py (kind "mapped");
# without them it is refused like any file with a custom class.
MAPPED = {"custom_class": {"mapping": "../mapping.toml", "custom_module": "../keras3_layers.py",
                           "refusal": "no conversion is known for class Scale"}}
# `subclassed` converts from its traced functions (kerasmigrate/core/traced/), as the traced_* do.
REFUSALS = {
    "no_keras_config": "without a Keras model config",
    "py_function": "op EagerPyFunc",
    "data_dependent_loop": "op (Stateless)?While .* control flow",
}


def save(model, path):
    if os.path.exists(path):
        shutil.rmtree(path)
    try:
        model.save(path, save_format="tf")
    except TypeError:  # releases without save_format
        model.save(path)


def make(name, builder, outdir, index):
    rs = np.random.RandomState(SEED + index)
    path = os.path.join(outdir, name)
    if builder is None:  # tf.saved_model.save of a plain tf.Module: no Keras object at all
        module = tf.Module()
        module.v = tf.Variable(np.arange(3, dtype="float32"))
        module.f = tf.function(lambda x: x * module.v, input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        if os.path.exists(path):
            shutil.rmtree(path)
        tf.saved_model.save(module, path)
        inputs = floats(rs, (3,))
        save_refs(os.path.join(outdir, name + ".refs.npz"), inputs, [module.f(inputs[0]).numpy()])
        return {"name": name, "file": name, "refs": name + ".refs.npz", "kind": "refused",
                "refusal": REFUSALS[name], "description": "tf.saved_model.save of a tf.Module", "model_class": "Module"}
    model, inputs, description = builder(rs)
    seed_weights(model, SEED + 100 + index)
    if name == "compiled_trained":
        model.compile(optimizer=adam(0.01), loss="mse", metrics=["mae"])
        target = rs.uniform(-1.0, 1.0, size=(BATCH, 2)).astype("float32")
        model.train_on_batch(inputs[0], target)
    outputs = predict(model, inputs)
    save(model, path)
    save_refs(os.path.join(outdir, name + ".refs.npz"), inputs, outputs)
    entry = {"name": name, "file": name, "refs": name + ".refs.npz", "kind": "model",
             "description": description, "model_class": model.__class__.__name__}
    if name in REFUSALS:
        entry.update(kind="refused", refusal=REFUSALS[name])
    if name in MAPPED:
        entry.update(kind="mapped", **MAPPED[name])
    return entry


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--only", default="", help="comma-separated names: regenerate these, keep the others")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    outdir = args.outdir
    wanted = [n for n in args.only.split(",") if n] or [n for n, _ in SAMPLES]
    manifest = start_manifest(outdir, "scripts/gen_savedmodel_samples.py", wanted, bool(args.only))
    manifest_path = os.path.join(outdir, "manifest.json")
    for index, (name, builder) in enumerate(SAMPLES):
        if name not in wanted:
            continue
        try:
            entry = make(name, builder, outdir, index)
        except AttributeError as exc:  # a layer this version lacks (StringLookup before TF 2.3)
            print("[gen] %s unavailable: %s" % (name, exc), file=sys.stderr)
            manifest.setdefault("unavailable", []).append({"name": name, "error": str(exc)})
            continue
        except Exception as exc:  # one sample must not hide the others
            print("[gen] %s FAILED: %s: %s" % (name, type(exc).__name__, exc), file=sys.stderr)
            manifest["failed"].append({"name": name, "error": "%s: %s" % (type(exc).__name__, exc)})
            continue
        manifest["samples"].append(entry)
        manifest["samples"].sort(key=lambda e: [n for n, _ in SAMPLES].index(e["name"]))
        print("[gen] %s -> %s" % (name, entry["file"]), file=sys.stderr)
    text = json.dumps(manifest, indent=2, sort_keys=True)
    with io.open(manifest_path, "w", encoding="utf-8") as f:
        f.write(text if not isinstance(text, bytes) else text.decode("utf-8"))
        f.write(u"\n")
    return 1 if manifest["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
