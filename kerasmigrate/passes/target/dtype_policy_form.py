"""Layer dtype policies written as a string for releases that wrote them so (Keras 3.3).

Boundary: Keras 3.3 `Layer.get_config` writes `"dtype": "float32"` (the
policy's name); Keras 3.6 (the first later release measured) writes the policy object
`{"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...}}`
(keras/src/layers/layer.py `get_config`, `dtype_policies.serialize`). The
float policies (`DTypePolicy`, `FloatDTypePolicy`: float32, mixed_float16,
bfloat16…) become their name, which every release reads; a quantized or other
policy object is refused for such a release. Source: the `dtype_form` each
release's probe records (scripts/derive_keras3_releases.py).
"""

from kerasmigrate.passes.keras3_releases import Finding, Rewritten, TargetRefusal, release_pass

FLOAT_POLICY_CLASSES = {"DTypePolicy", "FloatDTypePolicy"}


@release_pass("dtype-policy-form", boundary="keras-3.6")
def dtype_policy_form(entry: dict, release, where: str):
    config = entry.get("config")
    if release.table.dtype_form != "string" or not isinstance(config, dict):
        return entry
    dtype = config.get("dtype")
    if not isinstance(dtype, dict):
        return entry
    name = (dtype.get("config") or {}).get("name")
    if dtype.get("class_name") in FLOAT_POLICY_CLASSES and isinstance(name, str):
        finding = Finding(
            where, "dtype", dtype, f"Keras {release.version} writes the policy as its name: {name!r}", None, "rewrite"
        )
        return Rewritten({**entry, "config": {**config, "dtype": name}}, [finding])
    first = release.first_with(lambda form: form == "dict", lambda t: t.dtype_form)
    raise TargetRefusal(
        [
            Finding(
                where,
                "dtype",
                dtype,
                f"a {dtype.get('class_name')} policy object cannot be written for Keras {release.version}",
                first,
                "refuse",
            )
        ]
    )
