"""Bidirectional: write the backward layer's config out, as Keras 3 itself saves it.

Boundary: tf.keras 2.x and Keras 2 save `backward_layer` only when the user
passed one (tf-keras keras/layers/rnn/bidirectional.py `get_config`) and
otherwise rebuild it from `layer` with `go_backwards` flipped. Keras 3 always
saves it (keras/src/layers/rnn/bidirectional.py `get_config`), and without it
rebuilds the backward copy by serializing the wrapped layer a second time
inside `load_model`'s ObjectSharingScope, which keys objects by `id()`: once a
later Bidirectional's temporary layer reuses a freed layer's address, both of
its copies deserialize to an earlier wrapper's backward layer, and loading
fails ("Forward layer and backward layer should have different `go_backwards`
value"), depending on memory layout (measured: about 1 load in 40 of a model
with two Bidirectional LSTMs). Keras 3 also sets the rebuilt copy's
`go_backwards` to True, not to the opposite of the wrapped layer's, so a
wrapped layer that itself runs backwards fails every time. The explicit
config serializes the wrapped layer once and keeps tf.keras's flip.
"""

from kerasmigrate.passes.registry import layer_pass, with_config


@layer_pass("bidirectional-backward-layer", classes={"Bidirectional"}, since="keras-3.0")
def bidirectional_backward_layer(layer: dict) -> dict:
    config = layer["config"]
    forward = config.get("layer")
    if config.get("backward_layer") is not None or not isinstance(forward, dict):
        return layer
    inner = forward.get("config")
    if not isinstance(inner, dict):
        return layer
    name = str(inner.get("name", "layer"))
    backward_config = {
        **inner,
        "name": "backward_" + name.removeprefix("forward_"),
        "go_backwards": not inner.get("go_backwards", False),
    }
    return with_config(layer, backward_layer={**forward, "config": backward_config})
