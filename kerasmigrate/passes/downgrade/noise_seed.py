"""GaussianNoise / GaussianDropout: drop `seed: null`.

Boundary: Keras 2.8 added `seed` to the noise layers (keras-team/keras
keras/layers/regularization/gaussian_noise.py at v2.8.0, seen in TF 2.12
files, absent from TF 2.4's); Keras 2.3.1, TF 2.2 and TF 2.4 do not take it
(derived tables). The layers act only in training; a fixed seed cannot be
expressed there.
"""

from kerasmigrate.passes.old_loaders import drop_if_absent, old_loader_pass


@old_loader_pass(
    "noise-seed",
    symptom="TypeError: ('Keyword argument not understood:', 'seed')",
    classes={"GaussianNoise", "GaussianDropout"},
    loaders={"keras-2.3", "tf-2.2", "tf-2.4"},
    boundary="Keras 2.8",
)
def noise_seed(layer: dict, target) -> dict:
    return drop_if_absent(layer, target, "seed", lambda v: v is None)
