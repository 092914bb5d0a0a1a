"""Layers private to tf_keras's applications -> the Keras 3 applications' own classes.

Boundary: tf_keras ConvNeXt uses a `LayerScale` layer (config `init_values`,
`projection_dim`, one weight `gamma`) and InceptionResNetV2 a
`CustomScaleLayer` registered as `Custom>CustomScaleLayer` (config `scale`:
`inputs[0] + inputs[1] * scale`), tf_keras/applications/convnext.py and
inception_resnet_v2.py. Keras 3 defines classes of the same names and
meaning, not exported, in keras/src/applications/convnext.py and
inception_resnet_v2.py; safe mode loads them from there, as they are Keras
classes. A layer is mapped only when its config has exactly these keys, so a
user's own class of the same name with other arguments is not taken for it.
"""

from kerasmigrate.passes.registry import layer_pass

BASE_KEYS = {"name", "trainable", "dtype"}
APPLICATION_LAYERS = {
    "LayerScale": ("LayerScale", {"init_values", "projection_dim"}),
    "Custom>CustomScaleLayer": ("CustomScaleLayer", {"scale"}),
    "CustomScaleLayer": ("CustomScaleLayer", {"scale"}),
}


@layer_pass("application-layers", classes=set(APPLICATION_LAYERS), since="keras-3.0")
def application_layers(layer: dict) -> dict:
    target = APPLICATION_LAYERS.get(layer.get("class_name"))
    if target is None:
        return layer
    class_name, keys = target
    if set(layer["config"]) - BASE_KEYS != keys:
        return layer  # not the applications' layer: reported as an unknown class
    if layer["class_name"] == class_name:
        return layer
    return {**layer, "class_name": class_name}
