#!/usr/bin/env python
"""Write Lambda-layer sample models with a real old Keras / TensorFlow.

    run.sh STACK scripts/gen_lambda_samples.py OUTDIR [--only a,b]

Runs inside an oracle stack of ../shared/oracles (Keras 1.2.2 on TensorFlow
1.8, multi-backend Keras 2.1 / 2.3, tf.keras 2.x, tf_keras), so each Lambda's
function is stored as that Keras and that Python's marshalled bytecode (and
closure, `arguments`, `output_shape` function), exactly as `model.save()`
wrote it. Keep it Python 3.6 compatible (no f-strings).

Each sample NAME gives NAME.h5 and NAME.refs.npz (input_0.., output_0.. as the
writing stack computed them: it ran the Lambdas). OUTDIR/manifest.json lists
them with each Lambda's source text (`lambdas`, and in the description):
kind "model" for the ones kerasmigrate must translate into Keras 3 and
verify; kind "refused" for ones it must refuse, with `layer` (the Lambda it
must name) and `refusal` (short case-insensitive words its message must
contain: the instruction family, the unknown global's name, the module
imported, the function called for its side effect).

`lambda_marker` is gen_custom_samples.lambda_marker again (returning `t * 1.0`): a Lambda that
creates the file named by $KERASMIGRATE_LAMBDA_MARKER when it runs. The
writing stack runs it (the manifest records that the marker appeared);
kerasmigrate must never run it.

Where a stack cannot express a case (a function it lacks), the sample is
listed under "unavailable" with the reason.
"""
from __future__ import absolute_import, division, print_function

import io
import os
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_samples  # noqa: E402
import numpy as np  # noqa: E402
from gen_samples import Model, floats, keras  # noqa: E402
from oracle_compat import KERAS_MAJOR, _tf_module  # noqa: E402

L = keras.layers
K = keras.backend
tf = _tf_module()  # the global the Lambdas below name as `tf`
TF1 = tf is not None and int(tf.__version__.split(".")[0]) < 2
MARKER_ENV = "KERASMIGRATE_LAMBDA_MARKER"


def sample(kind="model", layer=None, refusal=(), marker=False):
    """A builder returning (model, inputs, [(layer name, Lambda source)]) becomes a gen_samples
    builder with `make`, which writes the files and the manifest entry of this generator."""

    def wrap(builder):
        def make(name, outdir, seed):
            return write_sample(name, builder, outdir, seed, kind, layer, refusal, marker)

        builder.make = make
        return builder

    return wrap


def write_sample(name, builder, outdir, seed, kind, layer, refusal, marker):
    marker_path = os.path.join(tempfile.mkdtemp(), "lambda-ran")
    os.environ[MARKER_ENV] = marker_path
    model, inputs, lambdas = builder(np.random.RandomState(seed))
    gen_samples.seed_weights(model, seed + 100)
    outputs = gen_samples.predict(model, inputs)
    gen_samples.save_refs(os.path.join(outdir, name + ".refs.npz"), inputs, outputs)
    model.save(os.path.join(outdir, name + ".h5"))
    entry = {"name": name, "file": name + ".h5", "refs": name + ".refs.npz", "kind": kind,
             "model_class": model.__class__.__name__, "lambdas": dict(lambdas),
             "description": "Lambda layers: " + "; ".join("%s: %s" % pair for pair in lambdas)}
    if kind == "refused":
        entry.update(layer=layer, refusal=list(refusal))
    if marker:  # the control: the writing stack ran the Lambda, and the marker appeared
        entry["marker_created_by_writer"] = os.path.exists(marker_path)
    if os.path.exists(marker_path):
        os.remove(marker_path)
    return entry


def lam(function, name, source, **kwargs):
    """A Lambda layer and its (name, source text) for the manifest."""
    return L.Lambda(function, name=name, **kwargs), (name, source)


def apply(pairs, layer_and_source, tensor):
    layer, pair = layer_and_source
    pairs.append(pair)
    return layer(tensor)


# ---------------------------------------------------------------------------
# Functions the Lambdas below are built from (module level, as user code had them)
# ---------------------------------------------------------------------------

def make_scaler(factor):
    return lambda t: t * factor


def centre(t):
    centred = t - K.mean(t, axis=-1, keepdims=True)
    return centred * 0.5


def normalize(img):
    return K.tf.image.resize_images(img, (8, 8), method=K.tf.image.ResizeMethod.AREA) / 127.5 - 1


def normalize_tf(img):
    return tf.image.resize_images(img, (8, 8), method=tf.image.ResizeMethod.AREA) / 127.5 - 1


if TF1:
    def space_to_depth_x2(x):
        """Thin wrapper for TensorFlow space_to_depth with block_size=2."""
        return tf.space_to_depth(x, block_size=2)
else:  # TensorFlow 2 has it in tf.nn only
    def space_to_depth_x2(x):
        """Thin wrapper for TensorFlow space_to_depth with block_size=2."""
        return tf.nn.space_to_depth(x, block_size=2)


def space_to_depth_x2_output_shape(input_shape):
    return (input_shape[0], input_shape[1] // 2, input_shape[2] // 2, 4 * input_shape[3])


def add_twice(t):
    out = t
    for _ in range(2):
        out = out + t
    return out


def scale_by_three(t):
    return t * 3.0


def separator_scaled(t):
    import os

    return t * float(len(os.sep))


def logged(t):
    print("Lambda input:", t)
    return t * 2.0


# ---------------------------------------------------------------------------
# Samples: each returns (model, inputs, [(Lambda layer name, its source)])
# ---------------------------------------------------------------------------

@sample()
def scaling(rs):
    x = L.Input((6,), name="pixels")
    done = []
    a = apply(done, lam(lambda x: x / 255.0 - 0.5, "scale_255", "lambda x: x / 255.0 - 0.5"), x)
    b = apply(done, lam(lambda x: x / 127.5 - 1.0, "scale_127", "lambda x: x / 127.5 - 1.0"), x)
    c = apply(done, lam(lambda x: x * 2.0 + 1.0, "affine", "lambda x: x * 2.0 + 1.0"), x)
    return Model(x, [a, b, c], "scaling"), floats(rs, (6,)), done


@sample()
def slicing(rs):
    x = L.Input((5, 4), name="sequence")
    done = []
    a = apply(done, lam(lambda x: x[:, -1], "last_step", "lambda x: x[:, -1]"), x)
    b = apply(done, lam(lambda x: x[..., :3], "first_features", "lambda x: x[..., :3]"), x)
    c = apply(done, lam(lambda x: x[:, 1:4], "middle_steps", "lambda x: x[:, 1:4]"), x)
    return Model(x, [a, b, c], "slicing"), floats(rs, (5, 4)), done


@sample()
def multi_input(rs):
    a = L.Input((4,), name="left")
    b = L.Input((4,), name="right")
    done = []
    product = apply(done, lam(lambda x: x[0] * x[1], "product", "lambda x: x[0] * x[1]"), [a, b])
    difference = apply(done, lam(lambda x: x[0] - x[1], "difference", "lambda x: x[0] - x[1]"), [a, b])
    head = L.Dense(2, name="head")(difference)
    return Model([a, b], [product, head], "multi_input"), floats(rs, (4,), (4,)), done


@sample()
def backend_ops(rs):
    a = L.Input((4, 3), name="a")
    b = L.Input((4, 2), name="b")
    done = []
    expanded = apply(done, lam(lambda x: K.expand_dims(x, 1), "expand", "lambda x: K.expand_dims(x, 1)"), a)
    joined = apply(done, lam(lambda x: K.concatenate([x[0], x[1]], axis=-1), "concat",
                             "lambda x: K.concatenate([x[0], x[1]], axis=-1)"), [a, b])
    mean = apply(done, lam(lambda x: K.mean(x, axis=1, keepdims=True), "mean",
                           "lambda x: K.mean(x, axis=1, keepdims=True)"), a)
    normed = apply(done, lam(lambda x: K.l2_normalize(x, axis=-1), "l2_normalize",
                             "lambda x: K.l2_normalize(x, axis=-1)"), a)
    return Model([a, b], [expanded, joined, mean, normed], "backend_ops"), floats(rs, (4, 3), (4, 2)), done


NORMALIZE_SOURCE = ("def normalize(img): return %s.image.resize_images(img, (8, 8), "
                    "method=%s.image.ResizeMethod.AREA) / 127.5 - 1")


@sample()
def image_resize(rs):
    x = L.Input((16, 16, 3), name="image")
    done = []
    if TF1:  # multi-backend Keras on TensorFlow 1.x: resize_images, and K.tf as old code wrote it
        # (Keras 2.3's keras.backend no longer exports `tf`: the global then)
        spelling = "K.tf" if hasattr(K, "tf") else "tf"
        a = apply(done, lam(normalize if spelling == "K.tf" else normalize_tf, "normalize",
                            NORMALIZE_SOURCE % (spelling, spelling)), x)
        b = apply(done, lam(lambda x: tf.image.resize_images(x, (8, 8), method=tf.image.ResizeMethod.AREA),
                            "resize_area", "lambda x: tf.image.resize_images(x, (8, 8), "
                            "method=tf.image.ResizeMethod.AREA)"), x)
    else:
        a = apply(done, lam(lambda x: tf.image.resize(x, (8, 8)), "resize_bilinear",
                            "lambda x: tf.image.resize(x, (8, 8))"), x)
        b = apply(done, lam(lambda x: tf.image.resize(x, (8, 8), method=tf.image.ResizeMethod.AREA),
                            "resize_area", "lambda x: tf.image.resize(x, (8, 8), "
                            "method=tf.image.ResizeMethod.AREA)"), x)
    return Model(x, [a, b], "image_resize"), floats(rs, (16, 16, 3)), done


@sample()
def space_to_depth(rs):
    x = L.Input((8, 8, 3), name="features")
    source = ('def space_to_depth_x2(x): """Thin wrapper for TensorFlow space_to_depth with '
              'block_size=2."""; return %s(x, block_size=2); output_shape=def '
              'space_to_depth_x2_output_shape(input_shape): return (input_shape[0], input_shape[1] // 2, '
              'input_shape[2] // 2, 4 * input_shape[3])') % ("tf.space_to_depth" if TF1 else "tf.nn.space_to_depth")
    done = []
    h = apply(done, lam(space_to_depth_x2, "space_to_depth_x2", source, output_shape=space_to_depth_x2_output_shape), x)
    out = L.Conv2D(2, (1, 1), name="conv")(h) if KERAS_MAJOR >= 2 else L.Convolution2D(2, 1, 1, name="conv")(h)
    return Model(x, out, "space_to_depth"), floats(rs, (8, 8, 3)), done


@sample()
def functions(rs):
    x = L.Input((5,), name="features")
    done = []
    h = L.Dense(4, name="dense_in")(x)
    h = apply(done, lam(make_scaler(0.5), "closure", "lambda t: t * factor  (factor = 0.5, a closure)"), h)
    h = apply(done, lam(lambda t, scale: t * scale, "with_arguments", 'lambda t, scale: t * scale  '
                        '(arguments={"scale": 3.0})', arguments={"scale": 3.0}), h)
    h = apply(done, lam(centre, "centre", "def centre(t): centred = t - K.mean(t, axis=-1, keepdims=True); "
                        "return centred * 0.5"), h)
    out = L.Dense(2, name="head")(h)
    return Model(x, out, "functions"), floats(rs, (5,)), done


@sample()
def sequential(rs):
    model = keras.models.Sequential([
        L.Lambda(lambda x: x / 127.5 - 1.0, input_shape=(6,), name="normalize"),
        L.Dense(4, name="dense"),
        L.Lambda(lambda t: -t + 0.25, name="negate"),
        L.Dense(2, name="head"),
    ], name="sequential")
    done = [("normalize", "lambda x: x / 127.5 - 1.0"), ("negate", "lambda t: -t + 0.25")]
    return model, floats(rs, (6,)), done


@sample()
def nested_functional(rs):
    inner_in = L.Input((6,), name="inner_in")
    done = []
    h = L.Dense(6, name="inner_dense")(inner_in)
    h = apply(done, lam(lambda t: t[:, ::2] * 0.5, "every_other", "lambda t: t[:, ::2] * 0.5"), h)
    inner = Model(inner_in, h, "inner")
    x = L.Input((6,), name="features")
    out = L.Dense(2, name="head")(inner(L.Dense(6, name="pre")(x)))
    return Model(x, out, "nested_functional"), floats(rs, (6,)), done


def refused(builder_layer, function, source, refusal):
    """A refused sample: a translatable Lambda, then the one that must be refused, then a Dense."""

    @sample(kind="refused", layer=builder_layer, refusal=refusal)
    def build(rs):
        x = L.Input((4,), name="features")
        done = []
        h = apply(done, lam(lambda t: t * 2.0, "double", "lambda t: t * 2.0"), x)
        h = apply(done, lam(function, builder_layer, source), h)
        out = L.Dense(2, name="head")(h)
        return Model(x, out, "refused"), floats(rs, (4,)), done

    return build


@sample(kind="refused", layer="side_effect", refusal=("io.open(...).close",), marker=True)
def lambda_marker(rs):
    # (t * 1.0, not t: Keras 1 takes a Lambda returning its own input for the model's input)
    touch = (lambda t: [io.open(os.environ.get(MARKER_ENV, "kerasmigrate-lambda-marker"), "a").close(),
                        t * 1.0][1])
    x = L.Input((4,), name="features")
    h = L.Lambda(touch, name="side_effect")(x)
    out = L.Dense(2, name="head")(h)
    return Model(x, out, "lambda_marker"), floats(rs, (4,)), [
        ("side_effect", 'lambda t: [io.open(os.environ.get("%s", ...), "a").close(), t * 1.0][1]' % MARKER_ENV)]


SAMPLES = [
    ("scaling", scaling),
    ("slicing", slicing),
    ("multi_input", multi_input),
    ("backend_ops", backend_ops),
    ("image_resize", image_resize),
    ("space_to_depth", space_to_depth),
    ("functions", functions),
    ("sequential", sequential),
    ("nested_functional", nested_functional),
    ("refuse_iteration", refused("repeat_add", add_twice, "def add_twice(t): out = t; "
                                 "for _ in range(2): out = out + t; return out", ["loop"])),
    ("refuse_helper", refused("helper_call", lambda t: scale_by_three(t) + 1.0,
                              "lambda t: scale_by_three(t) + 1.0  (scale_by_three: a global of the "
                              "writing module)", ["scale_by_three"])),
    ("refuse_module", refused("separator_length", separator_scaled, "def separator_scaled(t): import os; "
                              "return t * float(len(os.sep))", ["import", "os"])),
    ("refuse_print", refused("logged", logged, 'def logged(t): print("Lambda input:", t); return t * 2.0',
                             ["print"])),
    ("lambda_marker", lambda_marker),
]


if __name__ == "__main__":
    sys.exit(gen_samples.main(samples=SAMPLES, generator="scripts/gen_lambda_samples.py"))
