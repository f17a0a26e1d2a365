# linreg_mpi — build, test, run.
#
#   make run        install missing Debian packages, build, train on datasets/trees.csv
#   make test       install missing Debian packages, build, run unit + integration tests
#   make            build bin/linreg_mpi and bin/gen_data
#   make ARCH=native    tune for this CPU (-march=native); the default runs on any x86-64
#   make install PREFIX=/usr/local DESTDIR=

CC       = mpicc
OPT     ?= -O3
ARCH    ?=
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=gnu11 -fopenmp -Wall -Wextra -Wshadow -Wno-unused-parameter \
           -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -Iinclude
ifneq ($(ARCH),)
CFLAGS  += -march=$(ARCH)
endif
LDLIBS   = -lcsv -ljansson -lz -lm
PREFIX  ?= /usr/local
NP      ?= 2

# Open MPI refuses root and more ranks than cores unless told; only tests and demos set this.
MPIRUN   = OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe

SRC      = $(filter-out src/main.c,$(wildcard src/*.c))
OBJ      = $(SRC:src/%.c=build/%.o)
UNIT_SRC = $(wildcard tests/unit/*.c)

all: bin/linreg_mpi bin/gen_data bin/csv_tokenize bin/bench_epoch

build/%.o: src/%.c $(wildcard include/*.h) | build
	$(CC) $(CFLAGS) -c $< -o $@

bin/linreg_mpi: build/main.o $(OBJ) | bin
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

bin/csv_tokenize: src/tools/csv_tokenize.c | bin
	$(CC) $(CFLAGS) $< -o $@ -lcsv

bin/bench_epoch: src/tools/bench_epoch.c build/gd.o build/comm.o build/error.o | bin
	$(CC) $(CFLAGS) $^ -o $@ -lm

bin/gen_data: src/tools/gen_data.c | bin
	$(CC) $(CFLAGS) $< -o $@ -lm

# The same program with fault-injection hooks (include/test_hooks.h), for the tests only.
HOOK_OBJ = $(SRC:src/%.c=build/hooks/%.o) build/hooks/main.o
build/hooks/%.o: src/%.c $(wildcard include/*.h) | build
	@mkdir -p build/hooks
	$(CC) $(CFLAGS) -DLINREG_TEST_HOOKS -c $< -o $@

build/hooks/linreg_mpi: $(HOOK_OBJ)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

build/unit_tests: $(UNIT_SRC) $(OBJ) $(wildcard tests/unit/*.h) | build
	$(CC) $(CFLAGS) -Itests/unit $(UNIT_SRC) $(OBJ) -o $@ $(LDLIBS) -lcunit

build/lstsq: tests/tools/lstsq.c | build
	gcc -O2 -Wall -Wextra $< -o $@ -lm

build bin:
	mkdir -p $@

deps:
	@scripts/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(MPIRUN) -n $(NP) bin/linreg_mpi --model-out build/model.json datasets/trees.csv
	@echo "model written to build/model.json"

test: deps
	@$(MAKE) --no-print-directory all build/unit_tests build/lstsq build/hooks/linreg_mpi
	@tests/run.sh

bench-ingest: all
	scripts/bench_ingest.sh

bench-epoch: all
	scripts/bench_epoch.sh

install: bin/linreg_mpi
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 bin/linreg_mpi $(DESTDIR)$(PREFIX)/bin/linreg_mpi

clean:
	rm -rf build bin

.PHONY: all deps run test bench-ingest bench-epoch install clean
