// SPDX-License-Identifier: GPL-2.0
/*
 * lru_kbench: times the LRU folio batch paths from inside the kernel. The
 * workbench copies it into mm/ of a UML benchmark kernel (scripts/uml-bench.sh),
 * where kernel code runs natively on the host CPU, so that a lock-prefixed
 * instruction costs what it costs on hardware. Built-in; it runs at
 * late_initcall when asked on the command line, prints "lru_kbench:" lines
 * and powers the machine off:
 *
 *   lru_kbench.fast=CPULIST  time the batch fast paths on each of these CPUs
 *   lru_kbench.drain=1       time draining the full batches of CPU 1 from
 *                            CPU 0, then lru_add_drain_all() with every
 *                            other CPU's batches full
 *
 * Every timed loop runs with interrupts disabled: UML's local_irq_save()
 * costs host system calls when interrupts are on (a sigprocmask() each way),
 * which would bury the lock under them; with interrupts already off it is a
 * compare, as the batch code's own irqsave then is on hardware. The fault-like
 * unit therefore allocates with GFP_NOWAIT.
 *
 * LRU_KBENCH_REMOTE (set by the workbench for a series that drains other
 * CPUs' batches under their locks) adds the direct remote drain rows.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swap.h>
#include <linux/workqueue.h>
#include "internal.h"

static char *fast = "";
module_param(fast, charp, 0);
static bool drain;
module_param(drain, bool, 0);
static unsigned int runs = 7;
module_param(runs, uint, 0);
static unsigned int chunks = 1024;	/* of CHUNK folios: 1M operations */
module_param(chunks, uint, 0);

#define CHUNK	1024
#define HELD	(FOLIO_BATCH_SIZE - 1)	/* a batch moves when it gets the 31st */
#define SETS	6

static struct folio *pool[CHUNK];

static bool alloc_pool(struct folio **f, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		f[i] = folio_alloc(GFP_KERNEL, 0);
		if (!f[i]) {
			while (i--)
				folio_put(f[i]);
			return false;
		}
	}
	return true;
}

static void put_pool(struct folio **f, int n)
{
	int i;

	for (i = 0; i < n; i++)
		folio_put(f[i]);
}

enum op { ADD, ACTIVATE, DEACTIVATE, DEACTIVATE_FILE, ROTATE, MLOCK_NEW,
	  MUNLOCK, FAULT_UNIT, CMPXCHG, SPIN_PAIR, PREEMPT_PAIR, CPU_ID, NR_OPS };
static const char * const op_name[NR_OPS] = {
	"folio_add_lru", "folio_activate", "folio_deactivate",
	"deactivate_file_folio", "folio_rotate_reclaimable", "mlock_new_folio",
	"munlock_folio", "fault_unit", "lock_cmpxchg+store", "spin_lock+unlock",
	"preempt_disable+enable", "smp_processor_id",
};

/* Run @body on each folio of the pool, then drain: the batch moves count. */
#define TIME_POOL(acc, body) do {				\
	u64 t0 = ktime_get_ns();				\
	for (i = 0; i < CHUNK; i++) {				\
		struct folio *folio = pool[i];			\
		body;						\
	}							\
	lru_add_drain();					\
	acc += ktime_get_ns() - t0;				\
} while (0)

static void one_chunk(u64 *ns)
{
	unsigned long flags;
	int i;

	if (!alloc_pool(pool, CHUNK))
		return;
	local_irq_save(flags);
	TIME_POOL(ns[ADD], folio_add_lru(folio));
	TIME_POOL(ns[ACTIVATE], folio_activate(folio));
	TIME_POOL(ns[DEACTIVATE], folio_deactivate(folio));
	TIME_POOL(ns[DEACTIVATE_FILE], deactivate_file_folio(folio));
	TIME_POOL(ns[ROTATE], folio_rotate_reclaimable(folio));
	local_irq_restore(flags);
	put_pool(pool, CHUNK);

	if (!alloc_pool(pool, CHUNK))
		return;
	local_irq_save(flags);
	TIME_POOL(ns[MLOCK_NEW], mlock_new_folio(folio));
	TIME_POOL(ns[MUNLOCK], munlock_folio(folio));
	local_irq_restore(flags);
	put_pool(pool, CHUNK);

	/* Fault-like unit: allocate, clear, add to the LRU, drop the ref. */
	local_irq_save(flags);
	{
		u64 t0 = ktime_get_ns();

		for (i = 0; i < CHUNK; i++) {
			struct folio *folio = folio_alloc(GFP_NOWAIT | __GFP_NOWARN, 0);

			if (!folio)
				break;
			clear_highpage(folio_page(folio, 0));
			folio_add_lru(folio);
			folio_put(folio);
		}
		lru_add_drain();
		ns[FAULT_UNIT] += ktime_get_ns() - t0;
	}

	/* The meters: what a lock costs here, and UML's own overheads. */
	{
		static DEFINE_SPINLOCK(lock);
		int word = 0;
		u64 t0 = ktime_get_ns();

		for (i = 0; i < CHUNK; i++) {
			int old = 0;

			try_cmpxchg(&word, &old, 1);
			barrier();
			WRITE_ONCE(word, 0);
		}
		ns[CMPXCHG] += ktime_get_ns() - t0;
		t0 = ktime_get_ns();
		for (i = 0; i < CHUNK; i++) {
			spin_lock(&lock);
			spin_unlock(&lock);
		}
		ns[SPIN_PAIR] += ktime_get_ns() - t0;
		t0 = ktime_get_ns();
		for (i = 0; i < CHUNK; i++) {
			preempt_disable();
			preempt_enable();
		}
		ns[PREEMPT_PAIR] += ktime_get_ns() - t0;
		t0 = ktime_get_ns();
		for (i = 0; i < CHUNK; i++) {
			word = raw_smp_processor_id();
			OPTIMIZER_HIDE_VAR(word);
		}
		ns[CPU_ID] += ktime_get_ns() - t0;
	}
	local_irq_restore(flags);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Best and median of @n samples, each @div operations, in units/1000. */
static void report(const char *what, u64 *s, int n, u64 div)
{
	u64 best, med;

	sort(s, n, sizeof(*s), cmp_u64, NULL);
	best = div64_u64(s[0] * 1000, div);
	med = div64_u64(s[n / 2] * 1000, div);
	pr_info("lru_kbench: %s best=%llu.%03llu median=%llu.%03llu samples=%d ops=%llu\n",
		what, best / 1000, best % 1000, med / 1000, med % 1000, n, div);
}

static int fast_paths(void *arg)
{
	u64 (*ns)[NR_OPS] = kcalloc(runs, sizeof(*ns), GFP_KERNEL);
	u64 *s = kcalloc(runs, sizeof(*s), GFP_KERNEL);
	unsigned int r, c, op;
	char what[80];

	if (!ns || !s)
		goto out;
	for (r = 0; r < runs; r++) {
		for (c = 0; c < chunks; c++) {
			one_chunk(ns[r]);
			cond_resched();
		}
	}
	for (op = 0; op < NR_OPS; op++) {
		for (r = 0; r < runs; r++)
			s[r] = ns[r][op];
		snprintf(what, sizeof(what), "ns/op cpu=%d op=%s",
			 smp_processor_id(), op_name[op]);
		report(what, s, runs, (u64)chunks * CHUNK);
	}
out:
	kfree(ns);
	kfree(s);
	complete(arg);
	return 0;
}

/*
 * Full batches on one CPU: lru_add, lru_activate, lru_deactivate,
 * lru_deactivate_file and lru_move_tail with HELD folios each, and the mlock
 * batch with HELD. (lru_lazyfree needs anonymous folios and stays empty.)
 */
static struct folio *(*held)[SETS][HELD];

static void fill_batches(struct work_struct *work)
{
	struct folio **f = held[smp_processor_id()][0];
	int i;

	if (!alloc_pool(f, SETS * HELD))
		return;
	for (i = HELD; i < 5 * HELD; i++)
		folio_add_lru(f[i]);
	lru_add_drain();
	for (i = 2 * HELD; i < 3 * HELD; i++)
		folio_activate(f[i]);
	lru_add_drain();
	for (i = 0; i < HELD; i++) {
		folio_add_lru(f[i]);
		folio_activate(f[HELD + i]);
		folio_deactivate(f[2 * HELD + i]);
		deactivate_file_folio(f[3 * HELD + i]);
		folio_rotate_reclaimable(f[4 * HELD + i]);
		mlock_new_folio(f[5 * HELD + i]);
	}
}

static void drain_local(struct work_struct *work)
{
	lru_add_drain();
}

static void fill(const struct cpumask *cpus)
{
	struct work_struct __percpu *works = alloc_percpu(struct work_struct);
	int cpu;

	for_each_cpu(cpu, cpus) {
		INIT_WORK(per_cpu_ptr(works, cpu), fill_batches);
		schedule_work_on(cpu, per_cpu_ptr(works, cpu));
	}
	for_each_cpu(cpu, cpus)
		flush_work(per_cpu_ptr(works, cpu));
	free_percpu(works);
}

static void empty(const struct cpumask *cpus)
{
	int cpu;

	lru_add_drain_all();
	for_each_cpu(cpu, cpus)
		put_pool(held[cpu][0], SETS * HELD);
}

#define DRAIN_REPS 15

static int drains(void *arg)
{
	u64 s[DRAIN_REPS], t0;
	struct work_struct work;
	struct cpumask others;
	char what[80];
	int r;

	held = kcalloc(nr_cpu_ids, sizeof(*held), GFP_KERNEL);
	if (!held || num_online_cpus() < 2)
		goto out;

	/* One CPU's full batches, drained by a work item on that CPU. */
	INIT_WORK_ONSTACK(&work, drain_local);
	for (r = 0; r < DRAIN_REPS; r++) {
		fill(cpumask_of(1));
		t0 = ktime_get_ns();
		schedule_work_on(1, &work);
		flush_work(&work);
		s[r] = ktime_get_ns() - t0;
		empty(cpumask_of(1));
	}
	destroy_work_on_stack(&work);
	report("us drain_one method=work_item cpu=1", s, DRAIN_REPS, 1000);
#ifdef LRU_KBENCH_REMOTE
	for (r = 0; r < DRAIN_REPS; r++) {
		fill(cpumask_of(1));
		t0 = ktime_get_ns();
		lru_add_drain_cpu(1);
		mlock_drain_cpu(1);
		s[r] = ktime_get_ns() - t0;
		empty(cpumask_of(1));
	}
	report("us drain_one method=remote cpu=1", s, DRAIN_REPS, 1000);
#endif
	/* lru_add_drain_all() from CPU 0 with every other CPU's batches full. */
	cpumask_andnot(&others, cpu_online_mask, cpumask_of(0));
	for (r = 0; r < DRAIN_REPS; r++) {
		fill(&others);
		t0 = ktime_get_ns();
		lru_add_drain_all();
		s[r] = ktime_get_ns() - t0;
		empty(&others);
	}
	snprintf(what, sizeof(what), "us drain_all ncpus=%u full=%u",
		 num_online_cpus(), cpumask_weight(&others));
	report(what, s, DRAIN_REPS, 1000);
out:
	kfree(held);
	complete(arg);
	return 0;
}

static void run_on(int (*fn)(void *), int cpu)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct task_struct *t = kthread_create_on_cpu(fn, &done, cpu, "lru_kbench/%u");

	if (IS_ERR(t)) {
		pr_err("lru_kbench: no thread on CPU %d\n", cpu);
		return;
	}
	wake_up_process(t);
	wait_for_completion(&done);
}

static int __init lru_kbench(void)
{
	cpumask_var_t cpus;
	int cpu;

	if (!*fast && !drain)
		return 0;
	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL) || cpulist_parse(fast, cpus))
		pr_err("lru_kbench: bad lru_kbench.fast=%s\n", fast);
	pr_info("lru_kbench: start ncpus=%u runs=%u ops=%u\n",
		num_online_cpus(), runs, chunks * CHUNK);
	for_each_cpu_and(cpu, cpus, cpu_online_mask)
		run_on(fast_paths, cpu);
	if (drain)
		run_on(drains, 0);
	pr_info("lru_kbench: done\n");
	kernel_power_off();
	return 0;
}
late_initcall(lru_kbench);
