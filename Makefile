# The workbench for the LRU folio batch series. Two commands matter:
#   make        - build base and series, boot both with isolated CPUs in each
#                 isolation set-up, print the isolation table
#                 (build/report/isolation.md)
#   make check  - every test; the last line is "N passed, N failed"
# BASE=6.12 runs a target on the 6.12 LTS backport instead of mainline (one
# pin file per base in bases/). KSRC=/path/to/kernel/git/tree puts the queue
# on that tree instead of Debian's linux-source (in a new worktree; the tree
# itself is untouched).

SHELL := /bin/bash
BASE ?= mainline
KSRC ?=
ifeq ($(wildcard bases/$(BASE)),)
$(error BASE=$(BASE): there is no pin file bases/$(BASE))
endif
QUEUE := $(shell . bases/$(BASE) && echo $$QUEUE)
TREE := $(if $(KSRC),build/ksrc,$(if $(filter mainline,$(BASE)),build/linux,build/linux-$(BASE)))
LOGS := $(CURDIR)/build/$(if $(filter mainline,$(BASE)),,$(BASE)/)logs
RESULTS := $(CURDIR)/build/check/results
TEST_CONFIG := config/base.config config/$(BASE).config config/debug.config
export BASE QUEUE LOGS TREE

all: report

deps:
	@scripts/deps.sh

# (Re)create the lru-drain branch of the tree from the queue. One make at a
# time per tree (make check makes the 6.12 tree in the background).
tree: | deps
	@mkdir -p build
ifeq ($(KSRC),)
	@flock $(TREE).lock scripts/get-base.sh bases/$(BASE) $(TREE)
endif
	@flock $(TREE).lock scripts/tree.sh $(TREE) $(KSRC)

# Write the tree's lru-drain branch back to the queue.
export:
	@scripts/export.sh $(TREE)

# Build the test kernels patch by patch with the per-patch gates
# (GATES=build: only that every patch builds).
gates: tree
	@mkdir -p build/check
	@RESULTS=$(RESULTS) scripts/gates.sh $(TREE)

report: gates
	@RESULTS=$(RESULTS) scripts/isolation.sh $(TREE)

# The teeth of the tests: each deliberately broken variant of the series in
# mutants/ must be caught by the selftest or by lockdep (mainline only).
mutants: tree
	@$(MAKE) -s --no-print-directory gates RESULTS=/dev/null >/dev/null
	@RESULTS=$(RESULTS) scripts/mutants.sh $(TREE)

# The series also builds for PREEMPT_RT and !SMP (every kernel patch with
# MATRIX=every); the RT kernel boots and passes the selftest. X86_RT=0 leaves
# the x86 RT kernel out: make check does, as its arm64 kernels are RT.
X86_RT ?= 1
matrix: tree
ifeq ($(X86_RT),1)
	@RESULTS=$(RESULTS) MATRIX_BASE=1 scripts/matrix.sh $(TREE) rt $(TEST_CONFIG) config/rt.config
endif
	@RESULTS=$(RESULTS) MATRIX_OBJECTS=1 scripts/matrix.sh $(TREE) nosmp $(TEST_CONFIG) config/nosmp.config
ifeq ($(X86_RT),1)
	@RESULTS=$(RESULTS) scripts/boot-selftest.sh rt
endif

# Lockdep soak with CPU hotplug and a drain storm; SOAK_SECONDS=600 by default
# here, 120 in make check.
SOAK_SECONDS ?= 600
soak: tree
	@$(MAKE) -s --no-print-directory gates RESULTS=/dev/null >/dev/null
	@RESULTS=$(RESULTS) scripts/soak.sh test-series debug $(SOAK_SECONDS)

# The series on arm64 with PREEMPT_RT: every kernel patch cross-built, base
# and series booted under qemu-system-aarch64 (TCG), the selftest with its
# negative control. ARM64_RT=0: the same without RT.
ARM64_RT ?= 1
arm64: tree
	@mkdir -p build/check
	@RESULTS=$(RESULTS) ARM64_RT=$(ARM64_RT) scripts/arm64.sh $(TREE)

# The 6.12 backport as make check runs it: it applies, every patch builds,
# the selftest fails on its base and passes on it.
backport:
	@$(MAKE) -s --no-print-directory report BASE=6.12 KSRC= GATES=build SETUPS=domain STORM_SECONDS=0

# The series under KASAN and KCSAN: the selftest and a 60 s soak on each
# (make check-full).
sanitizers: tree
	@$(MAKE) -s --no-print-directory gates RESULTS=/dev/null >/dev/null
	@RESULTS=$(RESULTS) scripts/sanitizers.sh $(TREE)

# The kernel's own mm selftests (run_vmtests.sh categories) on the base and
# series test kernels: every test must give the same result on both.
mm-selftests: tree
	@$(MAKE) -s --no-print-directory gates RESULTS=/dev/null >/dev/null
	@RESULTS=$(RESULTS) scripts/mm-selftests.sh $(TREE)

# Every kernel patch compiles the files it touches under allmodconfig and
# fixed-seed randconfigs (make check-full).
build-coverage: tree
	@RESULTS=$(RESULTS) scripts/build-coverage.sh $(TREE)

# A/B benchmark: the batch paths timed in UML kernels on the host CPU, base,
# v7's keyed design and this series (build/report/bench-uml.*), then the
# non-debug config under qemu -icount and the drain at 2 to 8 vCPUs
# (build/report/bench.*).
bench: bench-uml
	@scripts/bench.sh $(TREE)

bench-uml: tree
	@scripts/uml-bench.sh $(TREE)

# A step that stops early is a failure of its own; the summary always runs
# and lists each step's time.
STEP = @RESULTS=$(RESULTS) scripts/check-step.sh
# The 6.12 tree is fetched and unpacked while make report fetches and unpacks
# its own, which leaves a core idle; make backport waits for it.
EVERY = $(filter every,$(MATRIX))
check: deps
	@rm -rf build/check && mkdir -p build/check
ifeq ($(BASE),mainline)
	@{ $(MAKE) -s --no-print-directory tree BASE=6.12 KSRC= >build/check/tree-6.12.log 2>&1; \
	   echo $$? >build/check/tree-6.12.rc; } & echo $$! >build/check/tree-6.12.pid
endif
	$(STEP) "make report" $(MAKE) -s --no-print-directory report
	$(STEP) "make mutants" $(MAKE) -s --no-print-directory mutants
	$(STEP) "make matrix$(if $(EVERY),, X86_RT=0)" $(MAKE) -s --no-print-directory matrix X86_RT=$(if $(EVERY),1,0)
	$(STEP) "make soak" $(MAKE) -s --no-print-directory soak SOAK_SECONDS=120
	$(STEP) "make mm-selftests" $(MAKE) -s --no-print-directory mm-selftests
	$(STEP) "make arm64" $(MAKE) -s --no-print-directory arm64 ARM64_RT=1
	$(if $(EVERY),$(STEP) "make arm64 ARM64_RT=0" $(MAKE) -s --no-print-directory arm64 ARM64_RT=0)
ifeq ($(BASE),mainline)
	@while [ ! -f build/check/tree-6.12.rc ] && kill -0 $$(cat build/check/tree-6.12.pid) 2>/dev/null; do sleep 1; done; \
	[ "$$(cat build/check/tree-6.12.rc 2>/dev/null)" = 0 ] || { \
	echo "note: the 6.12 tree made in the background failed (build/check/tree-6.12.log); make backport tries again"; \
	tail -n 5 build/check/tree-6.12.log; }
endif
	$(STEP) "make backport" $(MAKE) -s --no-print-directory backport
	$(if $(EVERY),$(STEP) "make sanitizers" $(MAKE) -s --no-print-directory sanitizers)
	$(if $(EVERY),$(STEP) "make build-coverage" $(MAKE) -s --no-print-directory build-coverage)
	$(STEP) "harness tests" tests/harness.sh
	@scripts/summary.sh $(RESULTS)

# make check with every kernel patch built for PREEMPT_RT, !SMP and arm64,
# not only the whole series, the x86 RT kernel and arm64 without RT, the
# KASAN and KCSAN kernels, the allmodconfig/randconfig builds.
check-full:
	@$(MAKE) -s --no-print-directory check MATRIX=every

clean:
	rm -rf build/obj build/kernels build/report build/check build/gates build/logs build/6.12 build/mm-selftests

.PHONY: all deps tree export gates report mutants matrix soak arm64 backport sanitizers mm-selftests build-coverage bench bench-uml check check-full clean
