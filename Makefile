# The workbench for the LRU folio batch series. Two commands matter:
#   make        - build base, series and both series, boot each with isolated
#                 CPUs in each isolation set-up, print the isolation tables
#   make check  - the tests that fit in an hour (make check-full: all)
# Every target that checks something ends with "N passed, N failed" and
# exits non-zero when a check failed. make help lists targets and knobs.

SHELL := /bin/bash
.DEFAULT_GOAL := all

# Knobs: NAME  default  what. Given on the make command line; the same names
# in the environment are ignored, and the scripts read only their WB_* copies.
define KNOBS
BASE             mainline  pin file in bases/: mainline (7.3) or 6.12
KSRC             -         your kernel git tree: the queue goes on its HEAD
SETUPS           domain nohz partition  isolation set-ups booted by make report
STORM_SECONDS    10        drain storm length in make report (0: none)
GATES            all       all, or build: only that every patch builds
MATRIX           -         every: build every patch for RT, !SMP, arm64 too
X86_RT           1         make matrix boots an x86 PREEMPT_RT kernel
ARM64_RT         1         make arm64 builds PREEMPT_RT arm64 kernels
SOAK_SECONDS     600       length of make soak (make check: 120)
SANITIZERS       kasan kcsan  kernels of make sanitizers
CATEGORIES       17 of them  run_vmtests.sh categories of make mm-selftests,
                           and memcg (the list: scripts/mm-selftests.sh)
RUNS             1         boots of each kernel in make mm-selftests
MIN_PASS         10        tests the series must pass in make mm-selftests
RANDCONFIG_SEEDS 0x5eed1 0x5eed2  randconfigs of make build-coverage
ROUNDS           2         rounds of make bench and bench-noise (-icount)
UML_VARIANTS     base keyed series  kernels of make bench-uml (keyed: v7)
UML_ROUNDS       3         rounds of make bench-uml
UML_NCPUS        4 8 16 32 drain sizes of make bench-uml
DEB_CONFIG       /boot/config-$$(uname -r)  config make deb starts from (else
                           /proc/config.gz; small: the test kernel's, as in make check)
endef
space := $(subst ,, )
define newline


endef
KNOB_NAMES := BASE KSRC SETUPS STORM_SECONDS GATES MATRIX X86_RT ARM64_RT SOAK_SECONDS \
	SANITIZERS CATEGORIES RUNS MIN_PASS RANDCONFIG_SEEDS ROUNDS UML_VARIANTS UML_ROUNDS \
	UML_NCPUS DEB_CONFIG
$(foreach k,$(KNOB_NAMES),$(if $(filter environment%,$(origin $(k))),$(eval undefine $(k))))

BASE ?= mainline
ifeq ($(wildcard bases/$(BASE)),)
$(error BASE=$(BASE): there is no pin file bases/$(BASE))
endif
STORM_SECONDS ?= 10
SOAK_SECONDS ?= 600
X86_RT ?= 1
ARM64_RT ?= 1
unexport $(KNOB_NAMES)
TREE := $(if $(KSRC),build/ksrc,$(if $(filter mainline,$(BASE)),build/linux,build/linux-$(BASE)))
export WB_BASE := $(BASE)
export WB_TREE := $(TREE)
export WB_LOGS := $(CURDIR)/build/$(if $(filter mainline,$(BASE)),,$(BASE)/)logs
export WB_SETUPS := $(SETUPS)
export WB_STORM_SECONDS := $(STORM_SECONDS)
export WB_GATES := $(GATES)
export WB_MATRIX := $(MATRIX)
export WB_SANITIZERS := $(SANITIZERS)
export WB_CATEGORIES := $(CATEGORIES)
export WB_RUNS := $(RUNS)
export WB_MIN_PASS := $(MIN_PASS)
export WB_RANDCONFIG_SEEDS := $(RANDCONFIG_SEEDS)
export WB_ROUNDS := $(ROUNDS)
export WB_UML_VARIANTS := $(UML_VARIANTS)
export WB_UML_ROUNDS := $(UML_ROUNDS)
export WB_UML_NCPUS := $(UML_NCPUS)
export WB_DEB_CONFIG := $(DEB_CONFIG)
SUB := -s --no-print-directory

# Run from the command line, a target that checks something collects its
# checks in a new build/results/TARGET (make check: build/check/results),
# runs as a sub-make however it ends, and prints the verdict.
VERDICT_GOALS := all report gates mutants matrix soak arm64 backport sanitizers \
	mm-selftests build-coverage bench bench-uml bench-uml-noise bench-noise deb check check-full
GOALS := $(or $(MAKECMDGOALS),all)
ifeq ($(WB_IN_VERDICT)$(if $(filter $(VERDICT_GOALS),$(GOALS)),,none),)
ifneq ($(words $(GOALS)),1)
$(error make $(GOALS): name one target that checks at a time (make clean, deps or tree first, on their own))
endif
export WB_IN_VERDICT := 1
WB_RESULTS_DIR ?= $(CURDIR)/build/$(if $(filter mainline,$(BASE)),,$(BASE)/)results
export WB_RESULTS := $(if $(filter check%,$(GOALS)),$(CURDIR)/build/check/results,$(WB_RESULTS_DIR)/$(GOALS))
$(GOALS): verdict ; @:
verdict:
	@mkdir -p $(dir $(WB_RESULTS)) && rm -f $(WB_RESULTS) $(WB_RESULTS).times $(WB_RESULTS).total
	@scripts/step.sh "make $(GOALS)" $(MAKE) $(SUB) $(GOALS)
	@scripts/summary.sh $(WB_RESULTS)
.PHONY: verdict $(GOALS)
else

all: report

deps:
	@scripts/deps.sh

# (Re)create the lru-drain branch of the tree from the queue, and the noise
# branch on it from the second queue (patches/noise: vmstat, memcg, slab).
# One make at a time per tree (make check makes the 6.12 tree in the
# background).
tree: | deps
	@mkdir -p build
ifeq ($(KSRC),)
	@flock $(TREE).lock scripts/get-base.sh bases/$(BASE) $(TREE)
endif
	@flock $(TREE).lock scripts/tree.sh $(TREE) $(KSRC)

# Write the tree's lru-drain and noise branches back to the queues.
export:
	@scripts/export.sh $(TREE)

# Build the test kernels patch by patch with the per-patch gates. report
# boots what the walk built even when a gate other than a build failed.
STEP = @scripts/step.sh
gates: tree
	$(STEP) gates scripts/gates.sh $(TREE)

report: tree
	$(STEP) gates scripts/gates.sh $(TREE)
	$(STEP) isolation scripts/isolation.sh $(TREE)

# The teeth of the tests: each deliberately broken variant of the series in
# mutants/ must be caught by the selftest or by lockdep (mainline only).
# Here and below, the walk's results are already in make report's.
GATES_QUIET = @WB_RESULTS=/dev/null scripts/gates.sh $(TREE) >/dev/null 2>&1; \
	[ -f build/$(if $(filter mainline,$(BASE)),,$(BASE)/)kernels/test.key ] || \
	{ echo "error: the test kernels of this tree did not build: run make gates" >&2; exit 1; }
mutants: tree
	$(GATES_QUIET)
	$(STEP) mutants scripts/mutants.sh $(TREE)

# The series also builds for PREEMPT_RT and !SMP (every kernel patch with
# MATRIX=every); the RT kernel boots and passes the selftest. X86_RT=0 leaves
# the x86 RT kernel out: make check does, as its arm64 kernels are RT.
matrix: tree
ifeq ($(X86_RT),1)
	$(STEP) "matrix rt" env WB_MATRIX_BASE=1 scripts/matrix.sh $(TREE) rt $(TEST_CONFIG) config/rt.config
endif
	$(STEP) "matrix nosmp" env WB_MATRIX_OBJECTS=1 scripts/matrix.sh $(TREE) nosmp $(TEST_CONFIG) config/nosmp.config
ifeq ($(X86_RT),1)
	$(STEP) "boot rt" scripts/boot-selftest.sh rt
endif
TEST_CONFIG := config/base.config config/$(BASE).config config/debug.config

# Lockdep soak with CPU hotplug and a drain storm.
soak: tree
	$(GATES_QUIET)
	$(STEP) soak scripts/soak.sh tip debug $(SOAK_SECONDS)

# The series on arm64 (PREEMPT_RT unless ARM64_RT=0): every kernel patch
# cross-built, base and series booted under qemu-system-aarch64 (TCG), the
# selftest with its negative control.
arm64: tree
	$(STEP) arm64 env WB_ARM64_RT=$(ARM64_RT) scripts/arm64.sh $(TREE)

# The 6.12 backport as make check runs it: it applies, every patch builds,
# the selftest fails on its base and passes on it.
backport:
	@$(MAKE) $(SUB) report BASE=6.12 KSRC= GATES=build SETUPS=domain STORM_SECONDS=0

# The series under KASAN and KCSAN: the selftest and a 60 s soak on each.
sanitizers: tree
	$(GATES_QUIET)
	$(STEP) sanitizers scripts/sanitizers.sh $(TREE)

# The kernel's own mm selftests (run_vmtests.sh categories) on the base and
# series test kernels: every test must give the same result on both.
mm-selftests: tree
	$(GATES_QUIET)
	$(STEP) mm-selftests scripts/mm-selftests.sh $(TREE)

# Every kernel patch compiles the files it touches under allmodconfig and
# fixed-seed randconfigs.
build-coverage: tree
	$(STEP) build-coverage scripts/build-coverage.sh $(TREE)

# A/B benchmark: bench-uml, bench-uml-noise and bench-noise, then the batch
# paths of base and series in the non-debug config under qemu -icount and
# the drain at 2 to 8 vCPUs (build/report/bench.*).
bench: bench-uml bench-uml-noise bench-noise
	$(STEP) bench scripts/bench.sh $(TREE)

# The batch paths timed in UML kernels on the host CPU: base, v7's keyed
# design and this series (build/report/bench-uml.*).
bench-uml: tree
	$(STEP) bench-uml scripts/uml-bench.sh $(TREE)

# The second queue's paths, the LRU series against both queues, in UML
# (build/report/bench-uml-noise.*).
bench-uml-noise: tree
	$(STEP) bench-uml-noise env WB_UML_BENCH=noise WB_UML_VARIANTS="series noise" \
		scripts/uml-bench.sh $(TREE)

# The same paths under qemu -icount, from user space: faults, mmap() under
# both overcommit policies, open() and close() (build/report/bench-noise.*).
bench-noise: tree
	$(STEP) bench-noise env WB_BENCH=noise scripts/bench.sh $(TREE)

# Installable Debian packages of the series for your own machine, from
# DEB_CONFIG plus what the series and its selftest need (build/deb/).
deb: tree
	$(STEP) deb scripts/deb.sh $(TREE)

# Every test. A step that stops early is a failure of its own; the summary
# lists each step's time. make check keeps to the hour (cold, 2 cores):
# arm64 and the 6.12 backport, about 15 minutes cold, are in check-full.
# There the 6.12 tree is fetched and unpacked while make report fetches
# and unpacks its own, which leaves a core idle; make backport waits for it.
EVERY = $(filter every,$(MATRIX))
check: deps
	@mkdir -p build/check && rm -rf build/check/harness build/check/tree-6.12.*
ifeq ($(BASE)$(EVERY),mainlineevery)
	@{ $(MAKE) $(SUB) tree BASE=6.12 KSRC= >build/check/tree-6.12.log 2>&1; \
	   echo $$? >build/check/tree-6.12.rc; } & echo $$! >build/check/tree-6.12.pid
endif
	$(STEP) "make report" $(MAKE) $(SUB) report
	$(STEP) "make mutants" $(MAKE) $(SUB) mutants
	$(STEP) "make matrix$(if $(EVERY),, X86_RT=0)" $(MAKE) $(SUB) matrix X86_RT=$(if $(EVERY),1,0)
	$(STEP) "make soak" $(MAKE) $(SUB) soak SOAK_SECONDS=120
	$(STEP) "make mm-selftests$(if $(EVERY),, (without memcg))" env $(if $(EVERY),,WB_CATEGORIES_SKIP=memcg) $(MAKE) $(SUB) mm-selftests
	$(if $(EVERY),$(STEP) "make arm64" $(MAKE) $(SUB) arm64 ARM64_RT=1)
	$(if $(EVERY),$(STEP) "make arm64 ARM64_RT=0" $(MAKE) $(SUB) arm64 ARM64_RT=0)
	$(STEP) "make deb (small config)" $(MAKE) $(SUB) deb DEB_CONFIG=small
ifeq ($(BASE)$(EVERY),mainlineevery)
	@while [ ! -f build/check/tree-6.12.rc ] && kill -0 $$(cat build/check/tree-6.12.pid) 2>/dev/null; do sleep 1; done; \
	[ "$$(cat build/check/tree-6.12.rc 2>/dev/null)" = 0 ] || { \
	echo "note: the 6.12 tree made in the background failed (build/check/tree-6.12.log); make backport tries again"; \
	tail -n 5 build/check/tree-6.12.log; }
endif
	$(if $(EVERY),$(STEP) "make backport" $(MAKE) $(SUB) backport)
	$(if $(EVERY),$(STEP) "make sanitizers" $(MAKE) $(SUB) sanitizers)
	$(if $(EVERY),$(STEP) "make build-coverage" $(MAKE) $(SUB) build-coverage)
	$(STEP) "harness tests" tests/harness.sh

# make check with every kernel patch built for PREEMPT_RT, !SMP and arm64,
# the x86 RT kernel, arm64 with and without RT, the 6.12 backport, the memcg
# selftest, KASAN and KCSAN, allmodconfig and randconfig builds.
check-full:
	@$(MAKE) $(SUB) check MATRIX=every

endif

define TARGETS
all, report      build base and series (and the second queue's kernel), boot
                 each in each set-up (the tables)
check            every test below that fits in an hour (CI runs it)
check-full       check, and every patch built for RT, !SMP and arm64, the x86
                 RT boot, arm64 (RT and not), the 6.12 backport, the memcg
                 selftest, KASAN, KCSAN, build-coverage
gates            per patch: builds, checkpatch --strict, W=1, sparse, cocci
mutants          each broken variant in mutants/ must be caught
matrix           PREEMPT_RT and !SMP builds; the RT kernel boots the selftest
soak             lockdep soak: drains, CPU hotplug, partition flips
mm-selftests     the kernel's mm selftests on base and series
arm64            cross-built arm64 (RT) kernels booted with the selftest
backport         the 6.12 queue: applies, builds, selftest fails/passes
sanitizers       KASAN and KCSAN kernels: selftest, soak, KCSAN mutant
build-coverage   allmodconfig and randconfig builds of touched files
bench            A/B cost: the three below, then the LRU paths under qemu -icount
bench-uml        the LRU paths in UML on the host CPU: base, v7, series
bench-uml-noise  the second queue's paths in UML, against the LRU series
bench-noise      the same paths under qemu -icount, against the LRU series
deb              Debian packages of the LRU series for your machine
tree, export     apply the queues to the tree / write the tree back
deps             install the Debian packages the workbench needs (root)
clean            remove kernels, objects, logs, reports and results
                 (not the trees, the guests' tools, nor ccache)
endef
help: export HELP_TARGETS = $(TARGETS)
help: export HELP_KNOBS = $(KNOBS)
help:
	@echo "Targets (make TARGET; each that checks ends with 'N passed, N failed'):"
	@echo "$$HELP_TARGETS" | sed 's/^/  /'
	@echo "Knobs (make TARGET NAME=value; NAME in the environment is ignored):"
	@echo "$$HELP_KNOBS" | sed 's/^/  /'

clean:
	rm -rf build/obj build/kernels build/report build/check build/results build/gates build/logs build/6.12 build/mm-selftests build/deb

.PHONY: all deps tree export gates report mutants matrix soak arm64 backport sanitizers mm-selftests build-coverage bench bench-uml bench-uml-noise bench-noise deb check check-full help clean
