# Two commands do all the set-up on a fresh machine:
#   make demo   create .venv, convert every sample in sample_models/ into out/, verify each
#   make test   create .venv, run the quick tier (unit, pass, CLI, end-to-end on the samples)
# and one more runs everything CI runs:
#   make check  lint + import contracts, then every test (old Keras stacks, Keras 3 release
#               environments, other backends, real-world files, applications)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# TensorFlow's C++ runtime prints buffered info lines when the process exits,
# after pytest's summary; they are noise, not results.
TF_NOISE := '^(WARNING: All log messages before absl::InitializeLog|[IW]0000 |To enable the following instructions)'

.PHONY: venv demo test check lint bench tables release-tables samples clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "the verification environment needs Python >= 3.11 (the package alone: 3.10)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[verify,backends,remote,dask,test]'
	touch $@

demo: venv
	$(BIN)/python scripts/demo.py sample_models out

# Quick tier: tests not marked `full`, spread over the cores (pytest-xdist).
test: venv
	$(BIN)/python -m pytest -n auto -m "not full" 2>&1 | grep --line-buffered -v -E $(TF_NOISE)

# Everything: what CI runs (.ci/run). One worker per test file (--dist loadfile): the files that set up
# the old stacks and the Keras 3 release environments in their module fixtures must not run them twice at
# once (pytest-xdist 3.8's loadgroup was measured not to keep an xdist_group on one worker under pytest 9).
# Files start in collection order, the longest first (tests/conftest.py: LONGEST_FIRST), not xdist's
# default of the files with most tests first, which started the release matrix last.
check: venv lint
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder --durations=15 2>&1 \
		| grep --line-buffered -v -E $(TF_NOISE)

# Structure and style: ruff (lint + format), the import contracts of pyproject.toml, and no
# private name imported from another kerasmigrate module (`from kerasmigrate.x import _name`).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache
	@! grep -rnE '^\s*from kerasmigrate(\.\w+)* import (.*[ ,(])?_[A-Za-z]\w*' kerasmigrate tests scripts \
		|| { echo "private names imported across modules (above)"; exit 1; }

# One file (ResNet50, legacy .h5) and a whole tree (sample_models: -j 1, -j 2, Dask, a rerun), each
# beside Keras 3's own load_model + save on the same files.
bench: venv
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_tree.py

# Re-derive kerasmigrate/data/keras3.json from the installed Keras.
tables: venv
	$(BIN)/python scripts/derive_keras3_tables.py

# Re-derive kerasmigrate/data/keras3_releases.json, each Keras 3 release probed in its own
# pinned environment (scripts/keras3_envs.py builds them under ~/.cache/kerasmigrate-tests).
release-tables: venv
	$(BIN)/python scripts/derive_keras3_releases.py

# Regenerate sample_models/ with the old stacks of ../shared/oracles.
samples: venv
	scripts/make_samples.sh

clean:
	rm -rf $(VENV) out .bench
