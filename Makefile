# The two commands of the README. Both install what is missing first.
BUILD ?= build
LISTEN ?= 127.0.0.1:8080
DATA ?= var
MESON_ARGS ?=

.PHONY: all deps deps-test build run test test-asan fuzz bench clean

all: build

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_ARGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	@scripts/run.sh $(BUILD) $(LISTEN) $(DATA)

test: deps-test $(BUILD)/build.ninja
	ninja -C $(BUILD)
	meson test -C $(BUILD) --print-errorlogs --num-processes 2 --no-suite pending $(TESTS)

# Same suites, built with AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps-test
	[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ninja -C build-asan
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:verify_asan_link_order=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3 --no-suite pending --no-suite no-asan $(TESTS)

# A timed libFuzzer run of every fuzz target (clang). FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 300
fuzz: deps-test
	scripts/fuzz.sh $(FUZZ_SECONDS)

bench: build deps-test
	bench/call-setup --mode gst --build $(BUILD)
	bench/call-setup --mode browser --build $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
