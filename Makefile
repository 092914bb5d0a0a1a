# Two commands do all the set-up on a fresh machine:
#   make demo   create .venv, convert every sample in sample_models/ into out/, verify each
#   make test   create .venv, run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv demo test bench tables samples clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[verify,test]'
	touch $@

demo: venv
	$(BIN)/python scripts/demo.py sample_models out

test: venv
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python scripts/bench.py

# Re-derive kerasmigrate/data/keras3.json from the installed Keras.
tables: venv
	$(BIN)/python scripts/derive_keras3_tables.py

# Regenerate sample_models/ with the old stacks of ../shared/oracles.
samples: venv
	scripts/make_samples.sh

clean:
	rm -rf $(VENV) out .bench
