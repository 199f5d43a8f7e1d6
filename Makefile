# JadeVectorDB front door. On a fresh Debian 12 machine, as root:
#   make demo    install what is missing, build, start a local cluster, run a kNN query
#   make test    the same set-up, then every test (unit, pg_regress, integration)
# Other targets: deps build install stop bench bench-full bench-micro fuzz clean

BUILD_DIR ?= build
JOBS      ?= $(shell nproc)
# Debian's interpreter: it sees python3-psycopg2 and python3-numpy (a pyenv python3 on PATH does not).
PYTHON    := /usr/bin/python3
CMAKE_FLAGS ?=

# Debian 12 packages the build, the tests and the benchmarks need. Installed only when missing.
APT_PACKAGES := build-essential cmake pkg-config git ca-certificates dpkg-dev \
	postgresql-15 postgresql-client-15 postgresql-server-dev-15 \
	libfaiss-dev libopenblas0-openmp libblas-dev liblapack-dev \
	libpg-query-dev libprotobuf-c-dev libraft-dev libuv1-dev libpq-dev libssl-dev \
	catch2 libbenchmark-dev clang-14 libfuzzer-14-dev \
	python3 python3-psycopg2 python3-psycopg python3-numpy python3-pytest python3-pytest-timeout libpostgresql-jdbc-java gnuplot-nox iproute2 procps bc

.PHONY: all deps build install test test-unit test-regress test-integration test-fuzz demo stop \
	bench bench-full bench-micro fuzz clean

all: build

deps:
	@bash scripts/install_deps.sh $(APT_PACKAGES)

build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

install: build
	cmake --install $(BUILD_DIR)

test: build
	@bash tests/run_all.sh $(BUILD_DIR)

test-unit: build
	@bash tests/run_all.sh $(BUILD_DIR) unit

test-regress: build
	@bash tests/run_all.sh $(BUILD_DIR) regress

test-integration: build
	@bash tests/run_all.sh $(BUILD_DIR) integration

# libFuzzer targets (tests/fuzz/README.md): `make test` runs each for FUZZ_TEST_SECONDS;
# `make fuzz` runs each for FUZZ_SECONDS (default one hour) and keeps the grown corpus in BUILD_DIR/fuzz.
FUZZ_SECONDS ?= 3600
test-fuzz: build
	@bash tests/run_all.sh $(BUILD_DIR) fuzz

fuzz: deps
	@bash tests/fuzz/run_fuzz.sh $(BUILD_DIR) $(FUZZ_SECONDS)

demo: install
	@$(PYTHON) scripts/demo.py start --build-dir $(BUILD_DIR)

stop:
	@$(PYTHON) scripts/demo.py stop

bench: build
	@$(PYTHON) bench/run_bench.py --build-dir $(BUILD_DIR) --preset small

bench-full: build
	@$(PYTHON) bench/run_bench.py --build-dir $(BUILD_DIR) --preset full

bench-micro: build
	@for b in $(BUILD_DIR)/bench/micro_*; do [ -x "$$b" ] && "$$b"; done

clean:
	rm -rf $(BUILD_DIR)
