# Two set-up commands on a fresh machine: `make demo` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all bench lint clean system-deps

# EGL for headless 3D-photo rendering and chromium for the viewer's browser test. Installed only
# when running as root and only if missing; without them monocle falls back to its torch renderer
# and the browser test is skipped, so a failed install is a warning, not an error.
SYSTEM_PKGS := libegl1 libegl-mesa0 libgl1-mesa-dri chromium

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: an unpinned torch would pull gigabytes of CUDA packages.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then missing=; \
	  for p in $(SYSTEM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "installing$$missing"; \
	    (apt-get update -qq && apt-get install -y -qq $$missing >/dev/null) || \
	    echo "warning: could not install$$missing (3D photos use the torch renderer)"; fi; fi

demo: $(STAMP) system-deps
	$(VENV)/bin/monocle demo --out demo_out

test: $(STAMP) system-deps
	$(PY) -m pytest -q

test-all: $(STAMP) system-deps
	$(PY) -m pytest -q -m ''

bench: $(STAMP)
	@$(PY) -c "import skimage" 2>/dev/null || $(PY) -m pip install --quiet -e '.[dev,bench]'
	@set -e; for b in bench/[!_]*.py; do echo "== $$b"; $(PY) $$b; done

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

clean:
	rm -rf $(VENV) demo_out build src/*.egg-info
