# linreg_mpi — build, test, run.
#
#   make run        install missing Debian packages, build, train on datasets/trees.csv
#   make test       install missing Debian packages, build, run unit + integration tests
#   make            build bin/linreg_mpi and bin/gen_data
#   make ARCH=native    tune for this CPU (-march=native); the default runs on any x86-64
#   make SCAN=portable  the reader's line scanner in portable C instead of SSE2 (src/scan.c)
#   make WERROR=1   warnings are errors, in every build and tool (.ci/run builds so)
#   make install PREFIX=/opt/linreg_mpi/0.1.0 [DESTDIR=/tmp/stage]    (make uninstall: the same)

CC       = mpicc
OPT     ?= -O3
ARCH    ?=
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=gnu11 -fopenmp -Wall -Wextra -Wshadow -Wno-unused-parameter \
           -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -Iinclude
ifneq ($(ARCH),)
CFLAGS  += -march=$(ARCH)
endif
ifeq ($(WERROR),1)
WERROR_FLAG = -Werror
endif
CFLAGS  += $(WERROR_FLAG)
ifeq ($(SCAN),portable)  # make SCAN=portable: the reader's line scanner without SSE2
CFLAGS  += -DLINREG_SCAN_PORTABLE
endif
LDLIBS   = -lcsv -ljansson -lz -lzstd -lxxhash -llapacke -lgsl -lblas -lm
PREFIX  ?= /usr/local
NP      ?= 2

# what `linreg_mpi --version` reports of the build (src/main.c)
build/main.o build/hooks/main.o build/asan/main.o: CFLAGS += -DLINREG_BUILD_ARCH='"$(ARCH)"' \
    -DLINREG_BUILD_OPT='"$(OPT)"'

# Open MPI refuses root and more ranks than cores unless told; only tests and demos set this.
MPIRUN   = OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe

SRC      = $(filter-out src/main.c,$(wildcard src/*.c))
OBJ      = $(SRC:src/%.c=build/%.o)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_OBJ = $(UNIT_SRC:tests/unit/%.c=build/unit/%.o)

# Each object's header dependencies, as the compiler saw them: build/**/X.d beside X.o
# (-MP: a deleted header does not break the build). Only what includes an edited header
# is rebuilt.
DEPFLAGS = -MMD -MP
-include $(wildcard build/*.d build/hooks/*.d build/asan/*.d build/unit/*.d \
                    build/asan/unit/*.d build/tools/*.d)
# An object built before the .d files existed (an older build tree) has no record of its
# headers: it depends on all of them, until it is rebuilt once.
$(foreach o,$(wildcard build/*.o build/hooks/*.o build/asan/*.o build/unit/*.o \
                       build/asan/unit/*.o build/tools/*.o),\
    $(if $(wildcard $(o:.o=.d)),,$(eval $(o): $(wildcard include/*.h tests/unit/*.h))))

all: bin/linreg_mpi bin/gen_data bin/csv_tokenize bin/scan_limit bin/bench_epoch

build/%.o: src/%.c | build
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

bin/linreg_mpi: build/main.o $(OBJ) | bin
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

build/tools/%.o: src/tools/%.c | build
	@mkdir -p build/tools
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

bin/csv_tokenize: build/tools/csv_tokenize.o | bin
	$(CC) $(CFLAGS) $< -o $@ -lcsv

# the ingest benchmark's floor: split and convert with fast_float (C++, header-only)
bin/scan_limit: src/tools/scan_limit.cc | bin
	g++ $(OPT) -g -std=c++17 -Wall -Wextra $(WERROR_FLAG) $< -o $@

bin/bench_epoch: build/tools/bench_epoch.o build/gd.o build/precond.o build/exact.o build/metrics.o build/stats.o build/linalg.o build/comm.o build/error.o | bin
	$(CC) $(CFLAGS) $^ -o $@ -llapacke -lblas -lm

bin/gen_data: build/tools/gen_data.o | bin
	$(CC) $(CFLAGS) $< -o $@ -lm

# The same program with fault-injection hooks (include/test_hooks.h), for the tests only.
HOOK_OBJ = $(SRC:src/%.c=build/hooks/%.o) build/hooks/main.o
build/hooks/%.o: src/%.c | build
	@mkdir -p build/hooks
	$(CC) $(CFLAGS) $(DEPFLAGS) -DLINREG_TEST_HOOKS -c $< -o $@

build/hooks/linreg_mpi: $(HOOK_OBJ)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# AddressSanitizer + UndefinedBehaviorSanitizer, with the test hooks: `make asan`.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_OBJ = $(SRC:src/%.c=build/asan/%.o)
build/asan/%.o: src/%.c | build
	@mkdir -p build/asan
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -DLINREG_TEST_HOOKS -c $< -o $@

build/asan/linreg_mpi: $(ASAN_OBJ) build/asan/main.o
	$(CC) $(CFLAGS) $(SAN_FLAGS) $^ -o $@ $(LDLIBS)

ASAN_UNIT_OBJ = $(UNIT_SRC:tests/unit/%.c=build/asan/unit/%.o)
build/asan/unit/%.o: tests/unit/%.c | build
	@mkdir -p build/asan/unit
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -Itests/unit -c $< -o $@

build/asan/unit_tests: $(ASAN_UNIT_OBJ) $(ASAN_OBJ)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $^ -o $@ $(LDLIBS) -lcunit

build/unit/%.o: tests/unit/%.c | build
	@mkdir -p build/unit
	$(CC) $(CFLAGS) $(DEPFLAGS) -Itests/unit -c $< -o $@

build/unit_tests: $(UNIT_OBJ) $(OBJ) | build
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) -lcunit

build/lstsq: tests/tools/lstsq.c | build
	gcc -O2 -Wall -Wextra $(WERROR_FLAG) $< -o $@ -lm

build bin:
	mkdir -p $@

deps:
	@scripts/install-deps.sh

# the tests also need a local Slurm (tests/integration/slurm.sh)
deps-test:
	@scripts/install-deps.sh --tests

run: deps
	@$(MAKE) --no-print-directory all
	$(MPIRUN) -n $(NP) bin/linreg_mpi --model-out build/model.json datasets/trees.csv

test: deps-test
	@$(MAKE) --no-print-directory all build/unit_tests build/lstsq build/hooks/linreg_mpi
	@tests/run.sh

# The unit tests and the main commands under valgrind's memcheck (a few minutes).
valgrind:
	@LINREG_DEPS_EXTRA=valgrind scripts/install-deps.sh
	@$(MAKE) --no-print-directory all build/unit_tests
	@tests/valgrind.sh

# Only the tests against a local single-node Slurm (make test includes them).
test-slurm: deps-test
	@$(MAKE) --no-print-directory all build/unit_tests build/lstsq build/hooks/linreg_mpi
	@LINREG_TESTS=slurm LINREG_REQUIRE_SLURM=1 tests/run.sh

# Only the tests across two nodes made of network namespaces (make test includes them).
test-multinode: deps-test
	@$(MAKE) --no-print-directory all build/unit_tests build/lstsq build/hooks/linreg_mpi
	@LINREG_TESTS=multinode LINREG_REQUIRE_MULTINODE=1 tests/run.sh

# A CSV larger than 2^31 bytes (2.5 GB in /tmp, about a minute).
test-big: deps
	@$(MAKE) --no-print-directory all build/unit_tests build/lstsq build/hooks/linreg_mpi
	@LINREG_TEST_DIR=tests/big tests/run.sh

# The suite's core under the sanitizers (the slow adversarial corpus and timing-driven
# checkpoint kills stay in `make test`). Leaks inside Open MPI's own libraries are
# suppressed (tests/lsan.supp); nothing of the project's is.
SAN_TESTS = reader predict failures
SAN_ENV = LINREG_BIN=build/asan/linreg_mpi LINREG_HOOKS_BIN=build/asan/linreg_mpi \
          LINREG_UNIT=build/asan/unit_tests LINREG_TESTS="$(SAN_TESTS)" LINREG_DEADLINE=30 \
          OMPI_MCA_mca_base_component_disable_dlclose=1 \
          ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:detect_odr_violation=0:fast_unwind_on_malloc=0 \
          LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0 \
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
asan: deps
	@$(MAKE) --no-print-directory all build/lstsq build/asan/linreg_mpi build/asan/unit_tests
	@$(SAN_ENV) tests/run.sh

# libFuzzer on the CSV reader and the number parser, FUZZ_SECONDS per target; the working
# corpus and any crashing input stay under build/fuzz/ (see tests/fuzz/run.sh).
FUZZ_SECONDS ?= 60
fuzz:
	@LINREG_DEPS_EXTRA="clang libclang-rt-14-dev libomp-14-dev" scripts/install-deps.sh
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: all build/lstsq
	scripts/bench.sh

SCALING_ARGS ?=
scaling: all
	scripts/scaling.sh $(SCALING_ARGS)

bench-ingest: all
	scripts/bench_ingest.sh

bench-epoch: all
	scripts/bench_epoch.sh

bench-solvers: all build/lstsq
	scripts/bench_solvers.sh

# The binary, the scripts, the Slurm jobs, the datasets, the docs, the man page and an Lmod
# modulefile under PREFIX (the layout: scripts/install.sh --help); uninstall removes exactly
# what install wrote (its manifest, PREFIX/share/linreg_mpi/install-manifest).
install: bin/linreg_mpi bin/gen_data
	@CC="$(CC)" scripts/install.sh install --prefix "$(PREFIX)" --destdir "$(DESTDIR)"

uninstall:
	@scripts/install.sh uninstall --prefix "$(PREFIX)" --destdir "$(DESTDIR)"

clean:
	rm -rf build bin

.PHONY: all deps deps-test run test test-big test-slurm test-multinode valgrind asan fuzz bench scaling bench-ingest bench-epoch bench-solvers install uninstall clean
