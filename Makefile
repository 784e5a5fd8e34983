# The workbench for the LRU folio batch series. Two commands matter:
#   make        - build base and series, boot both with nohz_full, print the
#                 isolation table (build/report/isolation.md)
#   make check  - every test; the last line is "N passed, N failed"
# KSRC=/path/to/kernel/git/tree puts the series on that tree instead of
# Debian's linux-source-6.12 (in a new worktree; the tree itself is untouched).

SHELL := /bin/bash
KSRC ?=
TREE := $(if $(KSRC),build/ksrc,build/linux)
RESULTS := build/check/results
TEST_CONFIG := config/base.config config/debug.config

all: report

deps:
	@scripts/deps.sh

# (Re)create the lru-drain branch of the tree from patches/.
tree: | deps
ifeq ($(KSRC),)
	@scripts/get-base.sh $(TREE)
endif
	@scripts/tree.sh $(TREE) $(KSRC)

# Write the tree's lru-drain branch back to patches/.
export:
	@scripts/export.sh $(TREE)

# Build the test kernels patch by patch with the per-patch gates.
gates: tree
	@mkdir -p build/check
	@RESULTS=$(RESULTS) scripts/gates.sh $(TREE)

report: gates
	@RESULTS=$(RESULTS) scripts/isolation.sh $(TREE)

# Every kernel patch also builds for PREEMPT_RT and !SMP; the RT kernel boots
# and passes the selftest.
matrix: tree
	@RESULTS=$(RESULTS) scripts/matrix.sh $(TREE) rt $(TEST_CONFIG) config/rt.config
	@RESULTS=$(RESULTS) scripts/matrix.sh $(TREE) nosmp $(TEST_CONFIG) config/nosmp.config
	@RESULTS=$(RESULTS) scripts/boot-selftest.sh rt

# Lockdep soak with CPU hotplug and a drain storm; SOAK_SECONDS=600 by default
# here, 120 in make check.
SOAK_SECONDS ?= 600
soak: | build/kernels/test-series.bzImage
	@RESULTS=$(RESULTS) scripts/soak.sh test-series debug $(SOAK_SECONDS)

build/kernels/test-series.bzImage:
	@$(MAKE) -s --no-print-directory gates

# The series on arm64: every kernel patch cross-built, base and series booted
# under qemu-system-aarch64 (TCG), the selftest with its negative control.
arm64: tree
	@mkdir -p build/check
	@RESULTS=$(RESULTS) scripts/arm64.sh $(TREE)

# A/B benchmark of the non-debug config: fault paths under qemu -icount,
# drain latency at 2 to 16 vCPUs (build/report/bench.*).
bench: tree
	@scripts/bench.sh $(TREE)

# A step that stops early is a failure of its own; the summary always runs.
check: deps
	@rm -rf build/check && mkdir -p build/check
	@$(MAKE) -s --no-print-directory report || echo "FAIL make report stopped" >>$(RESULTS)
	@$(MAKE) -s --no-print-directory matrix || echo "FAIL make matrix stopped" >>$(RESULTS)
	@$(MAKE) -s --no-print-directory soak SOAK_SECONDS=120 || echo "FAIL make soak stopped" >>$(RESULTS)
	@$(MAKE) -s --no-print-directory arm64 || echo "FAIL make arm64 stopped" >>$(RESULTS)
	@RESULTS=$(RESULTS) tests/harness.sh || echo "FAIL harness tests stopped" >>$(RESULTS)
	@scripts/summary.sh $(RESULTS)

clean:
	rm -rf build/obj build/kernels build/report build/check build/gates build/logs

.PHONY: all deps tree export gates report matrix soak arm64 bench check clean
