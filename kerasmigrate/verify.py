"""Numerical parity: the converted model against the original, on the same inputs.

The converted `.keras` file is loaded with plain Keras 3
(`keras.saving.load_model(path, safe_mode=True)`). Reference outputs come
from a references file (`.npz` with `input_0…`/`output_0…` or `in_0…`/
`out_0…`, e.g. computed by the stack that wrote the original; inputs named
`input_<name>` or listed in `input_names` are matched by name:
core/references.py), or else from
the original loaded with tf_keras (Keras 2 kept alive for TensorFlow ≥ 2.16),
on seeded inputs shaped after the model's inputs.

Keras and TensorFlow are imported here only, and only when `verify` runs.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from kerasmigrate.core.archive import read_keras_archive_metadata
from kerasmigrate.core.configs import iter_layers
from kerasmigrate.core.quiet_runtime import native_stderr_quiet, quiet_tensorflow
from kerasmigrate.core.references import inputs_in_model_order, read_references
from kerasmigrate.core.sniff import sniff
from kerasmigrate.core.source import open_model
from kerasmigrate.errors import KerasMigrateError, VerifyError
from kerasmigrate.upgrade.custom_module import CustomModule
from kerasmigrate.upgrade.mapping import is_stored_lambda

DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 0.0
# A model that computes in float16/bfloat16 (mixed precision) carries about
# three significant digits; two runtimes legitimately differ at that scale.
HALF_PRECISION_ATOL = 1e-3
HALF_PRECISION_RTOL = 1e-3
DEFAULT_SEED = 0
DEFAULT_BATCH = 4
FREE_DIM = 32  # stands for an unknown (None) non-batch dimension: room for 5 stride-2 steps


@dataclass
class OutputDiff:
    index: int
    shape: list[int]
    max_abs: float
    max_rel: float
    ok: bool


@dataclass
class VerifyReport:
    original: str
    converted: str
    references: str
    atol: float
    rtol: float
    outputs: list[OutputDiff] = field(default_factory=list)
    half_precision: bool = False
    notes: list[str] = field(default_factory=list)
    xla: bool = False  # the converted model ran compiled by XLA (channels_first on TensorFlow)
    inputs_matched: str | None = None  # references: "name" or "position" (core/references.py)

    @property
    def ok(self) -> bool:
        return bool(self.outputs) and all(o.ok for o in self.outputs)

    @property
    def max_abs(self) -> float:
        return max((o.max_abs for o in self.outputs), default=float("nan"))

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok, "max_abs": self.max_abs}


def load_references(path: str | Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A references file's inputs (in its order) and outputs (core/references.py)."""
    refs = read_references(path)
    return refs.inputs, refs.outputs


def _flatten(outputs) -> list[np.ndarray]:
    if isinstance(outputs, dict):
        return [np.asarray(outputs[k]) for k in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(o) for o in outputs]
    return [np.asarray(outputs)]


def _embedding_vocabulary(model) -> int:
    sizes = [layer.input_dim for layer in model._flatten_layers() if layer.__class__.__name__ == "Embedding"]
    return min(sizes) if sizes else 2


def seeded_inputs(model, seed: int = DEFAULT_SEED, batch: int = DEFAULT_BATCH) -> list[np.ndarray]:
    """Inputs shaped after a Keras 3 model's inputs: uniform floats, or valid token ids."""
    rs = np.random.RandomState(seed)
    arrays = []
    for tensor in model.inputs:
        shape = [batch] + [d if d is not None else FREE_DIM for d in tensor.shape[1:]]
        dtype = str(tensor.dtype)
        if "int" in dtype:
            arrays.append(rs.randint(0, _embedding_vocabulary(model), size=shape).astype(dtype))
        elif dtype == "string":  # lookup layers: known and unknown tokens alike
            arrays.append(rs.choice(np.array(["a", "b", "the", "", "zz"]), size=shape))
        elif dtype == "bool":
            arrays.append(rs.randint(0, 2, size=shape).astype(bool))
        else:
            arrays.append(rs.uniform(-1.0, 1.0, size=shape).astype(dtype))
    return arrays


def channels_first_layers(model) -> list[str]:
    """Names of the layers that compute in channels_first (NCHW) layout."""
    return [layer.name for layer in model._flatten_layers() if getattr(layer, "data_format", None) == "channels_first"]


def _xla_call(model, feed):
    """The model called once, compiled by XLA. TensorFlow's own CPU kernels run channels_first
    convolutions only through oneDNN, which it turns on by itself only on CPUs with AVX-512
    ("Conv2D op currently only supports the NHWC tensor format on the CPU" elsewhere); XLA
    compiles them for any CPU."""
    import tensorflow as tf

    return tf.function(lambda x: model(x, training=False), jit_compile=True)(feed)


def _predict(model, inputs, *, xla: bool = False, keys: list[str] | None = None):
    if keys is not None:  # the original DenseFeatures model takes a dict of features by key
        import tensorflow as tf

        return _flatten(model({k: tf.constant(x) for k, x in zip(keys, inputs)}, training=False))
    if any(x.dtype.kind in "US" for x in inputs):
        # String inputs (lookup layers): Keras has no dtype for numpy strings; TensorFlow
        # string tensors, which only the TensorFlow backend accepts, called directly.
        import tensorflow as tf

        feed = [tf.constant(x) for x in inputs]
        return _flatten(model(feed[0] if len(feed) == 1 else feed, training=False))
    feed = inputs[0] if len(inputs) == 1 else inputs
    if xla:
        return _flatten(_xla_call(model, feed))
    return _flatten(model.predict(feed, verbose=0, batch_size=len(inputs[0])))


def _refuse_special_file(path: Path) -> None:
    """tf_keras, Keras and numpy open what they are given: a FIFO would block them forever."""
    if sniff(path) == "special":
        raise VerifyError(path, "is not a regular file (a FIFO, socket or device): not opened")


def io_axes(converted: Path) -> tuple[list, list]:
    """Per input and output of a `--channels-last=io` conversion, the axes `a` its tensor is
    `transpose(original's, a)` by (metadata.json, upgrade/channels_last.py); else empty lists."""
    layouts = read_keras_archive_metadata(converted).get("kerasmigrate", {}).get("channels_last") or {}
    return layouts.get("input_axes") or [], layouts.get("output_axes") or []


def _io_axes_noted(converted: Path, notes: list) -> tuple[list, list]:
    """io_axes of a converted file (a SavedModel directory has none), and a note when there are some."""
    in_axes, out_axes = io_axes(converted) if converted.is_file() else ([], [])
    if in_axes or out_axes:
        notes.append("inputs and outputs channels_last (--channels-last=io): transposed for the comparison")
    return in_axes, out_axes


def _transposed(arrays: list, axes: list, *, back: bool) -> list:
    """Each array transposed by its axes (or back, by their inverse); None leaves it."""
    return [
        x if a is None else np.transpose(x, np.argsort(a) if back else a)
        for x, a in zip(arrays, axes + [None] * len(arrays))
    ]


def _refuse_stored_code(original: Path) -> None:
    """Running the original in tf_keras would run the bytecode its Lambda layers store."""
    try:
        with open_model(original) as model:
            lambdas = [p for p, e in iter_layers(model.model_config) if is_stored_lambda(e)]
    except KerasMigrateError:
        return  # tf_keras reports what is wrong with it
    if lambdas:
        raise VerifyError(
            original,
            "the original holds Lambda layers ("
            + ", ".join(lambdas)
            + ") whose stored bytecode kerasmigrate never runs, so it cannot be run "
            "in tf_keras here; pass --refs with outputs computed where it was written",
        )


def _conversion_metadata(converted: Path) -> dict:
    return read_keras_archive_metadata(converted).get("kerasmigrate", {}) if converted.is_file() else {}


def feature_keys(converted: Path, model) -> list[str] | None:
    """For a converted DenseFeatures model (the dense-features pass), the feature key of each
    input, in order (its layer name, with the name it had before a rename); else None."""
    meta = _conversion_metadata(converted)
    if "dense-features" not in (meta.get("passes") or []):
        return None
    legacy = {new: old for old, new in (meta.get("renamed_layers") or {}).items()}
    return [legacy.get(tensor.name, tensor.name) for tensor in model.inputs]


def input_names(converted: Path, model) -> list[set[str]]:
    """Per input of the converted model, the names it answers to: its own and the one it had
    before a rename (`renamed_layers`, e.g. a `/` replaced)."""
    legacy = {new: old for old, new in (_conversion_metadata(converted).get("renamed_layers") or {}).items()}
    return [{tensor.name, legacy.get(tensor.name, tensor.name)} for tensor in model.inputs]


def _original_outputs(
    original: Path, inputs: list[np.ndarray], keys: list[str] | None = None
) -> tuple[list[np.ndarray], str]:
    _refuse_stored_code(original)
    try:
        with native_stderr_quiet():
            import tf_keras
    except ImportError:
        raise VerifyError(
            original,
            "tf_keras is not installed, so the original cannot be run; "
            "install it or pass --refs with reference outputs",
        ) from None
    try:
        model = tf_keras.models.load_model(original, compile=False)
    except Exception as exc:  # whatever the old loader raises
        raise VerifyError(
            original,
            f"the original does not load in tf_keras {tf_keras.__version__} "
            f"({type(exc).__name__}: {str(exc)[:200]}); pass --refs with "
            "outputs computed where it loads",
        ) from None
    try:
        outputs = _predict(model, inputs, xla=bool(channels_first_layers(model)), keys=keys)
    except Exception as exc:
        raise VerifyError(
            original,
            f"the original fails on the generated inputs in tf_keras "
            f"({type(exc).__name__}: {str(exc)[:200]}); pass --refs",
        ) from None
    return outputs, f"tf_keras {tf_keras.__version__}"


# Keras 3 builds a functional graph recursively (keras/src/ops/function.py
# `_build_map_helper`), one frame per layer on the longest path: models deeper
# than Python's default limit of 1000 (ResNetRS420, say) need a higher one.
DEEP_GRAPH_RECURSION_LIMIT = 20000


@contextmanager
def _recursion_limit(limit: int):
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, previous))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _computes_in_half_precision(model) -> bool:
    return any(
        getattr(layer, "compute_dtype", "float32") in ("float16", "bfloat16") for layer in model._flatten_layers()
    )


def _load_converted(keras, converted: Path, notes: list):
    """The converted model, loaded as a user would (safe mode); a note when it needs a deeper recursion."""
    try:
        try:
            model = keras.saving.load_model(converted, compile=False, safe_mode=True)
        except RecursionError:
            with _recursion_limit(DEEP_GRAPH_RECURSION_LIMIT):
                model = keras.saving.load_model(converted, compile=False, safe_mode=True)
            notes.append(
                f"Keras {keras.__version__} walks the layer graph recursively: this model "
                f"loads only after sys.setrecursionlimit({DEEP_GRAPH_RECURSION_LIMIT})"
            )
    except Exception as exc:
        raise VerifyError(
            converted,
            f"Keras {keras.__version__} cannot load the converted file ({type(exc).__name__}: {str(exc)[:300]})",
        ) from None
    return model


def verify(
    original: str | Path,
    converted: str | Path,
    *,
    refs: str | Path | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    seed: int = DEFAULT_SEED,
    batch: int = DEFAULT_BATCH,
    custom_module: str | None = None,
) -> VerifyReport:
    """Compare outputs; tolerances default to 1e-5 abs (float32) or 1e-3 abs+rel (float16 compute).

    `custom_module` (a .py path or module name) is imported first: the user's classes and
    functions a mapped conversion refers to by registered name.
    """
    quiet_tensorflow()
    with native_stderr_quiet():
        import keras

    import kerasmigrate.keras_objects  # noqa: F401  (functions converted models may reference)

    if custom_module is not None:
        CustomModule(custom_module, "--custom-module")

    original, converted = Path(original), Path(converted)
    for path in (original, converted, *([Path(refs)] if refs is not None else [])):
        _refuse_special_file(path)
    notes = []
    model = _load_converted(keras, converted, notes)
    in_axes, out_axes = _io_axes_noted(converted, notes)
    if refs is not None:
        references = read_references(refs)
        inputs, matched = inputs_in_model_order(references, input_names(converted, model))
        expected, source = references.outputs, f"references file {refs}, inputs matched by {matched}"
    else:
        matched = None
        inputs = _transposed(seeded_inputs(model, seed, batch), in_axes, back=True)
        expected, source = _original_outputs(original, inputs, feature_keys(converted, model))
    xla = keras.backend.backend() == "tensorflow" and bool(channels_first_layers(model))
    if xla:
        notes.append(
            "channels_first layers: run on TensorFlow compiled by XLA (jit_compile), because TensorFlow's "
            "CPU kernels run channels_first convolutions only with oneDNN, on CPUs with AVX-512; "
            "without XLA this model may not run on your CPU with Keras 3's TensorFlow backend"
        )
    try:
        actual = _transposed(_predict(model, _transposed(inputs, in_axes, back=False), xla=xla), out_axes, back=True)
    except Exception as exc:
        raise VerifyError(
            converted, f"the converted model fails on the inputs ({type(exc).__name__}: {str(exc)[:300]})"
        ) from None
    half = _computes_in_half_precision(model)
    if atol is None:
        atol = HALF_PRECISION_ATOL if half else DEFAULT_ATOL
    if rtol is None:
        rtol = HALF_PRECISION_RTOL if half else DEFAULT_RTOL
    report = VerifyReport(str(original), str(converted), source, atol, rtol, half_precision=half, notes=notes, xla=xla)
    report.inputs_matched = matched
    if len(actual) != len(expected):
        raise VerifyError(converted, f"the converted model has {len(actual)} outputs, the original {len(expected)}")
    for i, (got, want) in enumerate(zip(actual, expected)):
        want = np.asarray(want)
        if got.shape != want.shape:
            report.outputs.append(OutputDiff(i, list(got.shape), float("inf"), float("inf"), False))
            continue
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        max_abs = float(diff.max()) if diff.size else 0.0
        max_rel = float((diff / np.maximum(np.abs(want.astype(np.float64)), 1e-12)).max()) if diff.size else 0.0
        ok = bool(np.allclose(got, want, atol=atol, rtol=rtol))
        report.outputs.append(OutputDiff(i, list(got.shape), max_abs, max_rel, ok))
    return report
