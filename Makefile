# Two commands on a fresh machine: `make demo` and `make test`. Both install what they need first.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test typecheck faults bench screenshots package models clean

$(STAMP): pyproject.toml installer/install.sh
	bash installer/install.sh
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m desktop_agent.demo

test: typecheck
	$(PY) -m pytest -q

typecheck: $(STAMP)  # the engine's types (mypy; configured in pyproject.toml)
	$(PY) -m mypy

faults: $(STAMP)  # each fault against real applications on Xvfb, then a table of what happened
	$(PY) -m pytest -q tests/faults

bench: $(STAMP)
	$(PY) -m tests.bench.run

screenshots: $(STAMP)  # pictures of the app (idle, approving, after a run, memory, recording) -> build/screenshots/*.png
	$(PY) -m ui.screenshots

package: $(STAMP)  # build/desktop-agent_<version>_amd64.deb; rebuilt only when its inputs changed
	$(PY) installer/package/build.py

# Our three models, rebuilt from nothing (models/training; ~45 min on the 2-core machine): the icon reader
# from the icon themes (models/icon-reader.{onnx,yaml}, fixtures tests/fixtures/icons/), then the element
# detector from Tk and Qt windows drawn on a private Xvfb and its role reader from those and GTK 4's
# (models/element-{detector,roles}.{onnx,yaml}, fixtures tests/fixtures/detector/).
TRAIN_THEMES := breeze-icon-theme oxygen-icon-theme adwaita-icon-theme paper-icon-theme \
  yaru-theme-icon suru-icon-theme lxde-icon-theme tango-icon-theme librsvg2-bin
models: $(STAMP)
	dpkg-query -W $(TRAIN_THEMES) >/dev/null 2>&1 || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(TRAIN_THEMES); }
	$(VENV)/bin/pip install -q -e '.[train]'
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m models.training.train_icons
	$(PY) -m models.training.train_detector

clean:
	rm -rf $(VENV) traces .pytest_cache
