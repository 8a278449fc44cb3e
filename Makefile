# Two commands on a fresh machine: `make demo` and `make test`. Both install what they need first.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test typecheck faults bench screenshots package clean

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

clean:
	rm -rf $(VENV) traces .pytest_cache
