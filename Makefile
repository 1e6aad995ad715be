# seqgen: `make install` sets up everything, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
BUILTIN_DATA := seqgen/assets/data

.PHONY: install venv data test test-fast lint bench clean system-deps

install: venv data system-deps
	@echo "seqgen installed: run $(BIN)/seqgen --help"

venv:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'

# Verify the built-in datasets (shipped in the package) against data/SHA256SUMS.
data:
	@cd $(BUILTIN_DATA) && { sha256sum --quiet -c "$(CURDIR)/data/SHA256SUMS" \
	  || { echo "checksum mismatch in $(BUILTIN_DATA): restore the files marked FAILED with 'git checkout -- $(BUILTIN_DATA)'"; exit 1; }; } \
	  && echo "built-in datasets verified ($(BUILTIN_DATA) against data/SHA256SUMS)"

# FluidSynth and a General MIDI SoundFont for render-midi's real synthesiser (optional).
system-deps:
	@if command -v fluidsynth >/dev/null 2>&1 && ls /usr/share/sounds/sf2/*.sf2 >/dev/null 2>&1; then \
	  echo "fluidsynth and a SoundFont are installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing fluidsynth and fluid-soundfont-gm with apt-get"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fluidsynth fluid-soundfont-gm >/dev/null) \
	  || echo "warning: could not install fluidsynth; render-midi will use the built-in synthesiser"; \
	else \
	  echo "optional: 'sudo apt-get install fluidsynth fluid-soundfont-gm' for render-midi's FluidSynth path"; \
	fi

# The tests are independent, so pytest-xdist runs them on every core (-n auto).
test:
	$(BIN)/python -m pytest -q -n auto --dist worksteal

test-fast:
	$(BIN)/python -m pytest -q -n auto --dist worksteal -m "not slow"

lint:
	$(BIN)/ruff check --no-cache seqgen tests bench

# Every bench script (bench/bench_*.py), each side by side with the reference way; see docs/benchmarks.md.
bench:
	@for script in bench/bench_*.py; do \
	  echo "== $(BIN)/python $$script"; $(BIN)/python "$$script" || exit 1; \
	done

clean:
	rm -rf runs .pytest_cache build *.egg-info
