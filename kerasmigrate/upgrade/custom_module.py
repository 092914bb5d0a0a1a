"""The user's Keras 3 module: find mapping targets in it and measure what its classes build.

Imported only when a conversion names a custom module (`--custom-module` or
`custom_module` in the mapping): importing the user's module imports Keras.
Nothing here reads the legacy file or runs anything stored in it; the module
is the user's own code.

* Targets: a class named in the mapping must be a `keras.layers.Layer`
  subclass of the module; a function must be registered
  (`keras.saving.register_keras_serializable`), as Keras 3 finds functions
  only by registered name (keras/src/saving/serialization_lib.py
  `_retrieve_class_or_fn`).
* Classes a tf.keras file records as `Package>Name` are matched to the Keras 3
  class registered under that same name (`keras.saving.get_registered_object`);
  a class recorded by its name only, with no rule, to the one class of that
  name the module registers (`keras.saving.get_custom_objects`), if exactly one.
* Weights: the converted config is deserialized by Keras 3 (safe mode), which
  builds every layer, and each user layer is walked the way Keras saves it
  (keras/src/saving/saving_lib.py `_save_state`, `_walk_saveable`; the
  same walk scripts/derive_keras3_tables.py records for built-in classes).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path

from kerasmigrate.core.quiet_runtime import native_stderr_quiet, quiet_tensorflow
from kerasmigrate.errors import MappingError
from kerasmigrate.upgrade.mapping import ClassRule, Mapping, ResolvedClass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class CustomModule:
    def __init__(self, reference: str, where: str | None, line: int | None = None):
        """`reference`: a .py path or an importable module name; `where`: what named it (for errors)."""
        quiet_tensorflow()
        with native_stderr_quiet():  # the user's module imports Keras, and Keras TensorFlow
            import keras

            self.keras = keras
            self.reference = reference
            self.where, self.line = where, line
            self.module = self._import(reference)

    def _fail(self, message: str, line: int | None = None) -> MappingError:
        return MappingError(self.where, message, line if line is not None else self.line)

    def _import(self, reference: str):
        path = Path(reference)
        try:
            if reference.endswith(".py") or path.is_file():
                if not path.is_file():
                    raise self._fail(f"custom module {reference}: no such file")
                name = path.stem
                spec = importlib.util.spec_from_file_location(name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module  # Keras records `module` from the class
                spec.loader.exec_module(module)
                return module
            return importlib.import_module(reference)
        except MappingError:
            raise
        except ModuleNotFoundError as exc:
            raise self._fail(f"custom module {reference!r} cannot be imported ({exc})") from None
        except Exception as exc:  # the user's module failed while importing
            raise self._fail(f"custom module {reference!r} failed to import ({type(exc).__name__}: {exc})") from None

    # -- targets ------------------------------------------------------------

    def resolve_class(self, rule: ClassRule, mapping: Mapping) -> tuple[ResolvedClass, type]:
        target = rule.target
        if "." in target or ":" in target:
            module_name, _, class_name = target.replace(":", ".").rpartition(".")
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:
                raise mapping.error(
                    f"[classes.{rule.key}] target module {module_name!r} cannot be "
                    f"imported ({type(exc).__name__}: {exc})",
                    rule.line,
                ) from None
        else:
            module, class_name = self.module, target
        cls = getattr(module, class_name, None)
        if cls is None:
            raise mapping.error(
                f"[classes.{rule.key}] target {target!r}: the custom module {self.reference} defines no {class_name}",
                rule.line,
            )
        if not (isinstance(cls, type) and issubclass(cls, self.keras.layers.Layer)):
            raise mapping.error(f"[classes.{rule.key}] target {target!r} is not a Keras 3 layer class", rule.line)
        return self._resolved(cls), cls

    def registered_class(self, name: str) -> tuple[ResolvedClass, type] | None:
        """The Keras 3 class registered as `Package>Name`, if the module registered one."""
        cls = self.keras.saving.get_registered_object(name)
        if isinstance(cls, type) and issubclass(cls, self.keras.layers.Layer):
            return self._resolved(cls), cls
        return None

    def classes_named(self, name: str) -> list[tuple[ResolvedClass, type]]:
        """The Keras 3 layer classes this module registers whose registered name (after
        `Package>`) or class name is `name`: what a file that recorded only a class's name
        (tf.keras did for unregistered classes) can mean."""
        own = self.module.__name__
        found = {}
        for key, cls in self.keras.saving.get_custom_objects().items():
            if not (isinstance(cls, type) and issubclass(cls, self.keras.layers.Layer)):
                continue
            if cls.__module__ != own and not cls.__module__.startswith(own + "."):
                continue
            if key.split(">")[-1] == name or cls.__name__ == name:
                found[id(cls)] = (self._resolved(cls), cls)
        return list(found.values())

    def registered_names(self) -> set[str]:
        """The `Package>Name` of every class and function this module (or one under it) registers."""
        own = self.module.__name__
        return {
            key
            for key, obj in self.keras.saving.get_custom_objects().items()
            if getattr(obj, "__module__", None) == own or str(getattr(obj, "__module__", "")).startswith(own + ".")
        }

    def has_function(self, name: str) -> bool:
        obj = self.keras.saving.get_registered_object(name)
        return callable(obj) and not isinstance(obj, type)

    def _resolved(self, cls) -> ResolvedClass:
        return ResolvedClass(cls.__name__, cls.__module__, self.keras.saving.get_registered_name(cls))

    def masking(self, layer) -> dict:
        """How a built layer handles masks (decides mask op nodes in Keras 3's graph)."""
        cls = type(layer)
        return {
            "call_takes_mask": "mask" in inspect.signature(cls.call).parameters,
            "supports_masking": bool(getattr(layer, "supports_masking", False)),
            "own_compute_mask": cls.compute_mask is not self.keras.layers.Layer.compute_mask,
        }

    # -- weights ------------------------------------------------------------

    def build(self, config: dict, where: str):
        """The converted model, deserialized by Keras 3 in safe mode (which builds every layer)."""
        keras = self.keras
        keras.backend.clear_session()
        import kerasmigrate.keras_objects  # noqa: F401  (functions converted files may use)

        try:
            return keras.saving.deserialize_keras_object(config, safe_mode=True)
        except Exception as exc:
            # Keras wraps the cause; its own words come last ("Exception encountered: ...").
            text = " ".join(str(exc).split())
            cause = text.rsplit("Exception encountered:", 1)[-1].strip()
            raise MappingError(
                where, f"Keras 3 cannot build the converted model with the mapped classes: {cause[:400]}"
            ) from None

    def measure(self, model, names: list[str]) -> tuple[list, dict]:
        """(weight layout [[path, [[name, trainable]...], saveable name]...], masking) of the
        layer reached from `model` by the chain of layer names."""
        obj = model
        for name in names:
            obj = obj.get_layer(name)
        layout: list = []
        _walk(obj, "", set(), layout)
        return [[p, v, n.replace(obj.name, "{layer}")] for p, v, n in layout], self.masking(obj)


def _walk(saveable, path: str, visited: set, out: list) -> None:
    """Keras's `_save_state` walk, recording the variables instead of writing them."""
    from keras.src.saving import saving_lib
    from keras.src.saving.keras_saveable import KerasSaveable
    from keras.src.utils.naming import to_snake_case

    if id(saveable) in visited:
        return
    if hasattr(saveable, "save_own_variables"):
        store: dict = {}
        saveable.save_own_variables(store)
        variables = list(saveable._trainable_variables) + list(saveable._non_trainable_variables)
        by_id = {id(v): v for v in variables}
        names = []
        for key in sorted(store, key=int):
            var = by_id.get(id(store[key]))
            names.append([var.name if var is not None else key, bool(var.trainable) if var is not None else False])
        own = getattr(saveable, "name", "") or ""
        out.append([path, names, own])
    visited.add(id(saveable))
    for attr, child in saving_lib._walk_saveable(saveable):
        child_path = f"{path}/{attr}" if path else attr
        if isinstance(child, KerasSaveable):
            _walk(child, child_path, visited, out)
        elif isinstance(child, (list, tuple, dict)):
            used: dict = {}
            for item in child.values() if isinstance(child, dict) else child:
                if isinstance(item, KerasSaveable):
                    name = saving_lib._get_unique_name(to_snake_case(item.__class__.__name__), used)
                    _walk(item, f"{child_path}/{name}", visited, out)
