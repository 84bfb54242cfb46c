# 南昌安全生产开放数据 / Nanchang work-safety open data
# `make help` lists the targets.  Everything generated goes to build/.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SITE_PORT ?= 8000
DATASETTE_PORT ?= 8001

.PHONY: help setup build validate serve test test-fast bench demo clean

help: ## 列出命令 / list the targets
	@echo "用法 / usage: make <target>"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## 建立 .venv 并安装锁定的依赖 / create .venv from requirements.lock

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

validate: setup ## 校验数据包 / validate datasets/ (Frictionless + domain rules)
	$(PY) -m pipeline validate

build: setup ## 校验并构建仓库、导出文件和网站到 build/ / validate, then build warehouse, exports and site
	$(PY) -m pipeline build

# A local preview: the pages link to these local addresses, so this build is not for
# publishing (`make build` leaves out every absolute URL unless SITE_URL/DATASETTE_URL are set).
LOCAL_URLS = SITE_URL=http://localhost:$(SITE_PORT)/ DATASETTE_URL=http://localhost:$(DATASETTE_PORT)/

serve: setup ## 本机预览：构建后在 localhost:8000 提供网站、8001 提供 Datasette / local preview of the site and Datasette
	$(LOCAL_URLS) $(PY) -m pipeline build
	$(LOCAL_URLS) $(PY) -m pipeline serve --site-port $(SITE_PORT) --datasette-port $(DATASETTE_PORT)

test: setup ## 运行全部测试（含 frictionless validate、浏览器和 Datasette）/ run every test
	$(PY) -m pytest

bench: setup ## 测量性能并写入 BENCHMARKS.md / measure and write BENCHMARKS.md
	$(PY) -m bench

demo: setup ## 用虚构示例数据构建演示站点到 build-demo/ / build the demo site from fictional fixtures
	$(PY) -m pipeline demo

clean: ## 删除 build/ / remove build/
	rm -rf build build-demo .build-* .demo-package .demo-package-inputs
