// SPDX-License-Identifier: GPL-2.0
/*
 * noise_kbench: times, from inside a UML benchmark kernel (see lru_kbench.c
 * and scripts/uml-bench.sh), the paths the second queue changes or passes
 * through: the strict overcommit check and the sum of all CPUs' committed
 * counts it adds near the limit, the isolation test quiet_vmstat() adds,
 * and, as controls whose code the queue leaves alone, the heuristic
 * overcommit check, a kmalloc/kfree pair and a node counter update. Built-in;
 * with noise_kbench.fast=CPULIST it runs at late_initcall, prints
 * "noise_kbench:" lines and powers the machine off. Interrupts are off in
 * every timed loop, for the reason lru_kbench.c gives.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/reboot.h>
#include <linux/sched/isolation.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmstat.h>

static char *fast = "";
module_param(fast, charp, 0);
static unsigned int runs = 5;
module_param(runs, uint, 0);

#define OPS	(1 << 20)

enum op { NEVER, GUESS, SUM, ISOLATED, KMALLOC, NODE_STAT, NR_OPS };
static const char * const op_name[NR_OPS] = {
	"vm_enough_memory_never", "vm_enough_memory_guess", "committed_as_sum",
	"cpu_is_isolated_or_nohz", "kmalloc+kfree", "mod_node_page_state",
};

static u64 time_op(enum op op)
{
	struct pglist_data *pgdat = NODE_DATA(numa_node_id());
	int old = sysctl_overcommit_memory, sink = 0, i;
	unsigned long flags;
	u64 t0, t;

	sysctl_overcommit_memory = op == GUESS ? OVERCOMMIT_GUESS : OVERCOMMIT_NEVER;
	local_irq_save(flags);
	t0 = ktime_get_ns();
	for (i = 0; i < OPS; i++) {
		switch (op) {
		case NEVER:
		case GUESS:
			sink += __vm_enough_memory(NULL, 1, 1);
			vm_unacct_memory(1);
			break;
		case SUM:
			sink += percpu_counter_sum_positive(&vm_committed_as);
			break;
		case ISOLATED:
			sink += cpu_is_isolated_or_nohz(raw_smp_processor_id());
			break;
		case KMALLOC:
			kfree(kmalloc(64, GFP_NOWAIT));
			break;
		case NODE_STAT:
			mod_node_page_state(pgdat, NR_KERNEL_MISC_RECLAIMABLE, (i & 1) ? -1 : 1);
			break;
		default:
			break;
		}
		OPTIMIZER_HIDE_VAR(sink);
	}
	t = ktime_get_ns() - t0;
	local_irq_restore(flags);
	sysctl_overcommit_memory = old;
	return t;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int fast_paths(void *done)
{
	u64 s[16], best, med;
	unsigned int n = min(runs, 16U), r;
	enum op op;

	for (op = 0; op < NR_OPS; op++) {
		for (r = 0; r < n; r++)
			s[r] = time_op(op);
		sort(s, n, sizeof(*s), cmp_u64, NULL);
		best = div64_u64(s[0] * 1000, OPS);
		med = div64_u64(s[n / 2] * 1000, OPS);
		pr_info("noise_kbench: ns/op op=%s cpu=%d best=%llu.%03llu median=%llu.%03llu samples=%u ops=%d\n",
			op_name[op], raw_smp_processor_id(), best / 1000, best % 1000,
			med / 1000, med % 1000, n, OPS);
	}
	complete(done);
	return 0;
}

static int __init noise_kbench(void)
{
	cpumask_var_t cpus;
	int cpu;

	if (!*fast)
		return 0;
	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL) || cpulist_parse(fast, cpus))
		pr_err("noise_kbench: bad noise_kbench.fast=%s\n", fast);
	pr_info("noise_kbench: start ncpus=%u runs=%u ops=%d\n", num_online_cpus(), runs, OPS);
	for_each_cpu_and(cpu, cpus, cpu_online_mask) {
		DECLARE_COMPLETION_ONSTACK(done);
		struct task_struct *t = kthread_create_on_cpu(fast_paths, &done, cpu, "noise_kbench/%u");

		if (IS_ERR(t)) {
			pr_err("noise_kbench: no thread on CPU %d\n", cpu);
			continue;
		}
		wake_up_process(t);
		wait_for_completion(&done);
	}
	pr_info("noise_kbench: done\n");
	kernel_power_off();
	return 0;
}
late_initcall(noise_kbench);
