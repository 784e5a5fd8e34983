// SPDX-License-Identifier: GPL-2.0
/*
 * The workbench's drain checker (not part of the series): run in the guest as
 * /bin/lru_drain_isolation, it fills every batch type user space can reach,
 * fires five drain triggers and counts work items, IPIs and preemptions on
 * the isolated CPU. The isolation table, the mutants and the storm read it.
 * It began as the v7 selftest; the series now carries a short kselftest.
 */
/*
 * Draining the per-CPU LRU folio batches (lru_add_drain_all() and
 * lru_cache_disable()) must not disturb isolated (nohz_full) CPUs.
 *
 * A child pinned to an isolated CPU fills that CPU's folio batches through
 * ordinary syscalls and page faults, then spins in user space. Each fill
 * covers lru_add, mlock and lru_activate, and one of lru_lazyfree,
 * lru_deactivate and lru_deactivate_file (see child_fill()). The parent,
 * on a housekeeping CPU, fires a trigger that drains the batches of all
 * CPUs. Tracefs, with a marker before and after each trigger, shows
 * whether any work item, IPI or context switch hit the isolated CPU, and
 * /proc/kpageflags shows whether the drain did to the batched folios what
 * it should. For cma_alloc, /proc/zoneinfo shows whether the isolated
 * CPU's pcp lists were drained.
 *
 * The test file goes to a new directory in $TMPDIR (/var/tmp if unset),
 * which must not be tmpfs: its page cache has to be evictable.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mempolicy.h>
#include <linux/types.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "../kselftest.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT		1
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr)		(1ULL << (nr))
#endif

#define KPF_REFERENCED		BIT_ULL(2)
#define KPF_LRU			BIT_ULL(5)
#define KPF_ACTIVE		BIT_ULL(6)
#define KPF_SWAPBACKED		BIT_ULL(14)
#define KPF_COMPOUND_HEAD	BIT_ULL(15)
#define KPF_COMPOUND_TAIL	BIT_ULL(16)
/* a large folio never waits in a batch */
#define KPF_LARGE		(KPF_COMPOUND_HEAD | KPF_COMPOUND_TAIL)
#define KPF_UNEVICTABLE		BIT_ULL(18)
#define KPF_MLOCKED		BIT_ULL(33)
#define PM_PFN_MASK		(BIT_ULL(55) - 1)
#define PM_PRESENT		BIT_ULL(63)

#define AREA_PAGES		4	/* pages in each area */
#define FILLER_PAGES		64
#define FILE_PAGES		16
/*
 * fadvise() drains its CPU's batches when it first releases a lookup batch
 * of FOLIO_BATCH_SIZE (31) folios; what it queues after that stays queued.
 */
#define LOOKUP_BATCH		31
#define H_FIRST			(AREA_PAGES + LOOKUP_BATCH)
#define G_FILE_PAGES		(H_FIRST + AREA_PAGES)
#define TRACING			"/sys/kernel/tracing"
#define DEBUGFS			"/sys/kernel/debug"
#define COMPACT_UNEVICTABLE	"/proc/sys/vm/compact_unevictable_allowed"
#define KHUGEPAGED_SLEEP	"/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs"
#define CMD_TIMEOUT_US		(10 * 1000 * 1000)
#define SETTLE_US		(100 * 1000)
#define SPIN_PAGES		4	/* see spin_pfns() */

enum child_cmd { CMD_SETUP, CMD_FILL, CMD_CLEANUP };

/*
 * The child's areas. A: anonymous, lru_add batch. M: mlocked, mlock batch.
 * L: anonymous, lru_lazyfree or lru_deactivate batch, as the fill says.
 * G: the first pages of file G, read twice, lru_activate batch.
 * H: the last pages of G, held by a pipe, lru_deactivate_file batch.
 */
enum area { AREA_A, AREA_M, AREA_L, AREA_G, AREA_H, NR_AREAS };

/*
 * mlock2(), madvise() and fadvise() each drain the caller's batches first
 * (munmap() too, before 7.x), so one fill can hold only one of the batches
 * that such a call fills.
 */
enum fill { FILL_LAZYFREE, FILL_DEACTIVATE, FILL_DEACTIVATE_FILE, NR_FILLS };

static const char * const fill_names[NR_FILLS] = {
	"lazyfree", "deactivate", "deactivate_file",
};

enum trigger { FADVISE, MOVE_PAGES, DROP_CACHES, COMPACT_MEMORY, CMA_ALLOC, NR_TRIGGERS };

static const char * const trigger_names[NR_TRIGGERS] = {
	"fadvise", "move_pages", "drop_caches", "compact_memory", "cma_alloc",
};

/*
 * Which batch the fill before each trigger holds besides lru_add, mlock and
 * lru_activate. drop_caches would itself queue H for deactivation on the
 * housekeeping CPU, and so hide a drain that missed it; the fadvise
 * trigger drops another file.
 */
static const enum fill trigger_fills[NR_TRIGGERS] = {
	[FADVISE]	 = FILL_LAZYFREE,
	[MOVE_PAGES]	 = FILL_DEACTIVATE_FILE,
	[DROP_CACHES]	 = FILL_DEACTIVATE,
	[COMPACT_MEMORY] = FILL_DEACTIVATE_FILE,
	[CMA_ALLOC]	 = FILL_LAZYFREE,
};

enum result { BATCHED, NO_WORK, NO_IPI, NOT_PREEMPTED, COMPLETE, PCP_DRAINED, NR_RESULTS };

static const char * const result_names[NR_RESULTS] = {
	"isolated CPU holds batched folios",
	"no work on isolated CPU",
	"no IPI to isolated CPU",
	"isolated task not preempted",
	"drain complete",
	"isolated CPU's pcp lists drained",	/* cma_alloc only */
};

enum batch {
	NO_BATCH, LRU_ADD, MLOCK, LAZYFREE, DEACTIVATE, ACTIVATE, DEACTIVATE_FILE, NR_BATCHES
};

static const char * const batch_names[NR_BATCHES] = {
	"none", "lru_add", "mlock", "lazyfree", "deactivate", "activate", "deactivate_file",
};

/*
 * kpageflags a page of each batch must have set and clear, while batched
 * and once drained. A new folio waits off the LRU in lru_add and mlock. A
 * folio queued for a move between LRU lists stays on its list until the
 * drain moves it, so the change the move makes tells: lru_lazyfree clears
 * PG_swapbacked, lru_activate sets PG_active (folio_mark_accessed()
 * cleared PG_referenced as it queued the folio), lru_deactivate clears
 * it, and lru_deactivate_file clears PG_referenced and PG_active. Until
 * then the folio keeps PG_lru, which queueing it required.
 */
static const __u64 batched_flags[NR_BATCHES][2] = {
	[LRU_ADD]	  = { 0, KPF_LRU | KPF_LARGE },
	[MLOCK]		  = { KPF_MLOCKED, KPF_LRU | KPF_LARGE },
	[LAZYFREE]	  = { KPF_LRU | KPF_SWAPBACKED, KPF_LARGE },
	[DEACTIVATE]	  = { KPF_LRU | KPF_ACTIVE, KPF_LARGE },
	[ACTIVATE]	  = { KPF_LRU, KPF_ACTIVE | KPF_REFERENCED | KPF_LARGE },
	[DEACTIVATE_FILE] = { KPF_LRU | KPF_REFERENCED, KPF_LARGE },
};

static const __u64 drained_flags[NR_BATCHES][2] = {
	[LRU_ADD]	  = { KPF_LRU, 0 },
	[MLOCK]		  = { KPF_LRU | KPF_UNEVICTABLE, 0 },
	[LAZYFREE]	  = { KPF_LRU, KPF_SWAPBACKED },
	[DEACTIVATE]	  = { KPF_LRU, KPF_ACTIVE },
	[ACTIVATE]	  = { KPF_LRU | KPF_ACTIVE, 0 },
	[DEACTIVATE_FILE] = { KPF_LRU, KPF_ACTIVE | KPF_REFERENCED },
};

static const struct {
	const char *event;
	const char *filter;	/* formatted with the isolated CPU */
	bool optional;
} trace_events[] = {
	{ "workqueue/workqueue_queue_work",	"cpu == %d",		false },
	{ "workqueue/workqueue_execute_start",	NULL,			false },
	{ "sched/sched_switch",			NULL,			false },
	{ "ipi/ipi_send_cpu",			"cpu == %d",		false },
	{ "ipi/ipi_send_cpumask",		"cpumask & CPUS{%d}",	false },
	/* Names the function behind a generic call-function IPI. */
	{ "csd/csd_queue_cpu",			"cpu == %d",		true },
};

/* Shared with the child; the sequence numbers use __atomic accesses. */
struct control {
	enum child_cmd cmd;
	enum fill fill;
	unsigned int cmd_seq;		/* bumped by the parent to post cmd */
	unsigned int done_seq;		/* set to cmd_seq by the child */
	int err;			/* -errno of the failed step, or 0 */
	const char *failed_step;
	char *area[NR_AREAS];		/* addresses in the child */
	/* the spin, called through here so that it is not inlined */
	unsigned int (*spin)(struct control *c, unsigned int seen);
	char *spin_stack;		/* see spin_pfns() */
};

struct drain_noise {
	int queued;			/* work queued for the isolated CPU */
	int executed;			/* work run on the isolated CPU */
	int ipis;
	int tlb_ipis;			/* not in ipis, see count_ipi() */
	int wakeup_ipis;		/* in ipis unless vmstat_work */
	int vmstat_work;		/* not in queued/executed, see count_event() */
	int switches;			/* the child preempted on the isolated CPU */
	int sleeps;			/* the child switched out asleep there */
	int markers;			/* trace_marker()s seen: 1 begin, 2 end */
	bool spin_page_moved;		/* see spin_pfns() */
	/* by sending CPU: what its last csd for the isolated CPU was for */
	enum { CSD_OTHER, CSD_TLB_FLUSH, CSD_WAKEUP } csd[CPU_SETSIZE];
};

static struct control *ctl;
static pid_t child_pid, main_pid;
static int iso_cpu = -1, hk_cpu = -1;
static bool iso_domain;		/* out of the scheduler domains too */
static long page_size;
static int file_fd = -1, file_g_fd = -1, kpageflags_fd = -1, pagemap_fd = -1;
static int own_pagemap_fd = -1;
static int child_fd_g = -1, child_pipe[2] = { -1, -1 };
static bool mglru;	/* multi-gen LRU enabled */
static char *own_page, *read_buf;
static char cma_dir[256];
static bool tracing_ready;
/* tracefs, and a directory of the test's own, removed at exit */
static char trace_dir[128], test_dir[PATH_MAX], test_file[PATH_MAX + 8];
static char test_file_g[PATH_MAX + 8];
static int saved_compact_unevictable = -1;
static char saved_khugepaged_sleep[16];

static int write_file(const char *path, const char *val)
{
	ssize_t len = strlen(val);
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	errno = EIO;
	if (write(fd, val, len) != len)
		err = -errno;
	close(fd);
	return err;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t len = -1;

	if (fd >= 0) {
		len = read(fd, buf, size - 1);
		close(fd);
	}
	buf[len > 0 ? len : 0] = '\0';
	return len < 0 ? -1 : 0;
}

/* Does a cpulist such as "2-3,5" contain @cpu? Parsing stops at a blank. */
static bool cpulist_contains(const char *list, int cpu)
{
	const char *p = list;

	while (p && isdigit((unsigned char)*p)) {
		char *end;
		long first = strtol(p, &end, 10), last = first;

		if (*end == '-')
			last = strtol(end + 1, &end, 10);
		if (cpu >= first && cpu <= last)
			return true;
		p = *end == ',' ? end + 1 : NULL;
	}
	return false;
}

/*
 * Does the hex bitmap printed by %*pb, such as "0000000c" or
 * "00000001,00000000", have the bit of @cpu set?
 */
static bool cpumask_contains(const char *mask, int cpu)
{
	size_t len = strspn(mask, "0123456789abcdefABCDEF,");
	int bit = 0;

	for (const char *p = mask + len; p-- > mask; ) {
		int digit;

		if (*p == ',')
			continue;
		digit = isdigit((unsigned char)*p) ? *p - '0' : tolower(*p) - 'a' + 10;
		if (cpu >= bit && cpu < bit + 4)
			return digit & (1 << (cpu - bit));
		bit += 4;
	}
	return false;
}

/*
 * A CPU counts as isolated if it is isolated from the scheduler domains at
 * boot (isolcpus=domain), from kernel noise (nohz_full=), or at run time in
 * a cpuset v2 isolated partition. @domain: only the scheduler domains.
 */
static bool cpu_isolated(int cpu, bool domain)
{
	static const char * const lists[] = {
		"/sys/devices/system/cpu/isolated",
		"/sys/fs/cgroup/cpuset.cpus.isolated",
		"/sys/devices/system/cpu/nohz_full",
	};
	char list[256];

	for (size_t i = 0; i < ARRAY_SIZE(lists) - domain; i++)
		if (!read_file(lists[i], list, sizeof(list)) && cpulist_contains(list, cpu))
			return true;
	return false;
}

static void find_cpus(void)
{
	char online[256];

	read_file("/sys/devices/system/cpu/online", online, sizeof(online));

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!cpulist_contains(online, cpu))
			continue;
		if (!cpu_isolated(cpu, false)) {
			if (hk_cpu < 0)
				hk_cpu = cpu;
		} else if (iso_cpu < 0) {
			iso_cpu = cpu;
			iso_domain = cpu_isolated(cpu, true);
		}
	}
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static bool ensure_mounted(const char *path, long magic, const char *type)
{
	struct statfs st;

	if (!statfs(path, &st) && st.f_type == magic)
		return true;
	return !mount("nodev", path, type, 0, NULL);
}

/*
 * Large folios skip the batches (folio_may_be_lru_cached()), and with mTHP
 * enabled a fault may allocate one: the test's memory is kept to small
 * folios.
 */
static char *map_anon(int nr_pages)
{
	char *p = mmap(NULL, nr_pages * page_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, nr_pages * page_size, MADV_NOHUGEPAGE);
	return p;
}

static void touch_pages(char *p, int nr_pages)
{
	for (int i = 0; i < nr_pages; i++)
		p[i * page_size] = 1;
}

/*
 * Pages on @cpu's pcp lists, summed over all zones. drain_all_pages(zone)
 * drains only the CMA area's zone, but the guest has a single populated
 * zone for movable memory (DMA32, 2 GiB), so that is where they all are.
 */
static int pcp_count(int cpu)
{
	FILE *zoneinfo = fopen("/proc/zoneinfo", "r");
	int cur = -1, count = 0, val;
	char line[256];

	if (!zoneinfo)
		return -1;
	while (fgets(line, sizeof(line), zoneinfo)) {
		if (sscanf(line, " cpu: %d", &val) == 1)
			cur = val;
		else if (cur == cpu && sscanf(line, " count: %d", &val) == 1)
			count += val;
	}
	fclose(zoneinfo);
	return count;
}

static int child_failed(const char *step)
{
	ctl->failed_step = step;
	return errno ? -errno : -EIO;
}

/*
 * A task outside a cpuset isolated partition cannot be pinned to one of its
 * CPUs: move it into the partition (a child of the cgroup v2 root) first.
 */
static int join_partition(int cpu)
{
	glob_t found;
	char path[512], val[256];
	int err = 0;

	if (glob("/sys/fs/cgroup/*/cpuset.cpus.partition", 0, NULL, &found))
		return 0;
	for (size_t i = 0; i < found.gl_pathc; i++) {
		char *dir = dirname(found.gl_pathv[i]);

		snprintf(path, sizeof(path), "%s/cpuset.cpus.partition", dir);
		/* not "isolated invalid (reason)" */
		if (read_file(path, val, sizeof(val)) || strcmp(val, "isolated\n"))
			continue;
		snprintf(path, sizeof(path), "%s/cpuset.cpus.effective", dir);
		if (read_file(path, val, sizeof(val)) || !cpulist_contains(val, cpu))
			continue;
		snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
		err = write_file(path, "0");
		break;
	}
	globfree(&found);
	return err;
}

static int child_setup(void)
{
	if (join_partition(iso_cpu))
		return child_failed("join the isolated partition");
	if (pin_to_cpu(iso_cpu))
		return child_failed("sched_setaffinity");
	/*
	 * Populate and lock text, stack, read buffer and the control page:
	 * with compact_unevictable_allowed=0 compaction leaves them alone
	 * (CMA does not, see spin_pfns()).
	 */
	if (mlockall(MCL_CURRENT))
		return child_failed("mlockall");
	return 0;
}

static int read_pages(int fd, int first, int nr_pages)
{
	ssize_t len = nr_pages * page_size;

	errno = EIO;
	return pread(fd, read_buf, len, first * page_size) == len ? 0 : -1;
}

/*
 * Reads through /proc/self/mem, which pins the pages with GUP, whose
 * FOLL_TOUCH calls folio_mark_accessed() on anonymous folios too.
 */
static int reference_pages(char *p, int nr_pages)
{
	ssize_t len = nr_pages * page_size, ret;
	int fd = open("/proc/self/mem", O_RDONLY);

	if (fd < 0)
		return -1;
	errno = EIO;
	ret = pread(fd, read_buf, len, (uintptr_t)p);
	close(fd);
	return ret == len ? 0 : -1;
}

/* A read fault does not mark a file folio accessed. */
static char *map_file(int fd, int first)
{
	char *p = mmap(NULL, AREA_PAGES * page_size, PROT_READ, MAP_SHARED, fd,
		       first * page_size);

	if (p == MAP_FAILED)
		return NULL;
	for (int i = 0; i < AREA_PAGES; i++)
		(void)__atomic_load_n(p + i * page_size, __ATOMIC_RELAXED);
	return p;
}

static int fill_l(enum fill fill, int fd_g)
{
	size_t area_len = AREA_PAGES * page_size;
	int err;

	switch (fill) {
	case FILL_LAZYFREE:
		return madvise(ctl->area[AREA_L], area_len, MADV_FREE);
	case FILL_DEACTIVATE:
		return madvise(ctl->area[AREA_L], area_len, MADV_COLD);
	case FILL_DEACTIVATE_FILE:
		/*
		 * The pipe holds G after its first pages: fadvise() cannot drop
		 * them, only deactivate them, and H comes after one lookup batch.
		 */
		err = posix_fadvise(fd_g, AREA_PAGES * page_size,
				    (G_FILE_PAGES - AREA_PAGES) * page_size,
				    POSIX_FADV_DONTNEED);
		errno = err;
		return err ? -1 : 0;
	default:
		return -1;
	}
}

/*
 * mlock2(), madvise() and fadvise() each start with a local lru_add_drain()
 * (munmap() too, before 7.x), so each batch is filled only after the last
 * call that would empty it.
 */
static int child_fill(void)
{
	size_t area_len = AREA_PAGES * page_size;
	size_t file_len = FILE_PAGES * page_size;
	enum fill fill = ctl->fill;
	char *filler;
	int fd;

	/* Read once, G goes to the LRU referenced at the next drain. */
	child_fd_g = open(test_file_g, O_RDONLY);
	if (child_fd_g < 0)
		return child_failed("open G");
	/* Random access reads ahead no large folios, which skip the batches. */
	errno = posix_fadvise(child_fd_g, 0, 0, POSIX_FADV_RANDOM);
	if (errno)
		return child_failed("fadvise G");
	if (read_pages(child_fd_g, 0, AREA_PAGES))
		return child_failed("read G");
	/*
	 * Spliced into a pipe, the rest of G is held there; unlike a mapping,
	 * that lets lru_deactivate_file move it.
	 */
	if (fill == FILL_DEACTIVATE_FILE) {
		size_t len = (G_FILE_PAGES - AREA_PAGES) * page_size;
		loff_t off = AREA_PAGES * page_size;

		errno = EIO;
		if (pipe(child_pipe) ||
		    fcntl(child_pipe[1], F_SETPIPE_SZ, (int)len) < 0 ||
		    splice(child_fd_g, &off, child_pipe[1], NULL, len, 0) != (ssize_t)len)
			return child_failed("splice G into a pipe");
	}

	/*
	 * The filler's faults overflow lru_add, which puts L on the LRU, and
	 * munmap() frees the filler to our pcp lists.
	 */
	ctl->area[AREA_L] = map_anon(AREA_PAGES);
	filler = map_anon(FILLER_PAGES);
	if (!ctl->area[AREA_L] || !filler)
		return child_failed("mmap L or filler");
	touch_pages(ctl->area[AREA_L], AREA_PAGES);
	touch_pages(filler, FILLER_PAGES);
	if (munmap(filler, FILLER_PAGES * page_size))
		return child_failed("munmap filler");
	/*
	 * Referenced twice, L is queued for activation, and the drain in
	 * mlock2() activates it: MADV_COLD deactivates only active folios.
	 */
	if (fill == FILL_DEACTIVATE &&
	    (reference_pages(ctl->area[AREA_L], AREA_PAGES) ||
	     reference_pages(ctl->area[AREA_L], AREA_PAGES)))
		return child_failed("read L through /proc/self/mem");

	ctl->area[AREA_M] = map_anon(AREA_PAGES);
	if (!ctl->area[AREA_M])
		return child_failed("mmap M");
	if (syscall(__NR_mlock2, ctl->area[AREA_M], area_len, MLOCK_ONFAULT))
		return child_failed("mlock2");
	if (fill_l(fill, child_fd_g))
		return child_failed(fill_names[fill]);
	/*
	 * fadvise() drained all CPUs and queued H again; the drain cleared
	 * PG_referenced, which this read sets again for the next one to clear.
	 */
	if (fill == FILL_DEACTIVATE_FILE && read_pages(child_fd_g, H_FIRST, AREA_PAGES))
		return child_failed("read H");
	touch_pages(ctl->area[AREA_M], AREA_PAGES);

	fd = open(test_file, O_RDONLY);
	if (fd < 0)
		return child_failed("open the test file");
	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	errno = EIO;
	if (read(fd, read_buf, file_len) != (ssize_t)file_len) {
		close(fd);
		return child_failed("read the test file");
	}
	close(fd);

	/* Read again, G is queued for activation. */
	if (read_pages(child_fd_g, 0, AREA_PAGES))
		return child_failed("read G again");
	ctl->area[AREA_G] = map_file(child_fd_g, 0);
	if (!ctl->area[AREA_G])
		return child_failed("mmap G");

	ctl->area[AREA_A] = map_anon(AREA_PAGES);
	if (!ctl->area[AREA_A])
		return child_failed("mmap A");
	touch_pages(ctl->area[AREA_A], AREA_PAGES);
	return 0;
}

static int child_cleanup(void)
{
	/* munmap() also munlocks M. */
	for (int a = 0; a < NR_AREAS; a++) {
		if (ctl->area[a])
			munmap(ctl->area[a], AREA_PAGES * page_size);
		ctl->area[a] = NULL;
	}
	if (child_fd_g >= 0)
		close(child_fd_g);
	child_fd_g = -1;
	for (int i = 0; i < 2; i++) {
		if (child_pipe[i] >= 0)
			close(child_pipe[i]);
		child_pipe[i] = -1;
	}
	return 0;
}

static int (*const child_handlers[])(void) = {
	[CMD_SETUP] = child_setup,
	[CMD_FILL] = child_fill,
	[CMD_CLEANUP] = child_cleanup,
};

/*
 * Pure user-space spin: a syscall here would disturb the CPU. It touches
 * only its code, @seq on its stack and the control page (see spin_pfns()).
 */
static unsigned int wait_for_command(struct control *c, unsigned int seen)
{
	unsigned int seq;

	c->spin_stack = (char *)&seq;
	do {
		seq = __atomic_load_n(&c->cmd_seq, __ATOMIC_ACQUIRE);
	} while (seq == seen);
	return seq;
}

static __noreturn void child_main(void)
{
	unsigned int seen = 0, seq;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != main_pid)	/* the parent died before that */
		_exit(1);
	for (;;) {
		seq = ctl->spin(ctl, seen);
		seen = seq;
		errno = 0;
		ctl->err = child_handlers[ctl->cmd]();
		__atomic_store_n(&ctl->done_seq, seq, __ATOMIC_RELEASE);
	}
}

static int child_command(enum child_cmd cmd)
{
	unsigned int seq = ctl->cmd_seq + 1;

	ctl->cmd = cmd;
	__atomic_store_n(&ctl->cmd_seq, seq, __ATOMIC_RELEASE);
	for (int waited = 0; waited < CMD_TIMEOUT_US; waited += 100) {
		if (__atomic_load_n(&ctl->done_seq, __ATOMIC_ACQUIRE) == seq) {
			if (ctl->err)
				ksft_print_msg("child: %s: %s\n", ctl->failed_step,
					       strerror(-ctl->err));
			return ctl->err;
		}
		usleep(100);
	}
	ksft_print_msg("child did not complete command %d\n", cmd);
	return -ETIMEDOUT;
}

static int file_resident_pages(void)
{
	size_t len = FILE_PAGES * page_size;
	unsigned char vec[FILE_PAGES];
	int resident = 0;
	void *p;

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, file_fd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (mincore(p, len, vec))
		resident = -1;
	munmap(p, len);
	for (int i = 0; resident >= 0 && i < FILE_PAGES; i++)
		resident += vec[i] & 1;
	return resident;
}

/* Write @path and evict it, so that the child's accesses create new folios. */
static int create_evicted(const char *path, int *fd, int nr_pages)
{
	size_t len = nr_pages * page_size;
	char *buf = malloc(len);
	int err = 0;

	if (*fd >= 0)
		close(*fd);
	*fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (*fd < 0 || !buf)
		ksft_exit_fail_perror("create a test file");
	memset(buf, 0x5a, len);
	errno = EIO;
	if (write(*fd, buf, len) != (ssize_t)len || fsync(*fd))
		err = -errno;
	free(buf);
	if (!err)
		err = -posix_fadvise(*fd, 0, 0, POSIX_FADV_DONTNEED);
	if (err)
		ksft_print_msg("preparing %s: %s\n", path, strerror(-err));
	return err;
}

/* F, read by the child, and G, of which the child maps G and H. */
static int create_test_files(void)
{
	int err;

	err = create_evicted(test_file, &file_fd, FILE_PAGES);
	if (!err && file_resident_pages()) {
		ksft_print_msg("preparing %s: still cached\n", test_file);
		err = -EBUSY;
	}
	return err ?: create_evicted(test_file_g, &file_g_fd, G_FILE_PAGES);
}

/*
 * The batch an area's pages are checked in after the child's fill. With
 * MGLRU, folio_mark_accessed() counts a reference instead of queueing the
 * folio for activation, and a deactivation moves a folio to an older
 * generation: PG_active is not kept on its lists, and PG_referenced was
 * cleared when the folio was queued, so kpageflags cannot tell. Only the
 * batches of new folios and lazyfree are checked then.
 */
static enum batch batch_of(enum area area, enum fill fill)
{
	switch (area) {
	case AREA_A:
		return LRU_ADD;
	case AREA_M:
		return MLOCK;
	case AREA_L:
		return fill == FILL_LAZYFREE ? LAZYFREE :
		       fill == FILL_DEACTIVATE && !mglru ? DEACTIVATE : NO_BATCH;
	case AREA_G:
		return mglru ? NO_BATCH : ACTIVATE;
	case AREA_H:
		return fill == FILL_DEACTIVATE_FILE && !mglru ? DEACTIVATE_FILE : NO_BATCH;
	default:
		return NO_BATCH;
	}
}

/*
 * H, which the child must not map, mapped here to look up its PFNs:
 * MADV_RANDOM keeps munmap() from marking its folios accessed.
 */
static char *map_h(void)
{
	size_t len = AREA_PAGES * page_size;
	char *p = mmap(NULL, len, PROT_READ, MAP_SHARED, file_g_fd, H_FIRST * page_size);

	if (p == MAP_FAILED || madvise(p, len, MADV_RANDOM)) {
		ksft_print_msg("mapping H: %s\n", strerror(errno));
		if (p != MAP_FAILED)
			munmap(p, len);
		return NULL;
	}
	for (int i = 0; i < AREA_PAGES; i++)
		(void)__atomic_load_n(p + i * page_size, __ATOMIC_RELAXED);
	return p;
}

/*
 * Do all pages of the child's areas have the kpageflags their batch has
 * while @drained (or not), and does F have @file_want pages cached? The
 * PFNs are looked up anew, since compaction may have migrated the pages.
 */
static bool check_pages(const char *state, bool drained, int file, int file_want)
{
	const __u64 (*flags)[2] = drained ? drained_flags : batched_flags;
	char *h = batch_of(AREA_H, ctl->fill) != NO_BATCH ? map_h() : NULL;
	int want = 0, got = 0, len = 0;
	char counts[256] = "";
	__u64 entry, kpf;

	for (int a = 0; a < NR_AREAS; a++) {
		enum batch b = batch_of(a, ctl->fill);
		char *addr = a == AREA_H ? h : ctl->area[a];
		int pagemap = a == AREA_H ? own_pagemap_fd : pagemap_fd;
		uintptr_t vpn = (uintptr_t)addr / page_size;
		int count = 0;

		if (b == NO_BATCH)
			continue;
		for (int i = 0; addr && i < AREA_PAGES; i++) {
			if (pread(pagemap, &entry, sizeof(entry),
				  (vpn + i) * sizeof(entry)) != sizeof(entry))
				continue;
			/*
			 * CMA reclaims clean file-LRU folios, lazyfree ones too:
			 * one that is gone was on the LRU, so it was drained.
			 */
			if (!(entry & PM_PRESENT)) {
				count += b == LAZYFREE && drained;
				continue;
			}
			if (pread(kpageflags_fd, &kpf, sizeof(kpf),
				  (entry & PM_PFN_MASK) * sizeof(kpf)) != sizeof(kpf))
				continue;
			if ((kpf & flags[b][0]) == flags[b][0] && !(kpf & flags[b][1]))
				count++;
		}
		want += AREA_PAGES;
		got += count;
		len += snprintf(counts + len, sizeof(counts) - len, " %s=%d",
				batch_names[b], count);
	}
	if (h)
		munmap(h, AREA_PAGES * page_size);
	if (got == want && file == file_want)
		return true;
	ksft_print_msg("%s (%s fill):%s of %d each, file resident=%d, expected %d\n",
		       state, fill_names[ctl->fill], counts, AREA_PAGES, file, file_want);
	return false;
}

/* The batches a fill holds, for the result line. */
static const char *fill_batches(enum fill fill)
{
	static char list[128];
	int len = 0;

	list[0] = '\0';
	for (int a = 0; a < NR_AREAS; a++)
		if (batch_of(a, fill) != NO_BATCH)
			len += snprintf(list + len, sizeof(list) - len, "%s%s",
					len ? "," : "", batch_names[batch_of(a, fill)]);
	return list;
}

/* @file in tracefs */
static const char *trace_path(const char *file)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", trace_dir, file);
	return path;
}

static const char *event_path(size_t i, const char *file)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/events/%s/%s", trace_dir, trace_events[i].event, file);
	return path;
}

static int write_event(size_t i, const char *file, const char *val)
{
	return write_file(event_path(i, file), val);
}

static int read_event(size_t i, const char *file, char *buf, size_t size)
{
	return read_file(event_path(i, file), buf, size);
}

/*
 * The top-level buffer: a new instance would add a second probe to each
 * tracepoint enabled at boot, which patches kernel text while the test
 * runs. What the test changes there is put back at exit: only what it had
 * saved, should it stop half way through the setup.
 */
static struct {
	bool saved;
	char enable[4], filter[256];
} event_state[ARRAY_SIZE(trace_events)];
static char saved_tracing_on[4], saved_tracer[64], saved_buffer_kb[32];

static void tracing_teardown(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(trace_events); i++) {
		if (!event_state[i].saved)
			continue;
		write_event(i, "enable", event_state[i].enable);
		/* "none" reads back when there is no filter; "0" clears it */
		write_event(i, "filter", strncmp(event_state[i].filter, "none", 4) ?
			    event_state[i].filter : "0");
	}
	if (saved_buffer_kb[0])
		write_file(trace_path("buffer_size_kb"), saved_buffer_kb);
	if (saved_tracer[0])
		write_file(trace_path("current_tracer"), saved_tracer);
	if (saved_tracing_on[0])
		write_file(trace_path("tracing_on"), saved_tracing_on);
}

static void tracing_setup(void)
{
	char filter[64], buf[64], *expanded;
	long kb;

	snprintf(trace_dir, sizeof(trace_dir), "%s", TRACING);
	tracing_ready = true;
	read_file(trace_path("tracing_on"), saved_tracing_on, sizeof(saved_tracing_on));
	read_file(trace_path("current_tracer"), saved_tracer, sizeof(saved_tracer));
	/*
	 * "7 (expanded: 1408)" until the buffer is first used, and the test
	 * uses it: put back the expanded size. "X" (per-CPU sizes differ) is
	 * not put back.
	 */
	read_file(trace_path("buffer_size_kb"), buf, sizeof(buf));
	expanded = strstr(buf, "expanded: ");
	kb = strtol(expanded ? expanded + strlen("expanded: ") : buf, NULL, 10);
	if (kb > 0)
		snprintf(saved_buffer_kb, sizeof(saved_buffer_kb), "%ld", kb);
	if (write_file(trace_path("tracing_on"), "0") ||
	    write_file(trace_path("current_tracer"), "nop") ||
	    write_file(trace_path("buffer_size_kb"), "4096"))
		ksft_exit_fail_msg("cannot configure %s\n", trace_dir);

	for (size_t i = 0; i < ARRAY_SIZE(trace_events); i++) {
		typeof(event_state[0]) *st = &event_state[i];

		if (!read_event(i, "enable", st->enable, sizeof(st->enable)) &&
		    !read_event(i, "filter", st->filter, sizeof(st->filter)))
			st->saved = true;
		if (write_event(i, "enable", "1") && !trace_events[i].optional)
			ksft_exit_fail_msg("cannot enable event %s\n", trace_events[i].event);
		if (!trace_events[i].filter)
			continue;
		/* The filters only shrink the trace; every line is checked anyway. */
		snprintf(filter, sizeof(filter), trace_events[i].filter, iso_cpu);
		if (write_event(i, "filter", filter)) {
			ksft_print_msg("filter '%s' rejected, filtering in user space\n", filter);
			write_event(i, "filter", "0");
		}
	}
}

/* A line in the trace, so that the test can tell it saw the whole window. */
static void trace_marker(const char *trigger, const char *what)
{
	char text[64];

	snprintf(text, sizeof(text), "lru_drain_isolation: %s %s", trigger, what);
	write_file(trace_path("trace_marker"), text);
}

/* Events the ring buffer overwrote or dropped since it was cleared. */
static long trace_lost(void)
{
	char path[64], stats[512];
	long lost = 0, n;
	const char *p;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		snprintf(path, sizeof(path), "per_cpu/cpu%d/stats", cpu);
		if (read_file(trace_path(path), stats, sizeof(stats)))
			break;
		p = strstr(stats, "overrun: ");
		if (p && sscanf(p, "overrun: %ld", &n) == 1)
			lost += n;
		p = strstr(stats, "dropped events: ");
		if (p && sscanf(p, "dropped events: %ld", &n) == 1)
			lost += n;
	}
	return lost;
}

/* Value of "key" in a trace line, or "" if absent. */
static const char *field(const char *event, const char *key)
{
	const char *p = strstr(event, key);

	return p ? p + strlen(key) : "";
}

static long field_long(const char *event, const char *key)
{
	const char *val = field(event, key);

	return isdigit((unsigned char)*val) ? strtol(val, NULL, 10) : -1;
}

/* Is the value of "key" the symbol @sym, possibly followed by "+0x0/0x..."? */
static bool field_is(const char *event, const char *key, const char *sym)
{
	const char *val = field(event, key);
	size_t len = strlen(sym);

	return !strncmp(val, sym, len) && strchr("\n +", val[len]);
}

static void count_ipi(const char *event, int sender, struct drain_noise *noise)
{
	bool generic = field_is(event, "callback=", "generic_smp_call_function_single_interrupt");
	int csd = generic && sender >= 0 && sender < CPU_SETSIZE ? noise->csd[sender] : CSD_OTHER;

	/*
	 * Compaction and CMA migrate mapped pages, the test's own among them,
	 * and unmapping them flushes the TLB of the CPUs using the mm. That
	 * IPI is a cost of the migration, not of the drain, so it is only
	 * reported. kernel/smp.c reports its generic handler as callback, so
	 * the function is taken from the sender's last csd_queue_cpu event.
	 */
	if (field_is(event, "callback=", "flush_tlb_func") || csd == CSD_TLB_FLUSH) {
		noise->tlb_ipis++;
		return;
	}
	/*
	 * A task woken on the isolated CPU, the tick restarted for it, and
	 * the expedited RCU grace period of lru_cache_disable(), which sends
	 * an IPI only to a CPU that is in the kernel, as for such a task.
	 */
	if (field_is(event, "callback=", "nohz_full_kick_func") || csd == CSD_WAKEUP)
		noise->wakeup_ipis++;
	else
		noise->ipis++;
	ksft_print_msg("IPI from CPU %d: %.*s\n", sender,
		       (int)strcspn(event, "\n"), event);
}

static void count_event(const char *line, struct drain_noise *noise)
{
	const char *cpu_field = strchr(line, '[');	/* "comm-pid [003] ..." */
	int cpu = cpu_field ? atoi(cpu_field + 1) : -1;
	const char *ev;

	/* vmstat_update is only reported, see count_trace() */
	ev = strstr(line, " workqueue_queue_work: ");
	if (ev && field_long(ev, " cpu=") == iso_cpu) {
		if (strstr(ev, "function=vmstat_update "))
			noise->vmstat_work++;
		else
			noise->queued++;
	}

	ev = strstr(line, " workqueue_execute_start: ");
	if (ev && cpu == iso_cpu) {
		if (field_is(ev, "function ", "vmstat_update")) {
			noise->vmstat_work++;
		} else {
			noise->executed++;
			ksft_print_msg("work run on CPU %d: %s", iso_cpu, field(ev, "function "));
		}
	}

	ev = strstr(line, " csd_queue_cpu: ");
	if (ev && field_long(ev, " cpu=") == iso_cpu && cpu >= 0 && cpu < CPU_SETSIZE) {
		if (field_is(ev, "func=", "flush_tlb_func"))
			noise->csd[cpu] = CSD_TLB_FLUSH;
		else if (field_is(ev, "func=", "sched_ttwu_pending") ||
			 field_is(ev, "func=", "rcu_exp_handler"))
			noise->csd[cpu] = CSD_WAKEUP;
		else
			noise->csd[cpu] = CSD_OTHER;
		/* Names the function behind the next IPI. */
		if (noise->csd[cpu] != CSD_TLB_FLUSH)
			ksft_print_msg("csd from CPU %d: %.*s\n", cpu,
				       (int)strcspn(ev + 1, "\n"), ev + 1);
	}

	ev = strstr(line, " ipi_send_cpu: ");
	if (ev && field_long(ev, " cpu=") == iso_cpu)
		count_ipi(ev, cpu, noise);

	ev = strstr(line, " ipi_send_cpumask: ");
	if (ev && cpumask_contains(field(ev, "cpumask="), iso_cpu))
		count_ipi(ev, cpu, noise);

	ev = strstr(line, ": lru_drain_isolation: ");
	if (ev)
		noise->markers |= strstr(ev, " begin") ? 1 : strstr(ev, " end") ? 2 : 0;

	ev = strstr(line, " sched_switch: ");
	if (ev && cpu == iso_cpu && field_long(ev, " prev_pid=") == child_pid) {
		/* "R" or "R+" if preempted; asleep, it faulted */
		if (*field(ev, " prev_state=") == 'R')
			noise->switches++;
		else
			noise->sleeps++;
		ksft_print_msg("isolated task switched out (prev_state=%c) for %s",
			       *field(ev, " prev_state="), field(ev, "==> "));
	}
}

/*
 * PFNs of the pages the spinning child touches: the code of
 * wait_for_command() (a few dozen bytes, so in the page of its entry or
 * the next), its @seq and the control page. CMA migrates mlocked
 * pages too (compact_unevictable_allowed binds compaction only); movable
 * pages, the child's among them, may lie in CMA pageblocks, and the page
 * a debugfs CMA area frees is soon handed out again. When an allocation
 * migrates such a page, the child faults on the migration entry, sleeps
 * until the copy is done and is woken, with an IPI unless its CPU polls
 * in idle: a cost of the migration, like the TLB flush, not of the drain.
 */
static void spin_pfns(__u64 pfns[SPIN_PAGES])
{
	char *code = (char *)(uintptr_t)ctl->spin;
	char *pages[SPIN_PAGES] = { code, code + page_size, ctl->spin_stack, (char *)ctl };
	__u64 entry;

	for (int i = 0; i < SPIN_PAGES; i++) {
		off_t vpn = (uintptr_t)pages[i] / page_size;

		pfns[i] = 0;
		if (pread(pagemap_fd, &entry, sizeof(entry), vpn * sizeof(entry)) ==
		    sizeof(entry) && (entry & PM_PRESENT))
			pfns[i] = entry & PM_PFN_MASK;
	}
}

static void count_trace(struct drain_noise *noise)
{
	int wakeups = 0, switches = 0;	/* not counted */
	char *line = NULL;
	size_t size = 0;
	bool drain_ran;
	FILE *trace;

	trace = fopen(trace_path("trace"), "r");
	if (!trace)
		ksft_exit_fail_perror("open the trace");
	while (getline(&line, &size, trace) > 0)
		if (line[0] != '#')
			count_event(line, noise);
	free(line);
	fclose(trace);

	if (noise->tlb_ipis)
		ksft_print_msg("not counted: %d TLB flush IPIs to CPU %d\n",
			       noise->tlb_ipis, iso_cpu);
	/*
	 * vmstat_update runs on a nohz_full CPU outside the scheduler domains'
	 * isolation about once a second, on the unpatched kernel too. There,
	 * the scheduler may also place other tasks on the CPU (lru_cache_disable()
	 * wakes the RCU expedited grace-period kthread, seen there on 7.3-rc7).
	 * Unless a drain's work item ran there too, such wakeups and switches
	 * are not the drain's: only reported. So are the sleeps of a child
	 * whose page was migrated (see spin_pfns()), each with one wakeup.
	 */
	drain_ran = noise->queued || noise->executed;
	if (!drain_ran && (noise->vmstat_work || !iso_domain)) {
		wakeups = noise->wakeup_ipis;
		switches = noise->switches + noise->sleeps;
	} else if (!drain_ran && noise->spin_page_moved) {
		wakeups = noise->wakeup_ipis < noise->sleeps ? noise->wakeup_ipis : noise->sleeps;
		switches = noise->sleeps;
	}
	if (noise->vmstat_work || wakeups || switches)
		ksft_print_msg("not counted: vmstat_update %d, wakeups %d, switches %d\n",
			       noise->vmstat_work, wakeups, switches);
	noise->ipis += noise->wakeup_ipis - wakeups;
	noise->switches += noise->sleeps - switches;
}

static int write_cma(const char *file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", cma_dir, file);
	return write_file(path, "1");
}

static const char *trigger_unavailable(enum trigger trigger)
{
	glob_t found;

	switch (trigger) {
	case MOVE_PAGES:
		/* Without a nodes array this only queries and does not drain. */
		if (syscall(__NR_move_pages, 0, 0, NULL, NULL, NULL, 0))
			return "move_pages() not supported";
		return NULL;
	case COMPACT_MEMORY:
		if (access("/proc/sys/vm/compact_memory", W_OK))
			return "no /proc/sys/vm/compact_memory";
		return NULL;
	case CMA_ALLOC:
		if (!ensure_mounted(DEBUGFS, DEBUGFS_MAGIC, "debugfs"))
			return "no debugfs";
		if (glob(DEBUGFS "/cma/*/alloc", 0, NULL, &found))
			return "no CMA area in " DEBUGFS "/cma";
		snprintf(cma_dir, sizeof(cma_dir), "%s", dirname(found.gl_pathv[0]));
		globfree(&found);
		return NULL;
	default:
		return NULL;
	}
}

static int fire_trigger(enum trigger trigger)
{
	void *page = own_page;
	int node = 0, status;

	switch (trigger) {
	case FADVISE:
		return -posix_fadvise(file_fd, 0, 0, POSIX_FADV_DONTNEED);
	case MOVE_PAGES:
		/* lru_cache_disable() runs although the page stays on node 0. */
		if (syscall(__NR_move_pages, 0, 1, &page, &node, &status, MPOL_MF_MOVE) < 0)
			return -errno;
		return 0;
	case DROP_CACHES:
		return write_file("/proc/sys/vm/drop_caches", "1");
	case COMPACT_MEMORY:
		return write_file("/proc/sys/vm/compact_memory", "1");
	case CMA_ALLOC:
		/* alloc_contig_range(): lru_cache_disable(), drain_all_pages() */
		return write_cma("alloc");
	default:
		return -EINVAL;
	}
}

static int nr_results(enum trigger trigger)
{
	return trigger == CMA_ALLOC ? NR_RESULTS : PCP_DRAINED;
}

static void run_trigger(enum trigger trigger)
{
	const char *name = trigger_names[trigger];
	const char *why_not = trigger_unavailable(trigger);
	bool file_dropped = trigger == FADVISE || trigger == DROP_CACHES;
	bool cma = trigger == CMA_ALLOC, passed[NR_RESULTS] = { false };
	int err, trace_fd, pcp_before = -1, pcp_after = -1;
	__u64 spin_before[SPIN_PAGES], spin_after[SPIN_PAGES];
	bool seen_all;
	long lost;
	struct drain_noise noise = { 0 };

	if (why_not) {
		ksft_print_msg("%s: %s\n", name, why_not);
		for (int i = 0; i < nr_results(trigger); i++)
			ksft_test_result_skip("%s: %s\n", name, result_names[i]);
		return;
	}

	/* With MGLRU, only lazyfree of the three can be checked. */
	ctl->fill = mglru ? FILL_LAZYFREE : trigger_fills[trigger];
	if (!create_test_files() && !child_command(CMD_FILL)) {
		/* Let the isolated CPU settle after the child's syscalls. */
		usleep(SETTLE_US);
		passed[BATCHED] = check_pages("batched", false,
					      file_resident_pages(), FILE_PAGES);
		if (cma) {
			pcp_before = pcp_count(iso_cpu);
			passed[BATCHED] &= pcp_before > 0;
		}
	}

	spin_pfns(spin_before);
	trace_fd = open(trace_path("trace"), O_WRONLY | O_TRUNC);	/* clears it */
	if (trace_fd >= 0)
		close(trace_fd);
	write_file(trace_path("tracing_on"), "1");
	trace_marker(name, "begin");
	err = fire_trigger(trigger);
	trace_marker(name, "end");
	write_file(trace_path("tracing_on"), "0");
	lost = trace_lost();
	spin_pfns(spin_after);
	noise.spin_page_moved = memcmp(spin_before, spin_after, sizeof(spin_after));
	if (noise.spin_page_moved)
		ksft_print_msg("%s: migrated a page the spinning child uses\n", name);
	if (cma) {
		/* Read while the child only spins, before it unmaps anything. */
		pcp_after = pcp_count(iso_cpu);
		ksft_print_msg("%s: pcp pages on CPU %d: %d before, %d after\n",
			       name, iso_cpu, pcp_before, pcp_after);
	}
	if (err)
		ksft_print_msg("%s: trigger failed: %s\n", name, strerror(-err));
	else if (cma)
		write_cma("free");

	count_trace(&noise);
	/* An empty or overrun trace would pass "no work" blind. */
	seen_all = noise.markers == 3 && !lost;
	if (!seen_all)
		ksft_print_msg("%s: trace incomplete: markers %s, %ld events lost\n", name,
			       noise.markers == 3 ? "both" : "missing", lost);
	/*
	 * Compaction and CMA put the folios they failed to migrate, and the
	 * copies of those they migrated, into the batches of the CPU they ran
	 * on: this one. MADV_COLD drains this CPU's batches first, so that only
	 * what the drain under test left behind is seen.
	 */
	madvise(own_page, page_size, MADV_COLD);
	passed[NO_WORK] = seen_all && !noise.queued && !noise.executed;
	passed[NO_IPI] = seen_all && !noise.ipis;
	passed[NOT_PREEMPTED] = seen_all && !noise.switches;
	passed[COMPLETE] = check_pages("drained", true,
				       file_dropped ? file_resident_pages() : 0, 0);
	passed[PCP_DRAINED] = pcp_after == 0;
	child_command(CMD_CLEANUP);

	ksft_print_msg("%s: batches checked: %s\n", name, fill_batches(ctl->fill));
	ksft_print_msg("result trigger=%s work=%d ipi=%d switches=%d complete=%d batched=%d\n",
		       name, noise.queued > noise.executed ? noise.queued : noise.executed,
		       noise.ipis, noise.switches, passed[COMPLETE], passed[BATCHED]);
	for (int i = 0; i < nr_results(trigger); i++)
		ksft_test_result(passed[i], "%s: %s\n", name, result_names[i]);
}

static void cleanup(void)
{
	char val[16];

	if (child_pid > 0) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, NULL, 0);
		child_pid = 0;
	}
	if (tracing_ready)
		tracing_teardown();
	tracing_ready = false;
	if (saved_compact_unevictable >= 0) {
		snprintf(val, sizeof(val), "%d", saved_compact_unevictable);
		write_file(COMPACT_UNEVICTABLE, val);
	}
	saved_compact_unevictable = -1;
	if (saved_khugepaged_sleep[0])
		write_file(KHUGEPAGED_SLEEP, saved_khugepaged_sleep);
	saved_khugepaged_sleep[0] = '\0';
	if (file_fd >= 0)
		close(file_fd);
	file_fd = -1;
	if (file_g_fd >= 0)
		close(file_g_fd);
	file_g_fd = -1;
	if (test_file[0])
		unlink(test_file);
	test_file[0] = '\0';
	if (test_file_g[0])
		unlink(test_file_g);
	test_file_g[0] = '\0';
	if (test_dir[0])
		rmdir(test_dir);
	test_dir[0] = '\0';
}

/*
 * Killed (a run_vmtests.sh timeout, ^C): put the system back all the same,
 * then die of the signal. The handler is reset on entry, and the other
 * signals wait while it runs.
 */
static void on_signal(int sig)
{
	if (getpid() == main_pid)
		cleanup();
	raise(sig);
}

static void catch_signals(void)
{
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* The file's page cache must be evictable: not tmpfs. */
static void make_test_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	struct statfs st;

	snprintf(test_dir, sizeof(test_dir), "%s/lru_drain_isolation.XXXXXX",
		 tmp && *tmp ? tmp : "/var/tmp");
	if (!mkdtemp(test_dir)) {
		ksft_print_msg("mkdtemp %s: %s\n", test_dir, strerror(errno));
		test_dir[0] = '\0';
		ksft_exit_fail();
	}
	snprintf(test_file, sizeof(test_file), "%s/file", test_dir);
	snprintf(test_file_g, sizeof(test_file_g), "%s/file-g", test_dir);
	if (!statfs(test_dir, &st) && st.f_type == TMPFS_MAGIC)
		ksft_exit_skip("%s is on tmpfs: set TMPDIR to a disk file system\n", test_dir);
}

/* The pid of the khugepaged kernel thread (a child of kthreadd), or -1. */
static int khugepaged_pid(void)
{
	int pid = -1, p, ppid;
	char comm[32];
	glob_t found;
	FILE *f;

	if (glob("/proc/[0-9]*/stat", 0, NULL, &found))
		return -1;
	for (size_t i = 0; i < found.gl_pathc && pid < 0; i++) {
		f = fopen(found.gl_pathv[i], "r");
		if (!f)
			continue;
		if (fscanf(f, "%d (%31[^)]) %*c %d", &p, comm, &ppid) == 3 &&
		    ppid == 2 && !strcmp(comm, "khugepaged"))
			pid = p;
		fclose(f);
	}
	globfree(&found);
	return pid;
}

/*
 * How often khugepaged has gone to sleep, or -1; and whether it sleeps in
 * a function of its own now (its wchan), not in lru_add_drain_all().
 */
static long khugepaged_sleeps(int pid, bool *in_own_wait)
{
	const char *key = "voluntary_ctxt_switches:";
	char path[64], wchan[64], *line = NULL;
	size_t size = 0;
	long sleeps = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (getline(&line, &size, f) > 0)
		if (!strncmp(line, key, strlen(key)))
			sleeps = strtol(line + strlen(key), NULL, 10);
	free(line);
	fclose(f);
	/* read after the count, so that a sleep it names is counted */
	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	*in_own_wait = !read_file(path, wchan, sizeof(wchan)) &&
		       !strncmp(wchan, "khugepaged", strlen("khugepaged"));
	return sleeps;
}

/*
 * khugepaged starts each scan with lru_add_drain_all(), every
 * scan_sleep_millisecs (10 s by default) while any mm is on its list,
 * which could empty the child's batches between the fill and the check
 * that they are full. Writing scan_sleep_millisecs wakes khugepaged, which
 * then scans at once if it has an mm to scan, and puts the next scan an
 * hour away. The test waits until khugepaged has slept since the write
 * and sleeps in a function of its own: the drain of that scan is over.
 */
static void quiet_khugepaged(void)
{
	int pid = khugepaged_pid();
	bool in_own_wait;
	long sleeps;

	if (pid < 0 || read_file(KHUGEPAGED_SLEEP, saved_khugepaged_sleep,
				 sizeof(saved_khugepaged_sleep)))
		return;
	if (!strcmp(saved_khugepaged_sleep, "3600000\n"))
		ksft_print_msg("%s is 3600000 already: left so by a killed run?\n",
			       KHUGEPAGED_SLEEP);
	sleeps = khugepaged_sleeps(pid, &in_own_wait);
	if (sleeps < 0 || write_file(KHUGEPAGED_SLEEP, "3600000")) {
		saved_khugepaged_sleep[0] = '\0';
		return;
	}
	for (int waited = 0; ; waited += 1000) {
		if (khugepaged_sleeps(pid, &in_own_wait) != sleeps && in_own_wait)
			break;
		if (waited >= CMD_TIMEOUT_US) {
			ksft_print_msg("khugepaged did not go back to its wait\n");
			break;
		}
		usleep(1000);
	}
}

static void setup(void)
{
	char val[32];

	page_size = sysconf(_SC_PAGESIZE);
	if (pin_to_cpu(hk_cpu))
		ksft_exit_fail_perror("pin to housekeeping CPU");

	/* Compaction must not migrate the child's mlocked pages under it. */
	if (!read_file(COMPACT_UNEVICTABLE, val, sizeof(val))) {
		saved_compact_unevictable = atoi(val);
		write_file(COMPACT_UNEVICTABLE, "0");
	}
	quiet_khugepaged();

	own_page = map_anon(1);
	read_buf = map_anon(FILE_PAGES);	/* the child's, populated by mlockall() */
	ctl = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!own_page || !read_buf || ctl == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	ctl->spin = wait_for_command;
	touch_pages(own_page, 1);

	fflush(stdout);
	child_pid = fork();
	if (child_pid < 0)
		ksft_exit_fail_perror("fork");
	if (!child_pid)
		child_main();	/* never calls exit(), so never cleanup() */
	if (child_command(CMD_SETUP))
		ksft_exit_fail_msg("child could not start on CPU %d\n", iso_cpu);
	snprintf(val, sizeof(val), "/proc/%d/pagemap", child_pid);
	pagemap_fd = open(val, O_RDONLY);
	own_pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0 || own_pagemap_fd < 0)
		ksft_exit_fail_perror("open pagemap");

	tracing_setup();
}

int main(int argc, char **argv)
{
	const char *only = argc == 3 && !strcmp(argv[1], "-t") ? argv[2] : NULL;
	char val[32];
	int plan = 0;

	ksft_print_header();
	for (int t = 0; t < NR_TRIGGERS; t++)
		if (!only || !strcmp(only, trigger_names[t]))
			plan += nr_results(t);
	if (!plan || (argc != 1 && !only))
		ksft_exit_fail_msg("usage: %s [-t %s]\n", argv[0],
				   "fadvise|move_pages|drop_caches|compact_memory|cma_alloc");

	if (geteuid())
		ksft_exit_skip("must be run as root\n");
	find_cpus();
	if (iso_cpu < 0)
		ksft_exit_skip("no isolated or nohz_full CPU\n");
	if (hk_cpu < 0)
		ksft_exit_skip("no housekeeping CPU\n");
	if (!ensure_mounted(TRACING, TRACEFS_MAGIC, "tracefs") ||
	    access(TRACING "/trace", R_OK | W_OK))
		ksft_exit_skip("no tracefs at " TRACING "\n");
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
	if (kpageflags_fd < 0)
		ksft_exit_skip("cannot open /proc/kpageflags\n");
	main_pid = getpid();
	atexit(cleanup);
	catch_signals();
	make_test_dir();

	ksft_set_plan(plan);
	if (!read_file("/sys/kernel/mm/lru_gen/enabled", val, sizeof(val)))
		mglru = strtol(val, NULL, 0) & 1;
	ksft_print_msg("isolated CPU %d%s, housekeeping CPU %d, MGLRU %s\n", iso_cpu,
		       iso_domain ? "" : " (nohz_full only)", hk_cpu, mglru ? "on" : "off");
	setup();

	for (int t = 0; t < NR_TRIGGERS; t++)
		if (!only || !strcmp(only, trigger_names[t]))
			run_trigger(t);

	ksft_finished();
}
