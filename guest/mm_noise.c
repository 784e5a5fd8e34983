// SPDX-License-Identifier: GPL-2.0
/*
 * The workbench's checker for the mm sources other than the LRU batches
 * (not part of either series). A child pinned to the isolated CPU fills the
 * per-CPU state each source drains: it faults pages (vmstat counter diffs,
 * a memcg charge stock), frees a few accounted objects (an obj stock) and
 * maps and unmaps areas (slab sheaves), then spins in user space. The
 * parent, on a housekeeping CPU, fires one trigger per source. The global
 * trace, between two markers, shows the work items that ran on the isolated
 * CPU and the IPIs sent to it; those of the source are counted apart from
 * everything else, and its IPIs to other CPUs too (a fix that narrows an
 * IPI must still send it to the CPUs that need it).
 *
 * Then CPU 1, a housekeeping CPU with a task that keeps faulting pages in
 * a memory cgroup of its own, joins a cpuset isolated partition at run
 * time: its memcg stocks and slab sheaves must be drained and its pending
 * vmstat_update run as it joins, none must run there after, a drain of the obj
 * stock must pass it over, and once it has left the partition, must reach
 * it again (6.12 has one stock, drained by drain_local_stock). One line
 * per trigger:
 *   # noise trigger=T cpu=C fired=1 traced=1 source_work=N source_ipi=N
 *     other_work=N other_ipi=N source_ipi_elsewhere=N
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <poll.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T		"/sys/kernel/tracing/"
#define PAGE		4096
#define HPAGE		(2UL << 20)
#define FAULT_PAGES	100	/* not a multiple of the memcg charge batch (64) */
#define JOIN_CPU	1
#define JOIN		"/sys/fs/cgroup/mm_noise_join"
/* fd numbers whose fd tables take 32 MiB and 512 MiB of vmalloc space */
#define SEED_FD		(3 << 20)
#define BULK_FD		(3 << 24)
#define NR_OPEN		"67108864"

static int fire_stat_refresh(void);
static int fire_overcommit(void);
static int fire_memcg_high(void);
static int fire_slab_shrink(void);
static int fire_collapse(void);
static int fire_vmalloc_purge(void);
static int seed_vmap_nodes(void);
static int fire_busy(void);
static int fire_join(void);
static int fire_join_memcg_high(void);
static int stop_joiner(void);
static int leave(void);
static int leave_and_settle(void);

/*
 * @source matches the work function or IPI callback the source runs;
 * @before, if any, runs before the trace starts; with @from_return, what
 * happens while @fire runs is not counted.
 */
struct trigger {
	const char *name, *source;
	int (*fire)(void);
	int window_ms;
	int (*before)(void);
	bool from_return;
};

static const struct trigger triggers[] = {
	{ "vmstat",	  "^vmstat_update$",				fire_busy,	   100 },
	{ "stat_refresh", "^refresh_vm_stats$",				fire_stat_refresh, 300 },
	{ "overcommit",	  "^sync_overcommit_as$",			fire_overcommit,   300 },
	{ "memcg_high",	  "^drain_local_(memcg_|obj_)?stock$",		fire_memcg_high,   300 },
	{ "slab_shrink",  "^flush_cpu_sheaves$",			fire_slab_shrink,  300 },
	{ "collapse",	  "^tlb_remove_table_smp_sync$",		fire_collapse,	   300 },
	{ "vmalloc_purge", "^purge_vmap_node$",				fire_vmalloc_purge, 1000,
	  seed_vmap_nodes },
};

/*
 * On CPU 1. join_stock, join_sheaves and join_fold count the drains and
 * the counter fold that run there during the partition write; join_vmstat
 * counts from when the write has returned. Each joins again
 * after leaving for 2 s, in which the joiner refills its per-CPU state and
 * vmstat_update re-arms. The joiner is stopped before the first
 * stock drain, so that both drains see the same obj stock, which caches
 * the joiner's objcg for as long as no other objcg is charged on CPU 1:
 * the first drain passes it over, the second must drain it. (The memcg
 * stock is flagged only if it holds pages at that moment; its drains are
 * in the log, not counted.)
 */
static const struct trigger join_triggers[] = {
	{ "join_stock",	  "^drain_local_(memcg_|obj_)?stock$", fire_join,    300 },
	{ "join_sheaves", "^flush_cpu_sheaves",		fire_join,	      300, leave_and_settle },
	{ "join_fold",	  "^vmstat_update$",		fire_join,	      0, leave_and_settle },
	{ "join_vmstat",  "^vmstat_update$",		fire_join,	      3000, leave_and_settle, true },
	{ "join_memcg",	  "^drain_local_(obj_)?stock$",	fire_join_memcg_high, 300, stop_joiner },
	{ "rejoin_memcg", "^drain_local_(obj_)?stock$",	fire_join_memcg_high, 300, leave },
};

static const char * const filtered[] = {
	T "events/ipi/ipi_send_cpu/filter",
	T "events/ipi/ipi_send_cpumask/filter",
	T "events/csd/csd_queue_cpu/filter",
};

static int iso_cpu = -1, watch_cpu;
static pid_t child, joiner;
static volatile sig_atomic_t refill;
static char child_cgroup[256];

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[len > 0 ? len : 0] = '\0';
	return len < 0 ? -1 : 0;
}

static int first_cpu(const char *path)
{
	char buf[64];

	return read_str(path, buf, sizeof(buf)) || !isdigit((unsigned char)buf[0]) ? -1 : atoi(buf);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
}

/* A task must be in a cpuset isolated partition to run on its CPUs. */
static void join_partition(void)
{
	glob_t g;

	if (glob("/sys/fs/cgroup/*/cpuset.cpus.partition", 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char buf[64], path[300], *dir = dirname(g.gl_pathv[i]);

		snprintf(path, sizeof(path), "%s/cpuset.cpus.partition", dir);
		if (!read_str(path, buf, sizeof(buf)) && !strcmp(buf, "isolated\n")) {
			snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
			write_str(path, "0");
		}
	}
	globfree(&g);
}

static void on_usr1(int sig)
{
	refill = 1;
}

/* What each source keeps per CPU, made on the isolated CPU. */
static void fill(void)
{
	char *pages;
	int fds[2];

	/*
	 * The last fill's pages stay mapped: unmapping them would take back
	 * from the counter diffs what the new ones add, leaving the vmstat
	 * shepherd nothing to fold.
	 */
	pages = mmap(NULL, FAULT_PAGES * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages != MAP_FAILED) {
		madvise(pages, FAULT_PAGES * PAGE, MADV_NOHUGEPAGE);
		for (int i = 0; i < FAULT_PAGES; i++)
			pages[i * PAGE] = 1;
	}
	for (int i = 0; i < 32; i++) {
		void *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, PAGE);
		if (!pipe(fds)) {
			close(fds[0]);
			close(fds[1]);
		}
	}
}

static void child_main(int ready)
{
	join_partition();
	pin(iso_cpu);
	signal(SIGUSR1, on_usr1);
	for (;;) {
		refill = 0;
		fill();
		if (write(ready, "r", 1) != 1)
			_exit(1);
		while (!refill)
			;
	}
}

static int wait_ready(int ready)
{
	struct pollfd p = { .fd = ready, .events = POLLIN };
	char c;

	return poll(&p, 1, 5000) == 1 && read(ready, &c, 1) == 1 ? 0 : -1;
}

/*
 * 3 s with CPU 0 busy: the vmstat shepherd's timer is deferrable and
 * does not fire on an idle CPU, so with every housekeeping CPU idle the
 * shepherd may not look at the isolated CPU at all.
 */
static int fire_busy(void)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 3000);
	return 0;
}

static int fire_stat_refresh(void)
{
	return write_str("/proc/sys/vm/stat_refresh", "1");
}

static int fire_overcommit(void)
{
	char old[16];
	int err;

	if (read_str("/proc/sys/vm/overcommit_memory", old, sizeof(old)))
		return -1;
	err = write_str("/proc/sys/vm/overcommit_memory", "2");
	write_str("/proc/sys/vm/overcommit_memory", old);
	return err;
}

/*
 * memory.high below the usage makes the write drain all charge stocks:
 * 16 pages below, or half of a usage smaller than 32 pages (the joiner
 * may have been stopped with its pages unmapped).
 */
static int lower_high(const char *cgroup)
{
	char path[300], usage[32], val[32];
	long long cur;
	int err;

	snprintf(path, sizeof(path), "%s/memory.current", cgroup);
	if (read_str(path, usage, sizeof(usage)) || (cur = atoll(usage)) <= 0)
		return -1;
	snprintf(val, sizeof(val), "%lld", cur > 32 * PAGE ? cur - 16 * PAGE : cur / 2);
	snprintf(path, sizeof(path), "%s/memory.high", cgroup);
	err = write_str(path, val);
	write_str(path, "max");
	return err;
}

static int fire_memcg_high(void)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/fs/cgroup%s", child_cgroup);
	return child_cgroup[0] ? lower_high(path) : -1;
}

static int fire_join_memcg_high(void)
{
	return lower_high(JOIN);
}

static int set_partition(const char *type)
{
	char buf[64];
	int err = write_str(JOIN "/cpuset.cpus.partition", type);

	if (!err && (read_str(JOIN "/cpuset.cpus.partition", buf, sizeof(buf)) ||
		     strncmp(buf, type, strlen(type)) || buf[strlen(type)] != '\n'))
		err = -EINVAL;
	return err;
}

static int fire_join(void)
{
	return set_partition("isolated");
}

static int leave(void)
{
	return set_partition("member");
}

static int leave_and_settle(void)
{
	int err = leave();

	sleep(2);
	return err;
}

static int stop_joiner(void)
{
	int status;

	if (kill(joiner, SIGSTOP) || waitpid(joiner, &status, WUNTRACED) != joiner ||
	    !WIFSTOPPED(status))
		return -1;
	return 0;
}

/* The joiner: CPU 1, its own memory cgroup, faulting and freeing pages. */
static int start_joiner(void)
{
	write_str("/sys/fs/cgroup/cgroup.subtree_control", "+cpuset");
	if (mkdir(JOIN, 0755) && errno != EEXIST)
		return -errno;
	if (write_str(JOIN "/cpuset.cpus", "1"))
		return -1;
	joiner = fork();
	if (!joiner) {
		write_str(JOIN "/cgroup.procs", "0");
		pin(JOIN_CPU);
		for (;;)
			fill();
	}
	sleep(2);	/* vmstat_update runs, and re-arms, on CPU 1 */
	return joiner < 0 ? -1 : 0;
}

static void stop_join(void)
{
	if (joiner > 0) {
		kill(joiner, SIGKILL);
		waitpid(joiner, NULL, 0);
	}
	leave();
	rmdir(JOIN);
}

static int fire_slab_shrink(void)
{
	glob_t g;
	int n = 0;

	if (glob("/sys/kernel/slab/*/shrink", 0, NULL, &g))
		return -1;
	for (size_t i = 0; i < g.gl_pathc; i++)
		n += !write_str(g.gl_pathv[i], "1");
	globfree(&g);
	return n ? 0 : -1;
}

/* Small pages of the parent's own, collapsed into a THP: no child state. */
static int fire_collapse(void)
{
	char *raw = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = (char *)(((unsigned long)raw + HPAGE - 1) & ~(HPAGE - 1));
	int err;

	if (raw == MAP_FAILED)
		return -1;
	madvise(p, HPAGE, MADV_NOHUGEPAGE);
	for (unsigned long i = 0; i < HPAGE; i += PAGE)
		p[i] = 1;
	madvise(p, HPAGE, MADV_HUGEPAGE);
	err = madvise(p, HPAGE, 25 /* MADV_COLLAPSE */) ? -errno : 0;
	munmap(raw, 2 * HPAGE);
	return err;
}

/*
 * A task on @cpu that makes its fd table hold @fd, in an area vmalloc'ed
 * on @cpu and so in @cpu's vmap node, and exits: the area is freed
 * lazily, to that node's list.
 */
static int fd_table_task(int cpu, int fd)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		struct rlimit r = { fd + 1, fd + 1 };

		if (cpu != 0)	/* a task must be in the partition to run there */
			join_partition();
		pin(cpu);
		_exit(sched_getcpu() != cpu || setrlimit(RLIMIT_NOFILE, &r) || dup2(0, fd) != fd);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

static char old_nr_open[32];

/*
 * 32 MiB in the lazy lists of the vmap nodes of the isolated CPU and of
 * the last CPU: the last node with lazy areas is purged by the purging
 * CPU, the others by helpers on their own CPUs. 64 MiB stays under the
 * purge threshold, 32 MiB times the bit length of the online CPU count
 * (96 MiB with 4).
 */
static int seed_vmap_nodes(void)
{
	int last = sysconf(_SC_NPROCESSORS_CONF) - 1;

	if (!old_nr_open[0] && read_str("/proc/sys/fs/nr_open", old_nr_open, sizeof(old_nr_open)))
		return -1;
	if (write_str("/proc/sys/fs/nr_open", NR_OPEN) || fd_table_task(iso_cpu, SEED_FD) ||
	    (last != iso_cpu && fd_table_task(last, SEED_FD))) {
		write_str("/proc/sys/fs/nr_open", old_nr_open);
		return -1;
	}
	return 0;
}

/*
 * 512 MiB freed on CPU 0: over four times the purge threshold, so the
 * drain that follows gives every node with lazy areas but the last a
 * helper (one per threshold's worth, less one).
 */
static int fire_vmalloc_purge(void)
{
	int err = fd_table_task(0, BULK_FD);

	write_str("/proc/sys/fs/nr_open", old_nr_open);
	return err;
}

/* The function a trace line names after @key, up to "+0x" or a blank. */
static void sym(const char *line, const char *key, char *out, size_t size)
{
	const char *p = strstr(line, key);
	size_t len = 0;

	if (p) {
		p += strlen(key);
		len = strcspn(p, " +\n");
	}
	snprintf(out, size, "%.*s", (int)(len < size ? len : size - 1), p ? p : "");
}

static bool mask_has(const char *mask, int cpu)
{
	size_t len = strspn(mask, "0123456789abcdef,");
	int bit = 0;

	for (const char *p = mask + len; p-- > mask; ) {
		if (*p == ',')
			continue;
		if (cpu < bit + 4) {
			int d = isdigit((unsigned char)*p) ? *p - '0' : *p - 'a' + 10;

			return d & (1 << (cpu - bit));
		}
		bit += 4;
	}
	return false;
}

struct count { int source_work, source_ipi, other_work, other_ipi, elsewhere, markers; };

static bool mask_has_other(const char *mask, int cpu)
{
	for (int i = 0; i < 64; i++)
		if (i != cpu && mask_has(mask, i))
			return true;
	return false;
}

/* One trace line: work run on the isolated CPU, or an IPI sent to it. */
static void count_line(const char *line, regex_t *source, char csd[][64], struct count *c)
{
	const char *b = strchr(line, '['), *ev;
	int cpu = b ? atoi(b + 1) : -1;
	bool to_iso, to_other, is_source;
	char fn[64];

	if (strstr(line, "mm_noise: ")) {
		c->markers |= strstr(line, " begin") ? 1 : 2;
		return;
	}
	if (c->markers != 1)
		return;
	if ((ev = strstr(line, " workqueue_execute_start: ")) && cpu == watch_cpu) {
		sym(ev, "function ", fn, sizeof(fn));
		if (!regexec(source, fn, 0, NULL, 0))
			c->source_work++;
		else
			c->other_work++;
		printf("#  work on cpu%d: %s\n", watch_cpu, fn);
		return;
	}
	if ((ev = strstr(line, " csd_queue_cpu: ")) && cpu >= 0 && cpu < 64) {
		sym(ev, "func=", csd[cpu], 64);
		return;
	}
	if ((ev = strstr(line, " ipi_send_cpu: "))) {
		int target = atoi(strstr(ev, "cpu=") + 4);

		to_iso = target == watch_cpu;
		to_other = !to_iso;
	} else if ((ev = strstr(line, " ipi_send_cpumask: "))) {
		to_iso = mask_has(strstr(ev, "cpumask=") + 8, watch_cpu);
		to_other = mask_has_other(strstr(ev, "cpumask=") + 8, watch_cpu);
	} else {
		return;
	}
	sym(ev, "callback=", fn, sizeof(fn));
	/* kernel/smp.c names its generic handler: the csd names the function */
	if (!strcmp(fn, "generic_smp_call_function_single_interrupt") && cpu >= 0 && cpu < 64)
		snprintf(fn, sizeof(fn), "%s", csd[cpu]);
	is_source = !regexec(source, fn, 0, NULL, 0);
	/* the source's IPI to other CPUs: it still reaches those that need it */
	c->elsewhere += is_source && to_other;
	if (!to_iso)
		return;
	if (is_source)
		c->source_ipi++;
	else
		c->other_ipi++;
	printf("#  IPI to cpu%d from cpu%d: %s\n", watch_cpu, cpu, fn);
}

static int run(const struct trigger *t, int ready, int cpu)
{
	static char csd[64][64];
	struct count c = { 0 };
	char marker[64], line[1024];
	regex_t source;
	FILE *trace;
	int err = 0;

	watch_cpu = cpu;
	if (cpu == iso_cpu) {
		kill(child, SIGUSR1);
		if (wait_ready(ready)) {
			printf("# noise trigger=%s cpu=%d fired=0 error=child-not-ready\n", t->name, cpu);
			return -1;
		}
	}
	if (t->before && t->before()) {
		printf("# noise trigger=%s cpu=%d fired=0 error=not-prepared\n", t->name, cpu);
		return -1;
	}
	usleep(300 * 1000);	/* the child is back in user space */
	regcomp(&source, t->source, REG_EXTENDED | REG_NOSUB);
	write_str(T "trace", "");
	write_str(T "tracing_on", "1");
	snprintf(marker, sizeof(marker), "mm_noise: %s begin", t->name);
	if (t->from_return)
		err = t->fire();
	write_str(T "trace_marker", marker);
	if (!t->from_return)
		err = t->fire();
	usleep(t->window_ms * 1000);
	snprintf(marker, sizeof(marker), "mm_noise: %s end", t->name);
	write_str(T "trace_marker", marker);
	write_str(T "tracing_on", "0");

	memset(csd, 0, sizeof(csd));
	trace = fopen(T "trace", "r");
	while (trace && fgets(line, sizeof(line), trace))
		count_line(line, &source, csd, &c);
	if (trace)
		fclose(trace);
	regfree(&source);
	printf("# noise trigger=%s cpu=%d fired=%d traced=%d source_work=%d source_ipi=%d other_work=%d other_ipi=%d source_ipi_elsewhere=%d%s%s\n",
	       t->name, cpu, !err, c.markers == 3, c.source_work, c.source_ipi, c.other_work,
	       c.other_ipi, c.elsewhere, err ? " error=" : "", err ? strerror(-err > 0 ? -err : EIO) : "");
	return err || c.markers != 3 ? -1 : 0;
}

int main(void)
{
	char buf[300];
	int fds[2], rc = 0, jrc = 0;
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	iso_cpu = first_cpu("/sys/devices/system/cpu/nohz_full");
	if (iso_cpu < 0)
		iso_cpu = first_cpu("/sys/devices/system/cpu/isolated");
	if (iso_cpu < 0 || pipe(fds)) {
		printf("# noise error=no-isolated-cpu\n");
		return 1;
	}
	/* the drain checker filtered these to its isolated CPU: see every CPU */
	for (size_t i = 0; i < sizeof(filtered) / sizeof(filtered[0]); i++)
		write_str(filtered[i], "0");
	/* the markers come from CPU 0: order the CPUs' events as they happened */
	write_str(T "trace_clock", "global");
	pin(0);
	child = fork();
	if (!child)
		child_main(fds[1]);
	if (wait_ready(fds[0])) {
		printf("# noise error=child-not-ready\n");
		kill(child, SIGKILL);
		return 1;
	}
	/* "0::/wb" */
	snprintf(buf, sizeof(buf), "/proc/%d/cgroup", child);
	f = fopen(buf, "r");
	if (f && fgets(buf, sizeof(buf), f) && !strncmp(buf, "0::", 3))
		snprintf(child_cgroup, sizeof(child_cgroup), "%.*s", (int)strcspn(buf + 3, "\n"), buf + 3);
	if (f)
		fclose(f);
	printf("# noise isolated cpu=%d child cgroup=%s\n", iso_cpu, child_cgroup);
	for (size_t i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++)
		rc |= run(&triggers[i], fds[0], iso_cpu);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (start_joiner()) {
		printf("# noise error=no-joiner\n");
		rc = 1;
	} else {
		/* each step needs the one before */
		for (size_t i = 0; i < sizeof(join_triggers) / sizeof(join_triggers[0]) && !jrc; i++)
			jrc = run(&join_triggers[i], fds[0], JOIN_CPU);
		rc |= jrc;
	}
	stop_join();
	return rc ? 1 : 0;
}
