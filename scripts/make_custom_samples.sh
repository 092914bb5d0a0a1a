#!/usr/bin/env bash
# Regenerate sample_models/custom_<stack>/ (custom classes, activations, Lambdas) with the
# real old stacks of ../shared/oracles:
#
#   scripts/make_custom_samples.sh [STACK...]     default: keras2.3 tf2.2 tf2.4 tf2.12 tf2.15
#
# The mapping and Keras 3 module the samples convert with (sample_models/custom_mapping/)
# are written by hand, as a user would; this script leaves them alone.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracles=${KERASMIGRATE_ORACLES:-$here/../shared/oracles}
stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(keras2.3 tf2.2 tf2.4 tf2.12 tf2.15)

for stack in "${stacks[@]}"; do
    out="$here/sample_models/custom_$stack"
    rm -rf "$out"
    "$oracles/setup.sh" "$stack"
    KERASMIGRATE_ORACLES="$oracles" "$oracles/run.sh" "$stack" "$here/scripts/gen_custom_samples.py" "$out"
done
