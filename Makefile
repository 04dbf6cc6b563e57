# chemsieve — `make help` lists the targets (descriptions in Chinese: the users read them).
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup screen demo demo-lists campaign test bench bench-drills bench-env bench-link bench-shapes bench-vary bench-registry clean-demo clean

help: ## 列出可用的命令
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) ## 创建 .venv 并安装本项目（其他命令会自动完成这一步）

screen: $(STAMP) ## 筛查 data/inbox 中的数据；收件箱为空时筛查内置的演示街道
	$(PY) -m pipeline screen --demo-if-empty

demo: $(STAMP) ## 重新生成演示街道：筛查 → 模拟一周走访回报 → 再次筛查
	rm -rf data/demo
	$(PY) -m pipeline screen --demo-if-empty --inbox data/demo/empty-inbox
	$(PY) -m pipeline simulate-returns --world data/demo --db data/demo/warehouse.duckdb --date 2021-07-08
	$(PY) -m pipeline screen --inbox data/demo/inbox --db data/demo/warehouse.duckdb --out data/demo/out \
		--decisions data/demo/decisions --date 2021-07-10

campaign: $(STAMP) ## 在演示街道上模拟 6 周专项行动（有学习、无学习各一遍），逐周列出数字
	@test -d data/demo/truth || $(PY) -m pipeline simulate --out data/demo
	$(PY) -m pipeline simulate-campaign --world data/demo --work data/campaign --weeks 6 --visits 2 --compare

test: $(STAMP) ## 运行全部测试
	$(PY) -m pytest

bench: $(STAMP) ## 性能测试（不在 CI 中）：演示街道全流程；城市规模的导入与场所归并；列出数字
	$(PY) bench/bench_screen.py
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_link_scale.py --truth

bench-drills: $(STAMP) ## 攻击演练（不在 CI 中，约 30 分钟）：kill -9 中断、16 个进程同时写入、恶意文件；列出故障与丢失行数
	@rc=0; for d in kill writers hostile; do $(PY) bench/drill_$$d.py || rc=1; done; exit $$rc

VENV_BENCH  ?= .venv-bench
PY_BENCH    := $(VENV_BENCH)/bin/python
BENCH_STAMP := $(VENV_BENCH)/.installed

$(BENCH_STAMP): pyproject.toml
	@test -x $(PY_BENCH) || python3 -m venv $(VENV_BENCH)
	$(PY_BENCH) -m pip install -q --upgrade pip
	$(PY_BENCH) -m pip install -q -e . 'splink==5.*' 'trackintel==1.4.*'
	@touch $(BENCH_STAMP)

bench-env: $(BENCH_STAMP) ## 创建 .venv-bench：本项目 + splink 5 + trackintel 1.4（仅供性能对比，不是依赖）

bench-link: $(BENCH_STAMP) ## 性能对比（不在 CI 中）：在模拟街道上比较本项目的场所归并与 Splink 5
	$(PY_BENCH) bench/bench_link.py

bench-shapes: $(STAMP) ## 按交来的数据形态评估（不在 CI 中，约 5 分钟）：原始数据 / 仅各单位清单 / 两者，3 个种子，列出最差情况
	$(PY) -m pipeline evaluate-shapes --work data/shapes --seed 7 11 23 --scale demo --shapes raw,lists,mixed

bench-vary: $(STAMP) ## 在 10 个参数各异的模拟世界上评估（不在 CI 中，约 25 分钟）：每个世界、平均与最差情况，数字写入 data/bench/vary
	$(PY) -m pipeline evaluate-vary --work data/bench/vary --worlds 10 --seed0 1101 --scale demo --shape raw

bench-registry: $(STAMP) ## 真实登记文本评估（不在 CI 中，约 1 分钟）：在 5 万余条福建真实登记上运行涉化工词规则，列出各规则/各词命中率、抽样命中与漏网、人工标注样本的查全率与误报率
	$(PY) bench/bench_registry_real.py

demo-lists: $(STAMP) ## 演示“只交清单”的街道：月度电量、电量激增清单、平台报警、排查名单（无日电量、无轨迹、无用户档案）
	rm -rf data/demo-lists
	$(PY) -m pipeline simulate --shape lists --out data/demo-lists/world
	$(PY) -m pipeline screen --inbox data/demo-lists/world/inbox --db data/demo-lists/warehouse.duckdb \
		--out data/demo-lists/out --date 2021-07-05

clean-demo: ## 删除演示街道（数据、数据库、清单）和模拟专项行动
	rm -rf data/demo data/campaign data/demo-lists data/shapes

clean: clean-demo ## 删除演示街道和虚拟环境
	rm -rf $(VENV) $(VENV_BENCH)
