#!/usr/bin/env bash
# Regenerate sample_models/ with the real old Keras / TensorFlow stacks.
#
#   scripts/make_samples.sh [STACK...]     default: every stack below
#
# Each stack is set up (cached) by ../shared/oracles/setup.sh and writes its
# samples with scripts/gen_samples.py into sample_models/<stack>/ (Keras 1.2.2:
# scripts/gen_keras1_samples.py; Keras 2.1.6: scripts/gen_keras21_samples.py,
# which adds what only early Keras 2 writes). The
# tf_keras stack is the project's own environment (.venv, TF 2.21 with
# TF_USE_LEGACY_KERAS=1), which `make venv` creates.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracles=${KERASMIGRATE_ORACLES:-$here/../shared/oracles}
stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(keras1 keras2.1 keras2.3 tf2.2 tf2.4 tf2.12 tf2.15 tf_keras2.21)

for stack in "${stacks[@]}"; do
    out="$here/sample_models/$stack"
    rm -rf "$out"
    if [ "$stack" = tf_keras2.21 ]; then
        TF_USE_LEGACY_KERAS=1 ORACLE_KERAS_API=tf.keras TF_CPP_MIN_LOG_LEVEL=3 \
            KERASMIGRATE_ORACLES="$oracles" PYTHONHASHSEED=0 \
            "$here/.venv/bin/python" "$here/scripts/gen_samples.py" "$out"
    else
        case "$stack" in
            keras1) generator=gen_keras1_samples.py ;;
            keras2.1) generator=gen_keras21_samples.py ;;
            *) generator=gen_samples.py ;;
        esac
        "$oracles/setup.sh" "$stack"
        KERASMIGRATE_ORACLES="$oracles" "$oracles/run.sh" "$stack" "$here/scripts/$generator" "$out"
    fi
done
