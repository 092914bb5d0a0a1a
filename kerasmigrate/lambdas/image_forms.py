"""The image functions of the vocabulary: tf.image.resize / resize_images, space_to_depth and
depth_to_space, in Keras 3.

Resize. TensorFlow 1.x's `tf.image.resize_images` (and `tf.image.resize`, its v1 alias) samples
without half-pixel centres; TF 2's `tf.image.resize` with them; Keras 3 resizes as TF 2 does
(keras/src/backend/tensorflow/image.py `resize` calls `tf.image.resize(..., antialias=...)`).
AREA is `resize_area(images, size)` with align_corners False in both (tensorflow/python/ops/
image_ops_impl.py `resize_images` and `resize_images_v2`), so it converts whatever wrote the
file; another method converts only when the file says TF 2 wrote it.

Keras 3 computes "area" only on the TensorFlow backend (keras/src/backend/jax/image.py and
torch/image.py `RESIZE_INTERPOLATIONS` lack it), so AREA becomes built-in layers instead. TF's
ResizeArea kernel (tensorflow/core/kernels/image/resize_area_op.cc, align_corners False: scale
= in/out per axis) gives output pixel y the sum over input pixels i of x[i] · (the length of
[i, i+1) ∩ [y·in/out, (y+1)·in/out)) · out/in, separably on both axes. With an integer factor
f = in/out that is the mean of the f input pixels of block y: `AveragePooling2D` with pool =
strides = f ('valid'). Otherwise, with L = lcm(in, out), repeating each input pixel L/in times
(`UpSampling2D`, nearest: an exact copy) and averaging blocks of L/out is the same overlap
weighting (an input pixel's share of a block is its overlap times out/in): per axis, so the
repeated tensor stays L × the other axis. Both need the input's height and width, known when
the resized tensor is the Lambda's input and that is a model input of recorded shape.

space_to_depth (NHWC): output channel (i·b + j)·C + c of block (i, j) is input pixel
(b·y + i, b·x + j) channel c (TF's SpaceToDepth op documentation). That is exactly the
concatenation, over i then j, of the strided slices `x[:, i::b, j::b, :]`: GetItem and
Concatenate, which every Keras 3 release has, with no static shape needed. depth_to_space
becomes Keras 3's own DepthToSpace op (keras/src/ops/nn.py; 3.15 and later: the release
targets say so), whose TensorFlow backend calls tf.nn.depth_to_space.
"""

from __future__ import annotations

import math

from kerasmigrate.core.tf_ops import NN, NUMPY
from kerasmigrate.lambdas.values import Tensor, Untranslatable, constant_argument
from kerasmigrate.lambdas.vocabulary import RESIZE_V1_METHODS

IMAGE = "keras.src.ops.image"
LAYERS = "keras.layers"
# lcm(in, out) / max(in, out) beyond which the repeated tensor is refused as too large: the
# camera crop 80 -> 66 rows of the real files repeats 33 times; 223 -> 224 would repeat 224 times
MAX_AREA_REPEAT = 64
KERAS3_METHODS = {"bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"}
V2_METHOD_NAMES = {"nearest_neighbor": "nearest"}


def tf2_writer(keras_version: str | None) -> bool | None:
    """Whether TensorFlow 2 wrote the file (True), TensorFlow 1 (False), or either (None).

    tf.keras recorded "2.2.4-tf" from TF 1.13 to TF 2.1 and "2.3.0-tf" from TF 2.2; tf.keras
    2.4+ and tf_keras record their own version; multi-backend Keras 2.3 ran on TF 1 and 2,
    Keras <= 2.2.5 on TF 1 only."""
    if not keras_version:
        return None
    digits = []
    for part in keras_version.replace("-tf", "").split(".")[:2]:
        if not part.isdigit():
            return None
        digits.append(int(part))
    version = tuple(digits)
    if keras_version.endswith("-tf"):
        return True if version >= (2, 3) else None
    if version >= (2, 4):
        return True
    return False if version < (2, 3) else None


def _method(value, dotted: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value in RESIZE_V1_METHODS:
        return RESIZE_V1_METHODS[value]
    if isinstance(value, str):
        return V2_METHOD_NAMES.get(value.lower(), value.lower())
    raise Untranslatable(f"{dotted} with method {value!r}")


def _size(value, dotted: str) -> list[int]:
    value = constant_argument(value, "size", dotted)
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        raise Untranslatable(f"{dotted} to the size {value!r} (two constant integers are needed)")
    return [int(v) for v in value]


def _resize_node(em, images, size: list[int], method: str, antialias: bool):
    attributes = {
        "size": size,
        "interpolation": method,
        "antialias": antialias,
        "crop_to_aspect_ratio": False,
        "pad_to_aspect_ratio": False,
        "fill_mode": "constant",
        "fill_value": 0.0,
        "data_format": "channels_last",
    }
    return em.emit(IMAGE, "Resize", [images], attributes, label="resize")


def _resize(em, dotted, bound, detail):
    """tf.image.resize (v1 semantics in TF 1.x, v2 in TF 2) and tf.image.resize_images (v1)."""
    method = _method(constant_argument(bound["method"], "method", dotted), dotted)
    if bound.get("preserve_aspect_ratio"):
        raise Untranslatable(f"{dotted} with preserve_aspect_ratio=True")
    if bound.get("align_corners"):
        raise Untranslatable(f"{dotted} with align_corners=True, which Keras 3's resize does not offer")
    if method not in KERAS3_METHODS:
        raise Untranslatable(f"{dotted} with method {method!r}, which Keras 3's resize does not offer")
    if method != "area":
        writer = True if detail == "v2" else False if detail == "v1" else tf2_writer(em.writer.keras_version)
        if writer is not True:
            why = (
                "TensorFlow 1.x resizes without half-pixel centres"
                if writer is False
                else f"the file's Keras {em.writer.keras_version or '(version not recorded)'} ran on TensorFlow 1.x "
                "(no half-pixel centres) or 2.x, and the file does not say which"
            )
            raise Untranslatable(f"{dotted} with method {method!r}: {why}; Keras 3 resizes as TF 2 does")
    antialias = bool(constant_argument(bound.get("antialias", False), "antialias", dotted))
    if method == "area":
        return _area(em, bound["images"], _size(bound["size"], dotted), dotted)
    return _resize_node(em, bound["images"], _size(bound["size"], dotted), method, antialias)


def _area_input_size(em, images, dotted: str) -> tuple[int, int]:
    """The (height, width) of the tensor an AREA resize reads, or a refusal naming why not."""
    shape = em.input_shape if images == em.inputs and isinstance(images, Tensor) else None
    if shape is None or len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:3]):
        raise Untranslatable(
            f"{dotted} with method 'area' of a tensor whose height and width are not recorded: Keras 3 "
            "computes 'area' on the TensorFlow backend only, and its exact form in built-in layers "
            "(average pooling) needs them"
        )
    return shape[1], shape[2]


def _area(em, images, size: list[int], dotted: str):
    """AREA resize as UpSampling2D / AveragePooling2D steps, per axis (the module docstring)."""
    height, width = _area_input_size(em, images, dotted)
    factors = []
    for before, after in ((height, size[0]), (width, size[1])):
        if after < 1:
            raise Untranslatable(f"{dotted} to the size {size}")
        common = math.lcm(before, after)
        if common > MAX_AREA_REPEAT * max(before, after):
            raise Untranslatable(
                f"{dotted} with method 'area' from {before} to {after} pixels: its exact form in built-in layers "
                f"repeats each pixel {common // before} times (more than {MAX_AREA_REPEAT}× the larger size), and "
                "Keras 3 computes 'area' on the TensorFlow backend only"
            )
        factors.append((common // before, common // after))
    (up_h, pool_h), (up_w, pool_w) = factors
    if up_h == 1 and up_w == 1:
        return _average_pooling(em, images, pool_h, pool_w)
    x = images
    for up, pool in (((up_h, 1), (pool_h, 1)), ((1, up_w), (1, pool_w))):
        if up != (1, 1):
            attributes = {"size": list(up), "data_format": "channels_last", "interpolation": "nearest"}
            x = em.emit(LAYERS, "UpSampling2D", [x], attributes, label="area_repeat")
        if pool != (1, 1):
            x = _average_pooling(em, x, *pool)
    return x


def _average_pooling(em, x, pool_h: int, pool_w: int):
    attributes = {
        "pool_size": [pool_h, pool_w],
        "padding": "valid",
        "strides": [pool_h, pool_w],
        "data_format": "channels_last",
    }
    return em.emit(LAYERS, "AveragePooling2D", [x], attributes, label="area_mean")


def _resize_v2(em, dotted, bound, _):
    return _resize(em, dotted, bound, "auto")


def _resize_v1(em, dotted, bound, _):
    return _resize(em, dotted, bound, "v1")


def _block_size(bound, dotted: str) -> int:
    block = constant_argument(bound["block_size"], "block_size", dotted)
    if not isinstance(block, int) or isinstance(block, bool) or block < 2:
        raise Untranslatable(f"{dotted} with block_size {block!r}")
    if bound.get("data_format", "NHWC") != "NHWC":
        raise Untranslatable(f"{dotted} with data_format {bound['data_format']!r}")
    return block


def _space_to_depth(em, dotted, bound, _):
    block, x = _block_size(bound, dotted), bound["input"]
    parts = []
    for i in range(block):
        for j in range(block):
            key = [
                {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}},
                {"class_name": "__slice__", "config": {"start": i or None, "stop": None, "step": block}},
                {"class_name": "__slice__", "config": {"start": j or None, "stop": None, "step": block}},
                {"class_name": "__ellipsis__", "config": {}},
            ]
            parts.append(em.emit(NUMPY, "GetItem", [x, key], label="getitem"))
    return em.emit(NUMPY, "Concatenate", [parts], {"axis": -1}, label="space_to_depth")


def _depth_to_space(em, dotted, bound, _):
    block = _block_size(bound, dotted)
    return em.emit(NN, "DepthToSpace", [bound["input"]], {"block_size": block, "data_format": "channels_last"})


FORMS = {
    "resize": _resize_v2,
    "resize_v1": _resize_v1,
    "space_to_depth": _space_to_depth,
    "depth_to_space": _depth_to_space,
}
