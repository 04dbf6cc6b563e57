# chemsieve — `make help` lists the targets.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup screen demo campaign test bench bench-env bench-link bench-link-scale clean-demo clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the project (done automatically by the other targets)

screen: $(STAMP) ## screen data/inbox; with an empty inbox, screen the built-in demo subdistrict
	$(PY) -m pipeline screen --demo-if-empty

demo: $(STAMP) ## regenerate the demo subdistrict, screen it, simulate a week of visits, screen again
	rm -rf data/demo
	$(PY) -m pipeline screen --demo-if-empty --inbox data/demo/empty-inbox
	$(PY) -m pipeline simulate-returns --world data/demo --db data/demo/warehouse.duckdb --date 2021-07-08
	$(PY) -m pipeline screen --inbox data/demo/inbox --db data/demo/warehouse.duckdb --out data/demo/out \
		--decisions data/demo/decisions --date 2021-07-10

campaign: $(STAMP) ## simulate a 6-week campaign on the demo world, with and without learning; prints week-by-week figures
	@test -d data/demo/truth || $(PY) -m pipeline simulate --out data/demo
	$(PY) -m pipeline simulate-campaign --world data/demo --work data/campaign --weeks 6 --visits 2 --compare

test: $(STAMP) ## run the test suite
	$(PY) -m pytest

bench: $(STAMP) ## benchmarks (not in CI): demo screen end to end; ingest and link of a city-scale world; prints figures
	$(PY) bench/bench_screen.py
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_link_scale.py --truth

VENV_BENCH  ?= .venv-bench
PY_BENCH    := $(VENV_BENCH)/bin/python
BENCH_STAMP := $(VENV_BENCH)/.installed

$(BENCH_STAMP): pyproject.toml
	@test -x $(PY_BENCH) || python3 -m venv $(VENV_BENCH)
	$(PY_BENCH) -m pip install -q --upgrade pip
	$(PY_BENCH) -m pip install -q -e . 'splink==5.*' 'trackintel==1.4.*'
	@touch $(BENCH_STAMP)

bench-env: $(BENCH_STAMP) ## create .venv-bench: the project + splink 5 + trackintel 1.4 (bench only, never a dependency)

bench-link: $(BENCH_STAMP) ## benchmark (not in CI): our linker vs Splink 5 on a simulated world
	$(PY_BENCH) bench/bench_link.py

clean-demo: ## delete the demo world, its warehouse and its lists, and the simulated campaign
	rm -rf data/demo data/campaign

clean: clean-demo ## delete the demo world and the virtual environments
	rm -rf $(VENV) $(VENV_BENCH)
