"""The commands kerasmigrate tells a user to run, one function per fix.

Every message that names a next step (`check`'s fix column, a refusal, `diagnose`, `inspect`)
builds its command here, so the spelling of a command and its options lives in one place.
"""

from __future__ import annotations


def release_target(release: str) -> str:
    """'3.9.2' -> 'keras-3.9', the `--target` that pins a Keras 3 release."""
    return "keras-" + ".".join(release.split(".")[:2])


def convert_command(
    path: str, output: str, *, target: str | None = None, mapping: str | None = None, custom_module: str | None = None
) -> str:
    options = [("--target", target), ("--mapping", mapping), ("--custom-module", custom_module)]
    return f"kerasmigrate convert {path} -o {output}" + "".join(f" {flag} {value}" for flag, value in options if value)


def repair_command(path: str, target: str, output: str) -> str:
    return f"kerasmigrate repair {path} --target {target} -o {output}"


def map_init_command(path: str) -> str:
    return f"kerasmigrate map init {path} -o mapping.toml"


def join_command(weights: str) -> str:
    return f"kerasmigrate join {weights} ARCHITECTURE.json -o FULL.h5"
