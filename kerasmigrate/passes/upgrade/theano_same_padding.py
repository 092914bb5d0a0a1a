"""Refuse what Theano padded differently: 'same' convolutions with an even kernel or a stride, 'same' pooling.

Boundary: every file written with the Theano backend (Keras 1.x, where the
reader infers the backend from the weight names, and Keras 2.0–2.3 with
`backend: theano`). Theano's 'same' is its 'half' mode: (k - 1) // 2 … k // 2
zeros on *both* sides, the surplus output cropped at the end
(keras-team/keras 1.2.2 keras/backend/theano_backend.py `conv2d`/`conv3d`;
2.1.6 `_postprocess_conv2d_output`: `conv_out[:, :, :(x.shape[2] + strides[0]
- 1) // strides[0]]` for even kernels), and 'same' pooling pads
`pool_size - 1` (or - 2) before cropping (1.2.2 `pool2d`). TensorFlow and
Keras 3 pad the odd zero at the end and, with a stride, pad only what the
last window needs. The results agree for odd kernels at stride 1 and differ
otherwise (by an offset of one row or column), so those layers are refused,
named, instead of converted into a model that computes something else.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import child_entries, model_layers, model_pass

CONV = {
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Conv2DTranspose",
    "ConvLSTM2D",
    "AtrousConvolution1D",
    "AtrousConvolution2D",
}
POOLING = {f"{kind}Pooling{dims}" for kind in ("Max", "Average") for dims in ("1D", "2D", "3D")}


def _ints(value) -> list[int]:
    if isinstance(value, int):
        return [value]
    return [v for v in (value or []) if isinstance(v, int)]


def _walk(entry: dict):
    for layer in model_layers(entry):
        yield layer
        for _, _, child in child_entries(layer):
            yield child


def _differs(layer: dict) -> str | None:
    cls = layer.get("class_name")
    config = layer.get("config") or {}
    if config.get("padding") != "same":
        return None
    if cls in POOLING:
        return "'same' pooling"
    if cls in CONV:
        if any(k % 2 == 0 for k in _ints(config.get("kernel_size"))):
            return "'same' padding with an even kernel size"
        if any(s > 1 for s in _ints(config.get("strides"))):
            return "'same' padding with a stride"
    return None


@model_pass("theano-same-padding", since="keras-2.0.0")
def theano_same_padding(model: dict, source) -> dict:
    if source.backend != "theano":
        return model
    found = [
        f"{layer['config'].get('name')} ({why})"
        for layer in _walk(model)
        if isinstance(layer.get("config"), dict) and (why := _differs(layer))
    ]
    if found:
        raise Refusal(
            "written with Theano, whose 'same' padding puts the extra zero on the other "
            "side than Keras 3's: " + ", ".join(found) + " would compute shifted outputs"
        )
    return model
