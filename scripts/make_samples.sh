#!/usr/bin/env bash
# Regenerate sample_models/ with the real old Keras / TensorFlow stacks.
#
#   scripts/make_samples.sh [STACK...]     default: every stack below
#
# Each stack is set up (cached) by ../shared/oracles/setup.sh and writes its
# samples with scripts/gen_samples.py into sample_models/<stack>/. The
# tf_keras stack is the project's own environment (.venv, TF 2.21 with
# TF_USE_LEGACY_KERAS=1), which `make venv` creates.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracles=${KERASMIGRATE_ORACLES:-$here/../shared/oracles}
stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(keras2.3 tf2.2 tf2.4 tf2.12 tf2.15 tf_keras2.21)

for stack in "${stacks[@]}"; do
    out="$here/sample_models/$stack"
    rm -rf "$out"
    if [ "$stack" = tf_keras2.21 ]; then
        TF_USE_LEGACY_KERAS=1 ORACLE_KERAS_API=tf.keras TF_CPP_MIN_LOG_LEVEL=3 \
            KERASMIGRATE_ORACLES="$oracles" PYTHONHASHSEED=0 \
            "$here/.venv/bin/python" "$here/scripts/gen_samples.py" "$out"
    else
        "$oracles/setup.sh" "$stack"
        KERASMIGRATE_ORACLES="$oracles" "$oracles/run.sh" "$stack" "$here/scripts/gen_samples.py" "$out"
    fi
done
