# ipdx: the two commands of the README quick start are `make demo` and `make test`.
# Everything else here is what they are built from.

JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
HOME_DIR ?= ipdx-data
DEMO_LISTEN ?= 127.0.0.1:8080
CMAKE_FLAGS ?=

.PHONY: all deps build build-asan test test-release test-asan test-e2e format format-check demo \
        bench-ingest bench-search bench-api bench-classify bench-ledger bench-sync fuzz \
        clean

all: build

deps:
	scripts/install-deps

# Optimised build with -Werror; produces build/ipdx.
build:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DIPDX_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# AddressSanitizer + UndefinedBehaviorSanitizer build.
build-asan:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DIPDX_SANITIZE=ON \
	  -DIPDX_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

FORMAT_FILES = $(shell git ls-files '*.cc' '*.h' 2>/dev/null)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "clang-format: clean"

# Browser tests of the web UI (Playwright + Debian chromium) against the optimised build.
test-e2e: build
	IPDX_BIN=$(BUILD)/ipdx IPDX_E2E_SCREENSHOTS=$(BUILD)/e2e-screenshots tests/e2e/run

# Installs, builds twice (optimised -Werror, ASan+UBSan) and runs every test plus the format check.
test: deps
	$(MAKE) format-check
	$(MAKE) test-release
	$(MAKE) test-e2e
	$(MAKE) test-asan

# Installs, builds, creates a node in ./ipdx-data and ingests the bundled sample corpus.
demo: deps build
	@test -f $(HOME_DIR)/ipdx.toml || $(BUILD)/ipdx --home $(HOME_DIR) init --office US
	$(BUILD)/ipdx --home $(HOME_DIR) ingest data/sample; rc=$$?; \
	  if [ $$rc -ne 0 ] && [ $$rc -ne 3 ]; then exit $$rc; fi
	$(BUILD)/ipdx --home $(HOME_DIR) list --limit 15
	$(BUILD)/ipdx --home $(HOME_DIR) runs
	$(BUILD)/ipdx --home $(HOME_DIR) log checkpoint
	$(BUILD)/ipdx --home $(HOME_DIR) search --facets --limit 5 'motor OR engine OR antibody'
	@echo
	@echo "Node in $(HOME_DIR). Try: $(BUILD)/ipdx --home $(HOME_DIR) show US-8936998-B2"
	@echo "                          $(BUILD)/ipdx --home $(HOME_DIR) rejects"
	@echo
	@echo "Starting the server; web UI and API at http://$(DEMO_LISTEN)/ (Ctrl-C stops it)"
	$(BUILD)/ipdx --home $(HOME_DIR) serve --listen $(DEMO_LISTEN)

bench-ingest: deps
	bench/run-ingest

bench-search: deps
	bench/run-search

bench-api: deps
	bench/run-api

bench-classify: deps
	bench/run-classify

bench-ledger: deps
	bench/run-ledger

# Exchange: `ipdx peer sync` of 100,000 records between two local nodes vs local ingest.
bench-sync: deps
	bench/run-sync

fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DIPDX_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
