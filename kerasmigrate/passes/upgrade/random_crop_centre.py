"""RandomCrop as TF 2.2–2.6 ran it at inference -> Resizing to the writer's size, then CenterCrop.

Boundary: at inference, tf.keras's RandomCrop of TF 2.2 (keras_version 2.3.0-tf), TF 2.3 and 2.4
(2.4.0), TF 2.5 (2.5.0) and Keras 2.6 resized the image keeping its aspect ratio, then cut the
centre (`resize_and_center_cropped_inputs` in tensorflow/python/keras/layers/preprocessing/
image_preprocessing.py of each release; keras/layers/preprocessing/image_preprocessing.py at
keras-team/keras v2.6.0). With H x W the input and h x w the crop:

    ratio_cond = H / W > 1.              (TF 2.2)
    ratio_cond = H / W > h / w           (TF 2.3 - 2.6)
    rh, rw = (int(w * H / W), w) if ratio_cond else (h, int(h * W / H))

(int32 true division is float64, cast back to int32: truncation), `tf.image.resize` bilinear
(half-pixel centres, no antialias) to rh x rw, and the h x w slice starting at
((rh - h) // 2, (rw - w) // 2). Keras 2.7 replaced it with `smart_resize` (keras-team/keras
6cf8b34, "Standardize and fix RandomCrop and CenterCrop when inputs too small"), which
random-crop-resizing converts.

Where the input has the crop's aspect ratio (H * w == W * h) both releases resize straight to
h x w, which Resizing(crop_to_aspect_ratio=True) already is: left to random-crop-resizing.
Otherwise Keras 3's `Resizing(rh, rw, crop_to_aspect_ratio=False)` (the same `tf.image.resize`
call on TensorFlow) then `CenterCrop(h, w)` (start `diff // 2`, keras/src/layers/preprocessing/
image_preprocessing/center_crop.py) compute it exactly. That needs H and W where the layer is
called: the model's input shape, through layers that keep it (or set it); refused otherwise, and
where TF 2.2's resized image is smaller than the crop (the writer's own layer fails there).
"""

from __future__ import annotations

from kerasmigrate.core.layout import INFERENCE_ONLY_KEY
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import model_layers, model_pass, with_layers

# Layers whose output has their input's height and width (at inference).
KEEPS_SIZE = {
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomContrast",
    "RandomBrightness",
    "RandomHeight",
    "RandomWidth",
    "Identity",
    "Rescaling",
    "Normalization",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "PReLU",
    "Softmax",
    "BatchNormalization",
    "LayerNormalization",
    "Dropout",
    "SpatialDropout2D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
}
SETS_SIZE = {"Resizing", "CenterCrop", "RandomCrop"}  # to (height, width)


def writer_resize(version: tuple, size: tuple[int, int], crop: tuple[int, int]) -> tuple[int, int]:
    """The (rh, rw) the writer resized an H x W input to before cutting out h x w."""
    (H, W), (h, w) = size, crop
    ratio_cond = H / W > (1.0 if version < (2, 4) else h / w)
    return (int(w * H / W), w) if ratio_cond else (h, int(h * W / H))


def _static_size(shape) -> tuple[int, int] | None:
    if isinstance(shape, list) and len(shape) == 4 and all(isinstance(d, int) and d > 0 for d in shape[1:3]):
        return shape[1], shape[2]
    return None


def _crop_size(config: dict) -> tuple[int, int] | None:
    h, w = config.get("height"), config.get("width")
    return (h, w) if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0 else None


def _output_size(layer: dict, size):
    """A layer's output height and width, given its input's (None: not known)."""
    kind, config = layer.get("class_name"), layer.get("config") or {}
    if kind == "InputLayer":
        return _static_size(config.get("batch_shape", config.get("batch_input_shape")))
    if kind in SETS_SIZE:
        return _crop_size(config)
    return size if kind in KEEPS_SIZE else None


def _unique(name: str, taken: set) -> str:
    candidate, n = name, 0
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def _replacement(layer: dict, size, version: tuple, taken: set) -> list[dict] | None:
    """Resizing + CenterCrop for one RandomCrop called on `size`; None where the crop's aspect is the
    input's (random-crop-resizing converts it)."""
    config = layer.get("config") or {}
    name, crop = config.get("name"), _crop_size(config)
    if size is None or crop is None:
        raise Refusal(
            f"RandomCrop layer {name!r}: Keras {'.'.join(map(str, version))} resized the image to keep its "
            "aspect ratio and then cut the centre, which depends on the input's height and width; they are "
            "not known where the layer is called (the model input's shape through layers that keep it)"
        )
    if size[0] * crop[1] == size[1] * crop[0]:
        return None
    if version < (2, 3):  # TF 2.0/2.1 (2.2.4-tf): their RandomCrop was not read
        raise Refusal(
            f"RandomCrop layer {name!r}: written by Keras {'.'.join(map(str, version))}, whose crop is not known"
        )
    resized = writer_resize(version, size, crop)
    if resized[0] < crop[0] or resized[1] < crop[1]:
        raise Refusal(
            f"RandomCrop layer {name!r}: on {size[0]}x{size[1]} inputs the writer resized to "
            f"{resized[0]}x{resized[1]}, smaller than the {crop[0]}x{crop[1]} crop, and failed"
        )
    common = {k: config[k] for k in ("trainable", "dtype") if k in config}
    resize_name = _unique(f"{name}_resize", taken)
    resize = {
        "class_name": "Resizing",
        "config": {"name": resize_name, **common, "height": resized[0], "width": resized[1]},
    }
    resize["config"].update(interpolation="bilinear", crop_to_aspect_ratio=False, data_format="channels_last")
    centre = {
        "class_name": "CenterCrop",
        "config": {"name": name, **common, "height": crop[0], "width": crop[1], "data_format": "channels_last"},
        INFERENCE_ONLY_KEY: layer["class_name"],
    }
    if "inbound_nodes" in layer:  # functional: the crop keeps the name others refer to, one call per call
        resize.update(name=resize_name, inbound_nodes=layer["inbound_nodes"])
        calls = range(len(layer["inbound_nodes"]))
        centre.update(name=name, inbound_nodes=[[[resize_name, k, 0, {}]] for k in calls])
    return [resize, centre]


def _sequential(model: dict, version: tuple) -> dict:
    layers = model_layers(model)
    taken = {(e.get("config") or {}).get("name") for e in layers}
    new, size, changed = [], None, False
    for layer in layers:
        replaced = _replacement(layer, size, version, taken) if layer.get("class_name") == "RandomCrop" else None
        new.extend(replaced or [layer])
        changed = changed or replaced is not None
        size = _output_size(layer, size)
    return with_layers(model, new) if changed else model


def _call_sizes(layer: dict, sizes: dict) -> list:
    """The input height and width of each call of a functional layer (None where not known)."""
    out = []
    for node in layer.get("inbound_nodes") or []:
        refs = node if isinstance(node, list) else []
        ok = len(refs) == 1 and isinstance(refs[0], list) and len(refs[0]) >= 3 and refs[0][2] == 0
        out.append(sizes.get((refs[0][0], refs[0][1])) if ok else None)
    return out


def _functional(model: dict, version: tuple) -> dict:
    layers = model_layers(model)
    taken = {e.get("name") for e in layers}
    sizes, new, changed = {}, [], False
    for layer in layers:
        calls = _call_sizes(layer, sizes)
        replaced = None
        if layer.get("class_name") == "RandomCrop":
            same = calls[0] if calls and all(c == calls[0] for c in calls) else None
            replaced = _replacement(layer, same, version, taken)
        new.extend(replaced or [layer])
        changed = changed or replaced is not None
        name = layer.get("name")
        if layer.get("class_name") == "InputLayer":
            sizes[(name, 0)] = _output_size(layer, None)
        for index, size in enumerate(calls):
            sizes[(name, index)] = _output_size(layer, size)
    return with_layers(model, new) if changed else model


@model_pass("random-crop-resize-then-crop", since="keras-2.7")
def random_crop_centre(model: dict, source) -> dict:
    version = source.version_tuple if source is not None else ()
    if not version or version >= (2, 7) or not any(e.get("class_name") == "RandomCrop" for e in model_layers(model)):
        return model
    if model.get("class_name") == "Sequential":
        return _sequential(model, version)
    if model.get("class_name") == "Functional":
        return _functional(model, version)
    return model
