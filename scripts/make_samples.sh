#!/usr/bin/env bash
# Regenerate sample_models/ with the real old Keras / TensorFlow stacks.
#
#   scripts/make_samples.sh [STACK...]     default: every stack below
#
# Each stack is set up (cached) by ../shared/oracles/setup.sh and writes its
# samples with scripts/gen_samples.py into sample_models/<stack>/ (Keras 1.2.2:
# scripts/gen_keras1_samples.py; Keras 2.1.6: scripts/gen_keras21_samples.py,
# which adds what only early Keras 2 writes). keras1_tf is Keras 1.2.2 on the
# TensorFlow backend (the oracle keras1 stack is Theano's): the keras2.1 stack
# (TensorFlow 1.8, Python 3.6) built in its own venv with Keras 1.2.2 in place of
# 2.1.6; it writes the channels_first ('th') samples, whose kernels TensorFlow
# correlates where Theano convolves. The TF 2.x stacks also write their
# SavedModel directories into sample_models/savedmodel/<stack>/
# (scripts/gen_savedmodel_samples.py), their DenseFeatures models into
# sample_models/feature_columns/<stack>/ (scripts/gen_feature_column_samples.py), and tf2.15 the tf.keras 2.x `.keras` archives
# into sample_models/keras2_archives/tf2.15/ (scripts/gen_keras2_archives.py). Every
# stack but keras1 (Theano: the Lambdas kerasmigrate translates are TensorFlow's) writes
# its Lambda samples into sample_models/lambda_<stack>/ (scripts/gen_lambda_samples.py). The
# tf_keras stack is the project's own environment (.venv, TF 2.21 with
# TF_USE_LEGACY_KERAS=1), which `make venv` creates. The hand-written files
# (custom_mapping/, savedmodel/mapping.toml and keras3_layers.py) are left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracles=${KERASMIGRATE_ORACLES:-$here/../shared/oracles}
stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(keras1 keras1_tf keras2.1 keras2.3 tf2.2 tf2.4 tf2.12 tf2.15 tf_keras2.21)

# run_in STACK SCRIPT OUTDIR: SCRIPT (in scripts/) inside STACK, writing into a fresh OUTDIR.
run_in() {
    local stack=$1 script=$2 out=$3
    rm -rf "$out"
    if [ "$stack" = tf_keras2.21 ]; then
        TF_USE_LEGACY_KERAS=1 ORACLE_KERAS_API=tf.keras TF_CPP_MIN_LOG_LEVEL=3 \
            KERASMIGRATE_ORACLES="$oracles" PYTHONHASHSEED=0 \
            "$here/.venv/bin/python" "$here/scripts/$script" "$out"
    else
        KERASMIGRATE_ORACLES="$oracles" "$oracles/run.sh" "$stack" "$here/scripts/$script" "$out"
    fi
}

KERAS1_TF_SAMPLES=conv_th,conv3d_th,conv_lstm
keras1_tf_venv=${XDG_CACHE_HOME:-$HOME/.cache}/kerasmigrate-oracles/keras1-tf

for stack in "${stacks[@]}"; do
    if [ "$stack" = keras1_tf ]; then
        "$oracles/setup.sh" keras2.1 "$keras1_tf_venv"
        "$keras1_tf_venv/bin/pip" install -q --no-deps Keras==1.2.2
        rm -rf "$here/sample_models/$stack"
        ORACLE_VENV=$keras1_tf_venv KERASMIGRATE_ORACLES="$oracles" "$oracles/run.sh" keras2.1 \
            "$here/scripts/gen_keras1_samples.py" "$here/sample_models/$stack" --only "$KERAS1_TF_SAMPLES"
        rm -rf "$here/sample_models/lambda_$stack"
        ORACLE_VENV=$keras1_tf_venv KERASMIGRATE_ORACLES="$oracles" "$oracles/run.sh" keras2.1 \
            "$here/scripts/gen_lambda_samples.py" "$here/sample_models/lambda_$stack"
        continue
    fi
    [ "$stack" = tf_keras2.21 ] || "$oracles/setup.sh" "$stack"
    case "$stack" in
        keras1) run_in "$stack" gen_keras1_samples.py "$here/sample_models/$stack" ;;
        keras2.1) run_in "$stack" gen_keras21_samples.py "$here/sample_models/$stack" ;;
        *) run_in "$stack" gen_samples.py "$here/sample_models/$stack" ;;
    esac
    case "$stack" in
        tf2.* | tf_keras2.21) run_in "$stack" gen_savedmodel_samples.py "$here/sample_models/savedmodel/$stack" ;;
    esac
    case "$stack" in
        tf2.* | tf_keras2.21) run_in "$stack" gen_feature_column_samples.py "$here/sample_models/feature_columns/$stack" ;;
    esac
    [ "$stack" = keras1 ] || run_in "$stack" gen_lambda_samples.py "$here/sample_models/lambda_$stack"
    if [ "$stack" = tf2.15 ]; then
        run_in "$stack" gen_keras2_archives.py "$here/sample_models/keras2_archives/$stack"
    fi
done
