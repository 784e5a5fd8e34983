// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmarks for the paths the two series touch, in the style of
 * will-it-scale: one process, a loop per sample, the first sample dropped.
 *
 *   fault_anon   mmap anonymous memory, write a byte per page, munmap
 *                (lru_add batch)
 *   fault_file   the same on a private mapping of a file (page cache,
 *                copy-on-write anonymous folios: lru_add batch)
 *   fault_mlock  the same on an MLOCK_ONFAULT mapping (mlock batch)
 *   madvise      fault, MADV_COLD and MADV_FREE, munmap (deactivate and
 *                lazyfree batches)
 *   drain        one lru_add_drain_all() while every other CPU holds
 *                nearly full lru_add, lazyfree and mlock batches (30
 *                folios each): posix_fadvise(DONTNEED) of a file page
 *                that is mapped, so it cannot be invalidated and the
 *                kernel drains all CPUs before retrying
 *   mmap_guess   mmap and munmap one writable private anonymous page under
 *                overcommit_memory=0 (__vm_enough_memory())
 *   mmap_never   the same under overcommit_memory=2, the strict check
 *   open_close   open and close /dev/null: slab allocations and frees
 *                (the path name and the struct file), none through RCU
 *   cpu=N        run the benchmarks that follow pinned to CPU N
 *
 * Prints "bench NAME UNIT best median" with ns per page (per drain for
 * drain, per pair of calls for mmap_* and open_close) from CLOCK_MONOTONIC.
 * Under qemu -icount shift=0 a guest ns is one instruction, which is what
 * makes the numbers repeatable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGES		1024	/* 4 MiB a sample */
#define SAMPLES		9	/* the first is warm-up */
#define DRAINS		20
#define OPS		1024	/* mmap_* and open_close: pairs a sample */
#define BATCH_FILL	30	/* FOLIO_BATCH_SIZE - 1: the 31st add flushes */

static long page_size;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, const char *unit,
		   unsigned long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ull);
	printf("bench %s %s %llu %llu\n", name, unit, v[0], v[n / 2]);
	fflush(stdout);
}

static int open_file(const char *name, int pages)
{
	char *buf = calloc(pages, page_size);
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || !buf || write(fd, buf, pages * page_size) != pages * page_size)
		die(name);
	fsync(fd);
	free(buf);
	return fd;
}

/*
 * The test config has THP always and the guest enables every mTHP size, and
 * a large folio does not stay in a batch: without this, a 4 MiB mapping
 * would be two huge-page faults, and the benchmarks would time clearing 2
 * MiB instead of the 4 KiB path the series changes.
 */
static void no_large_folios(void *p, size_t len)
{
	if (madvise(p, len, MADV_NOHUGEPAGE) && errno != EINVAL)	/* no THP */
		die("madvise(MADV_NOHUGEPAGE)");
}

/* One sample of a fault benchmark; returns ns per page. */
static unsigned long long fault_sample(const char *name, int fd)
{
	size_t len = PAGES * page_size;
	unsigned long long t0 = now_ns();
	char *p;

	if (fd >= 0)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	else
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	no_large_folios(p, len);
	if (!strcmp(name, "fault_mlock") &&
	    mlock2(p, len, MLOCK_ONFAULT))
		die("mlock2");
	for (size_t off = 0; off < len; off += page_size)
		p[off] = 1;
	if (!strcmp(name, "madvise") &&
	    (madvise(p, len, MADV_COLD) || madvise(p, len, MADV_FREE)))
		die("madvise");
	munmap(p, len);
	return (now_ns() - t0) / PAGES;
}

static void bench_faults(const char *name)
{
	unsigned long long v[SAMPLES];
	int fd = -1;

	if (!strcmp(name, "fault_file"))
		fd = open_file("lru_bench.file", PAGES);
	for (int i = 0; i < SAMPLES; i++)
		v[i] = fault_sample(name, fd);
	report(name, "ns/page", v + 1, SAMPLES - 1);
	if (fd >= 0)
		close(fd);
}

static void set_overcommit(char policy)
{
	int fd = open("/proc/sys/vm/overcommit_memory", O_WRONLY);

	if (fd < 0 || write(fd, &policy, 1) != 1)
		die("overcommit_memory");
	close(fd);
}

/* One sample of mmap_*: one accounted mapping made and removed; ns per pair. */
static unsigned long long mmap_sample(void)
{
	unsigned long long t0 = now_ns();

	for (int i = 0; i < OPS; i++) {
		void *p = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		munmap(p, page_size);
	}
	return (now_ns() - t0) / OPS;
}

static unsigned long long open_close_sample(void)
{
	unsigned long long t0 = now_ns();

	for (int i = 0; i < OPS; i++) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd < 0)
			die("/dev/null");
		close(fd);
	}
	return (now_ns() - t0) / OPS;
}

static void bench_ops(const char *name)
{
	unsigned long long v[SAMPLES];
	int is_mmap = strncmp(name, "mmap_", 5) == 0;

	if (is_mmap)
		set_overcommit(strcmp(name, "mmap_never") ? '0' : '2');
	for (int i = 0; i < SAMPLES; i++)
		v[i] = is_mmap ? mmap_sample() : open_close_sample();
	if (is_mmap)
		set_overcommit('0');
	report(name, "ns/op", v + 1, SAMPLES - 1);
}

static char *map_pages(int pages)
{
	char *p = mmap(NULL, pages * page_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	no_large_folios(p, pages * page_size);
	return p;
}

static void touch(char *p, int pages)
{
	for (int i = 0; i < pages; i++)
		p[i * page_size] = 1;
}

/*
 * Fill this CPU's lru_add, lazyfree and mlock batches with BATCH_FILL folios
 * each. mlock2() and MADV_FREE drain the local batches first, so each batch
 * is filled after the last call that would empty it. Nothing is unmapped:
 * munmap() would drain too.
 */
static void fill_batches(void)
{
	char *lazy = map_pages(BATCH_FILL), *locked = map_pages(BATCH_FILL);

	if (mlock2(locked, BATCH_FILL * page_size, MLOCK_ONFAULT))
		die("mlock2");
	touch(lazy, BATCH_FILL);
	if (madvise(lazy, BATCH_FILL * page_size, MADV_FREE))
		die("madvise");
	touch(locked, BATCH_FILL);
	touch(map_pages(BATCH_FILL), BATCH_FILL);
}

/*
 * Every other CPU runs a filler that fills its batches each time the round
 * number changes, then spins. CPU 0 waits until all are filled and times
 * one drain.
 */
static void bench_drain(void)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	volatile unsigned int *shared;
	unsigned long long v[DRAINS];
	pid_t pids[256];
	char *mapped;
	int fd;

	shared = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die("mmap shared");
	fd = open_file("lru_bench.drain", 1);
	mapped = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, 0);
	if (mapped == MAP_FAILED)
		die("mmap file");
	pin(0);
	(void)*(volatile char *)mapped;

	for (int cpu = 1; cpu < ncpus && cpu < 256; cpu++) {
		pids[cpu] = fork();
		if (pids[cpu] < 0)
			die("fork");
		if (!pids[cpu]) {
			unsigned int round = 0;

			pin(cpu);
			for (;;) {
				while (shared[0] == round)
					;
				round = shared[0];
				fill_batches();
				__atomic_fetch_add(&shared[1], 1, __ATOMIC_SEQ_CST);
			}
		}
	}

	for (int i = 0; i < DRAINS; i++) {
		unsigned long long t0;

		shared[1] = 0;
		__atomic_fetch_add(&shared[0], 1, __ATOMIC_SEQ_CST);
		while (shared[1] != (unsigned int)(ncpus - 1))
			;
		t0 = now_ns();
		posix_fadvise(fd, 0, page_size, POSIX_FADV_DONTNEED);
		v[i] = now_ns() - t0;
	}
	for (int cpu = 1; cpu < ncpus && cpu < 256; cpu++) {
		kill(pids[cpu], SIGKILL);
		waitpid(pids[cpu], NULL, 0);
	}
	report("drain", "ns/drain", v + 1, DRAINS - 1);
}

int main(int argc, char **argv)
{
	page_size = sysconf(_SC_PAGESIZE);
	if (argc < 2) {
		fprintf(stderr, "usage: %s [cpu=N] fault_anon|fault_file|fault_mlock|madvise|drain|mmap_guess|mmap_never|open_close...\n",
			argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "cpu=", 4))
			pin(atoi(argv[i] + 4));
		else if (!strcmp(argv[i], "drain"))
			bench_drain();
		else if (!strncmp(argv[i], "mmap_", 5) || !strcmp(argv[i], "open_close"))
			bench_ops(argv[i]);
		else
			bench_faults(argv[i]);
	}
	return 0;
}
