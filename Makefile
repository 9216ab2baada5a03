# cusprate — build, test, benchmark and demo.
#
#   make              build bin/cusprate (OpenMP on, -O3 -march=native)
#   make OPENMP=0     build without OpenMP
#   make test         unit + verification tests (Criterion), normal build and
#                     AddressSanitizer+UBSan build, and the MPI build under
#                     mpirun (test-mpi); installs deps when missing
#   make MPI=1        build bin/cusprate with MPI (mpicc, Open MPI): mpirun -n N bin/cusprate ...
#   make bench        benchmarks (figures printed; see BENCHMARKS.md)
#   make demo         the default run
#   make verify       long verification runs (not part of make test)
#   make valgrind     tests under valgrind (portable build, no -march=native)
#   make fuzz         hostile inputs under ASan+UBSan for FUZZ_SECONDS (default 600;
#                     `make test` runs it for TEST_FUZZ_SECONDS = 45)
#   make deps         install the Debian packages the build, tests and tools need
#
# Variables: BUILD (object folder), OPENMP (1/0), NATIVE (1/0), SAN (1 = ASan+UBSan), MPI (1/0),
# WERROR (1/0), CC, PYTHON, TEST_ARGS (passed to the Criterion runner),
# FUZZ_SECONDS, TEST_FUZZ_SECONDS, FUZZ_ARGS (passed to tools/fuzz.py).

MPI     ?= 0
ifeq ($(MPI),1)
CC      := mpicc
BUILD   ?= build/mpi
else
CC      ?= cc
endif
PYTHON  ?= /usr/bin/python3
OPENMP  ?= 1
NATIVE  ?= 1
SAN     ?= 0
WERROR  ?= 1
BUILD   ?= build/release
FUZZ_SECONDS ?= 600
TEST_FUZZ_SECONDS ?= 45

PKGS    := hdf5 netcdf gsl inih zlib
VERSION := 0.1.0
GIT_HASH := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)

OPTFLAGS := -O3 -fno-math-errno
ifeq ($(NATIVE),1)
OPTFLAGS += -march=native
endif
WARN := -Wall -Wextra -Wshadow=local -Wno-unknown-pragmas
ifeq ($(WERROR),1)
WARN += -Werror
endif
SANFLAGS :=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPTFLAGS := -O1 -g
endif
OMPFLAGS :=
ifeq ($(OPENMP),1)
OMPFLAGS := -fopenmp
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CRIT_LIBS  := $(shell pkg-config --libs criterion 2>/dev/null)

BUILD_FLAGS_TEXT := $(OPTFLAGS) $(OMPFLAGS) $(SANFLAGS) $(MPIFLAGS)
MPIFLAGS :=
ifeq ($(MPI),1)
MPIFLAGS := -DCR_HAVE_MPI
endif
CFLAGS_ALL := $(MPIFLAGS) -std=c11 -D_POSIX_C_SOURCE=200809L -g $(OPTFLAGS) $(OMPFLAGS) $(SANFLAGS) $(WARN) $(PKG_CFLAGS) \
	-DCR_VERSION_STRING='"$(VERSION)"' -DCR_GIT_HASH='"$(GIT_HASH)"' -DCR_BUILD_FLAGS='"$(BUILD_FLAGS_TEXT)"' \
	$(CFLAGS)
LDFLAGS_ALL := $(OMPFLAGS) $(SANFLAGS) $(LDFLAGS)
LIBS_ALL := $(PKG_LIBS) -lm

MODULES  := core grids mhd magnetosphere particles spacecraft multipoint reconnection
LIB_SRC  := $(filter-out core/main.c,$(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
TEST_SRC := $(wildcard tests/*.c)
TEST_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SRC))
LIB      := $(BUILD)/libcusprate.a
EXE      := $(BUILD)/cusprate
TESTEXE  := $(BUILD)/cusprate_tests

.PHONY: all test test-release test-asan test-mpi unit bench demo verify deps deps-check clean valgrind docs-keys fuzz

all: bin/cusprate

bin/cusprate: $(EXE)
	@mkdir -p bin
	@cp $(EXE) $@.tmp && mv -f $@.tmp $@   # rename: a running cusprate keeps its copy

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<  [$(BUILD)]"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# The version object records the commit and build flags: rebuild it whenever
# they change (a stamp rewritten only when its text differs), or every file
# written would name a stale commit.
VERSION_STAMP := $(BUILD)/version.stamp
$(VERSION_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(GIT_HASH) $(BUILD_FLAGS_TEXT)' | cmp -s - $@ || echo '$(GIT_HASH) $(BUILD_FLAGS_TEXT)' > $@
$(BUILD)/obj/core/cr_version.o: $(VERSION_STAMP)
.PHONY: FORCE
FORCE:

$(LIB): $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(EXE): $(BUILD)/obj/core/main.o $(LIB)
	@echo "  LD  $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

$(TESTEXE): $(TEST_OBJ) $(LIB)
	@echo "  LD  $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $(TEST_OBJ) $(LIB) $(LIBS_ALL) $(CRIT_LIBS) -ludunits2

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/obj/core/main.d

# --- dependencies (Debian packages) ---------------------------------------
deps:
	sh tools/deps.sh install

deps-check:
	@sh tools/deps.sh check || sh tools/deps.sh install

# --- tests -------------------------------------------------------------------
# One Criterion binary per build; tests that run the CLI find it in CUSPRATE_BIN.
unit: $(TESTEXE) $(EXE)
	CUSPRATE_BIN=$(abspath $(EXE)) CUSPRATE_ROOT=$(CURDIR) $(TESTEXE) $(TEST_ARGS)

test: deps-check
	$(MAKE) --no-print-directory test-release
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory test-mpi
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

test-release:
	$(MAKE) --no-print-directory unit BUILD=build/release

test-asan:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CUSPRATE_SANITIZED=1 $(MAKE) --no-print-directory unit BUILD=build/asan SAN=1

# The domain decomposition: the MPI build (build/mpi, mpicc) run under mpirun
# by the release test binary (tests/test_mpi.c; 1-4 ranks, oversubscribed).
test-mpi:
	$(MAKE) --no-print-directory MPI=1 BUILD=build/mpi build/mpi/cusprate
	$(MAKE) --no-print-directory BUILD=build/release build/release/cusprate_tests build/release/cusprate
	CUSPRATE_MPI_BIN=$(CURDIR)/build/mpi/cusprate CUSPRATE_BIN=$(CURDIR)/build/release/cusprate \
	  CUSPRATE_ROOT=$(CURDIR) build/release/cusprate_tests --filter 'mpi/*' $(TEST_ARGS)

# Mutated parameter files and input files (tools/fuzz.py) against the
# sanitized binary: counts of tried / accepted / refused cleanly / crashed;
# fails on a crash or on a refusal that wrote something.
fuzz: deps-check
	$(MAKE) --no-print-directory build/asan/cusprate BUILD=build/asan SAN=1
	$(PYTHON) tools/fuzz.py --bin build/asan/cusprate --seconds $(FUZZ_SECONDS) $(FUZZ_ARGS)

valgrind:
	$(MAKE) --no-print-directory build/valgrind/cusprate_tests build/valgrind/cusprate BUILD=build/valgrind NATIVE=0 OPENMP=0
	CUSPRATE_BIN=$(abspath build/valgrind/cusprate) CUSPRATE_ROOT=$(CURDIR) CUSPRATE_SANITIZED=1 \
	  valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --trace-children=yes \
	  --quiet build/valgrind/cusprate_tests --jobs 1 $(TEST_ARGS)

# --- benchmarks, demo, verification ----------------------------------------
bench: deps-check bin/cusprate
	bin/cusprate bench all

demo: deps-check bin/cusprate
	sh tools/demo.sh

verify: deps-check bin/cusprate
	sh tools/verify.sh

docs-keys: bin/cusprate
	bin/cusprate keys > docs/keys.md

clean:
	rm -rf build bin
