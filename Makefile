# Territoire — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := data/demo/manifeste.yaml
HOST ?= 127.0.0.1
PORT ?= 8866

.PHONY: run suivi test lint format demo clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# rfc3987-syntax costs ~1 s at every nbformat/Altair import (tech-notes, pitfall 1)
	-$(BIN)/python -m pip uninstall --quiet -y rfc3987-syntax
	touch $(STAMP)

$(DEMO): | $(STAMP)
	$(BIN)/territoire demo

# The committee dashboard (README « Servir le tableau de bord en salle de réunion »), on the
# active source (`territoire source`; its notebook's `source` parameter is empty):
# POOL kernels preheated (the notebook already run, each waiting for its request), one
# refilled FILL seconds after it is taken; idle kernels of closed pages culled after CULL
# seconds; no traceback and no source sent to the browser, no file of the folder served.
# TOKEN=… asks for a token in the address.
POOL ?= 3
FILL ?= 1
CULL ?= 900
TOKEN ?=
run: $(STAMP) $(DEMO)
	$(BIN)/voila dashboards/comite_pilotage.ipynb --no-browser --Voila.ip=$(HOST) --port=$(PORT) \
	  --preheat_kernel=True --pool_size=$(POOL) --VoilaKernelManager.fill_delay=$(FILL) \
	  --MappingKernelManager.cull_interval=60 --MappingKernelManager.cull_idle_timeout=$(CULL) \
	  --VoilaExecutor.timeout=120 --show_tracebacks=False --strip_sources=True \
	  --VoilaConfiguration.file_denylist='.*' $(if $(TOKEN),--token=$(TOKEN),)

# The CTG follow-up dashboard (plan d'action, saisie des valeurs réalisées), same options.
suivi: $(STAMP) $(DEMO)
	$(BIN)/voila dashboards/suivi_ctg.ipynb --no-browser --Voila.ip=$(HOST) --port=$(PORT) \
	  --MappingKernelManager.cull_interval=60 --MappingKernelManager.cull_idle_timeout=$(CULL) \
	  --VoilaExecutor.timeout=120 --show_tracebacks=False --strip_sources=True \
	  --VoilaConfiguration.file_denylist='.*' $(if $(TOKEN),--token=$(TOKEN),)

# The tests and the notebooks' default parameters are written for the demo: whatever source
# `territoire import` / `territoire source` made active, they read the demo.
test: $(STAMP) $(DEMO)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	TERRITOIRE_SOURCE=demo $(BIN)/python -m pytest tests notebooks dashboards --nbval-lax --nbval-current-env

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: $(STAMP)
	$(BIN)/territoire demo
