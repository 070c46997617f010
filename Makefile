# The two commands of the README, plus `make bench`.  Everything real lives in
# CMakeLists.txt; this file installs missing packages, configures once and builds.
#
#   make run                 build and run the bundled example program
#   make test                build and pass every test (ctest)
#   make test TIER=interp    the same tests in the interpreter only (the default,
#                            auto, compiles to machine code on x86-64 Linux)
#   make bench               build and run the benchmarks
#   make install             build and install under PREFIX (default /usr/local;
#                            DESTDIR honoured): the command, libweft, weft.h,
#                            weft.pc and the CMake package (cmake/install.cmake)
#   make deb                 build the Debian packages weft and libweft-dev into
#                            BUILD/packages (CPack)
#
# Variables: CC (compiler), BUILD (build folder), SANITIZE (address|thread),
# TEST_LABELS (ctest -L regex), TEST_EXCLUDE (ctest -LE regex), BUILD_TYPE (CMake build type), TIER (interp|jit|auto:
# `make test` runs ctest with WEFT_TIER=TIER, which weft_config_init reads, so every
# test binary, the spec runner and the weft command run that tier; unset: whatever
# WEFT_TIER the shell has, else auto).  The tier changes no build: TIER=interp and
# TIER=jit share one BUILD folder and only ctest runs again.

CC ?= cc
BUILD ?= build
SANITIZE ?=
TEST_LABELS ?=
TEST_EXCLUDE ?=
TIER ?=
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local

CMAKE_FLAGS = -G Ninja -DCMAKE_C_COMPILER=$(CC) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
              -DWEFT_SANITIZE=$(SANITIZE)

.PHONY: all deps configure build run test bench install deb clean

all: build

deps:
	@sh scripts/install-deps

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# A threaded C program (examples/primes_threads.c, built for wasm32-wasip1-threads):
# counts primes with 1 thread, then with one thread per core, and prints both times.
run: build
	$(BUILD)/weft run $(BUILD)/examples/primes_threads.wasm 5000000 $(JOBS)

ifneq ($(filter-out interp jit auto,$(TIER)),)
$(error TIER=$(TIER): expected interp, jit or auto)
endif

test: build
	cd $(BUILD) && $(if $(TIER),WEFT_TIER=$(TIER) )ctest --output-on-failure -j $(JOBS) $(if $(TEST_LABELS),-L '$(TEST_LABELS)') \
	    $(if $(TEST_EXCLUDE),-LE '$(TEST_EXCLUDE)')

bench: build
	sh bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

deb: build
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD)
