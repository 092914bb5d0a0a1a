"""Initializer (regularizer, constraint) class names as the target release writes them.

Boundary: Keras 3.3–3.6 serialize `keras.initializers.Orthogonal` as
`OrthogonalInitializer` and `Identity` as `IdentityInitializer`; from 3.9 on
(measured: 3.9.2) the short names are written. Keras 3.3's deserializer does
not know the short names ("Could not interpret initializer identifier",
measured in 3.3.3; 3.6.0 reads both). The
rewrite uses the name the target's own `serialize_keras_object` gives the
same public class; a class the target lacks is refused. Source: the
`class_name` each release's probe records for every public initializer,
regularizer and constraint (scripts/derive_keras3_releases.py).
"""

from kerasmigrate.passes.keras3_releases import Finding, Rewritten, TargetRefusal, release_pass
from kerasmigrate.passes.target.object_arguments import OBJECT_MODULES


def _public_name(table, kind: str, class_name: str) -> str | None:
    for name, entry in (table.objects.get(kind) or {}).items():
        if entry and (entry.get("class_name") or name) == class_name:
            return name
    return None


@release_pass("object-class-names", boundary="keras-3.9")
def object_class_names(entry: dict, release, where: str):
    config = entry.get("config")
    if not isinstance(config, dict):
        return entry
    changes, findings, refusals = {}, [], []
    for key, value in config.items():
        if not isinstance(value, dict) or value.get("module") not in OBJECT_MODULES:
            continue
        kind = OBJECT_MODULES[value["module"]]
        name = _public_name(release.current, kind, value.get("class_name"))
        if name is None:
            continue  # not a class of the current release's table (or already the old spelling)
        target = release.table.objects.get(kind, {}).get(name)
        if target is None:
            first = release.first_with(
                lambda e: e is not None, lambda t, kind=kind, name=name: t.objects.get(kind, {}).get(name)
            )
            refusals.append(
                Finding(
                    f"{where} ({key})",
                    None,
                    None,
                    f"{kind}.{name} does not exist in Keras {release.version}",
                    first,
                    "refuse",
                )
            )
            continue
        written = target.get("class_name") or name
        if written != value.get("class_name"):
            changes[key] = {**value, "class_name": written}
            findings.append(
                Finding(
                    f"{where} ({key})",
                    "class_name",
                    value.get("class_name"),
                    f"Keras {release.version} writes {written!r}",
                    None,
                    "rewrite",
                )
            )
    if refusals:
        raise TargetRefusal(refusals)
    if not changes:
        return entry
    return Rewritten({**entry, "config": {**config, **changes}}, findings)
