"""A Softmax layer over another axis than the last: refused for Keras 3.3.

Boundary: JAX 0.4.26, the release of Keras 3.3's time (what its environment here pins), computes
`jax.nn.softmax(x, axis=1)` wrongly once jitted (max abs diff 0.57 against numpy on a (2, 3, 4, 4)
input; right without jit), and Keras runs a model's predict jitted: keras/src/backend/jax/nn.py
`softmax` calls `jnn.softmax(x, axis=axis)`. The channels_first samples' Softmax(axis=1) converted
for 3.3.3 gave 0.34 on JAX; Keras 3.6.0 (JAX 0.4.33), 3.9.2, 3.12.4 and 3.15.1 match (1e-7), and
3.3.3 on TensorFlow too. The file names no backend, so 3.3 is refused for such a model and the
conversion targets the first release that computes it (tests/passes/test_softmax_axis.py).
"""

from kerasmigrate.passes.keras3_releases import Finding, TargetRefusal, release_pass
from kerasmigrate.passes.target._common import first_fixed, is_fixed_in

FIXED_IN = (3, 6)
LAST_AXIS = (-1, [-1], (-1,))


@release_pass("softmax-axis", boundary="keras-3.6")
def softmax_axis(entry: dict, release, where: str):
    if entry.get("class_name") != "Softmax" or is_fixed_in(release.version, FIXED_IN):
        return entry
    axis = (entry.get("config") or {}).get("axis", -1)
    if axis in LAST_AXIS:
        return entry
    first = first_fixed(release, FIXED_IN)
    why = (
        f"Keras {release.version} with the JAX of its time computes a Softmax over axis {axis!r} wrongly "
        "inside a model (a jitted jax.nn.softmax)"
    )
    raise TargetRefusal([Finding(where, "axis", axis, why, first, "refuse")])
