#!/usr/bin/env python3
"""isolation-report.py LOGDIR REPORTDIR BASE SETUP...: turn the console logs
of the base and series guests of each isolation set-up into
isolation.{json,md} in REPORTDIR, and judge them: in every set-up, and with
MGLRU off and on, the selftest must pass on the series and must fail on the
base for every LRU drain trigger (the negative control), while the page
allocator's pcp drain, remote since v6.0, must pass on both."""
import json, os, re, sys

logdir, outdir, base_name = sys.argv[1:4]
setups = sys.argv[4:]
results = os.environ.get("WB_RESULTS", os.devnull)
tag = os.environ.get("WB_TAG", "")
SETUP_TEXT = {
    "domain": "nohz_full=2-3 isolcpus=domain,2-3 at boot",
    "nohz": "nohz_full=2-3 at boot, no domain isolation",
    "partition": "nohz_full=2-3 at boot, CPUs 2-3 made a cpuset v2 isolated partition at run time",
}
# What each set-up must show at boot (guest/init's WB-BEGIN and partition
# lines), so that a command line the kernel ignored cannot pass unnoticed.
SETUP_PROOF = {
    "domain": r"^WB-BEGIN .* isolated=2-3 nohz_full=2-3$",
    "nohz": r"^WB-BEGIN .* isolated= nohz_full=2-3$",
    "partition": r"^partition 2-3: isolated, cpuset.cpus.isolated=2-3$",
}
rows, checks, storms, in_effect, modes, kselftest = [], {}, {}, {}, {}, {}
KERNELS = os.environ.get("WB_KERNELS", "base series").split()
# The other mm sources (guest/mm_noise.c), judged only when the second
# queue's kernel (noise) booted: the base must show each where the base
# reaches an isolated CPU in that set-up (the negative control), the noise
# kernel none of those the second queue handles.
noise = {}
NOISE_FIXED = ["vmstat", "stat_refresh", "memcg_high", "slab_shrink", "overcommit", "collapse", "vmalloc_purge"]
NOISE_ON_BASE = {"domain": ["stat_refresh", "slab_shrink", "overcommit", "collapse", "vmalloc_purge"],
                 "nohz": ["vmstat", "stat_refresh", "memcg_high", "slab_shrink", "overcommit", "collapse",
                          "vmalloc_purge"],
                 "partition": ["stat_refresh", "slab_shrink", "overcommit", "collapse", "vmalloc_purge"]}
# CPU 1 joins an isolated partition at run time, then leaves it: how many
# of the source's work items each kernel must run there, in every set-up
# (0, or "some"; None: shown, not judged). join_fold has no base control:
# there a pending vmstat_update may fire during the write or not; the
# mutant noise-vmstat-fold is its negative control.
NOISE_JOIN = {"join_stock": {"base": 0, "noise": "some"},
              "join_sheaves": {"base": 0, "noise": "some"},
              "join_fold": {"base": None, "noise": "some"},
              "join_vmstat": {"base": "some", "noise": 0},
              "join_memcg": {"base": 0, "noise": 0},
              "rejoin_memcg": {"base": 0, "noise": "some"}}
# A base whose second queue holds only some of the fixes (the pin's
# NOISE_CHECKS, e.g. 6.12) is judged on those triggers alone.
ONLY = os.environ.get("WB_NOISE_CHECKS", "").split()
def judged(t):
    return not ONLY or t in ONLY

SOURCE = {"vmstat": "vmstat_update", "stat_refresh": "refresh_vm_stats (stat_refresh)",
          "overcommit": "sync_overcommit_as (overcommit_memory=2)",
          "memcg_high": "drain_local_{memcg,obj}_stock (memory.high)",
          "slab_shrink": "flush_cpu_sheaves (shrink every cache)",
          "collapse": "tlb_remove_table_smp_sync IPI (MADV_COLLAPSE)",
          "vmalloc_purge": "purge_vmap_node (512 MiB of vfree)",
          "join_stock": "memcg and obj stock drains on CPU 1 as it joins an isolated partition",
          "join_sheaves": "sheaf flush on CPU 1 as it joins an isolated partition",
          "join_fold": "vmstat_update on CPU 1 as it joins an isolated partition (folds its counters)",
          "join_vmstat": "vmstat_update on CPU 1 in the 3 s after it joins an isolated partition",
          "join_memcg": "obj stock drain on CPU 1 while it is isolated (memory.high)",
          "rejoin_memcg": "obj stock drain on CPU 1 after it left the partition (memory.high)"}

failed = False
def say(ok, what):
    global failed
    failed = failed or not ok
    line = ("PASS " if ok else "FAIL ") + tag + what
    print(line)
    with open(results, "a") as f:
        f.write(line + "\n")

for setup in setups:
    for kernel in KERNELS:
        path = os.path.join(logdir, f"isolation-{setup}-{kernel}.log")
        text = open(path, errors="replace").read() if os.path.exists(path) else ""
        for m in re.finditer(r"^# noise trigger=(.*)$", text, re.M):
            f = dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)
            f["trigger"] = m.group(1).split()[0]
            noise[setup, kernel, f["trigger"]] = f
            rows.append({"setup": setup, "kernel": kernel, "source_trigger": f["trigger"],
                         "fired": f.get("fired") == "1", "traced": f.get("traced") == "1",
                         "source_work_items": int(f.get("source_work", -1)),
                         "source_ipis": int(f.get("source_ipi", -1)),
                         "other_work_items": int(f.get("other_work", -1)),
                         "other_ipis": int(f.get("other_ipi", -1))})
        in_effect[setup, kernel] = bool(re.search(SETUP_PROOF.get(setup, "^WB-BEGIN"), text, re.M))
        # the series' kselftest, run once after the checker (guest/wb-isolation)
        m = re.search(r"^kselftest-rc=(\d+)", text, re.M)
        kselftest[setup, kernel] = (int(m.group(1)) if m else None,
                                    re.findall(r"^kselftest: ((?:not )?ok \d+ .*)$", text, re.M))
        # one run of the selftest per TAP header, each with MGLRU off or on
        for run in re.split(r"^TAP version \d+$", text, flags=re.M)[1:]:
            m = re.search(r"^# isolated CPU .*, MGLRU (on|off)$", run, re.M)
            mode = m.group(1) if m else "-"
            modes.setdefault((setup, kernel), []).append(mode)
            checks[setup, kernel, mode] = c = {}
            # "ok N # SKIP name" (ksft_test_result_skip) or "ok N name # SKIP"
            for m in re.finditer(r"^(ok|not ok) \d+ (# SKIP )?(.*?)( # SKIP.*)?$", run, re.M):
                c[m.group(3).strip()] = "skip" if m.group(2) or m.group(4) else m.group(1)
            batches = dict(re.findall(r"^# (\w+): batches checked: (\S*)$", run, re.M))
            for m in re.finditer(r"^# result (.*)$", run, re.M):
                f = dict(kv.split("=", 1) for kv in m.group(1).split())
                rows.append({"setup": setup, "kernel": kernel, "mglru": mode, "trigger": f["trigger"],
                             "batches": batches.get(f["trigger"], "").split(","),
                             "isolated_work_items": int(f["work"]),
                             "isolated_ipis": int(f["ipi"]),
                             "isolated_task_switches": int(f["switches"]),
                             "batched_before": f["batched"] == "1",
                             "drain_complete": f["complete"] == "1"})
        m = re.search(r"^# storm (seconds=.*)$", text, re.M)
        if m:
            f = dict(kv.split("=", 1) for kv in m.group(1).split())
            storms[kernel] = dict(f, setup=setup)
            rows.append({"setup": setup, "kernel": kernel, "trigger": "storm",
                         "isolated_work_items": int(f["work"]),
                         "isolated_other_work_items": int(f.get("other_work", 0)),
                         "isolated_ipis": int(f["ipi"]),
                         "isolated_tlb_flush_ipis": int(f.get("tlb_ipi", 0)),
                         "drain_complete": None, "drains": int(f["drains"]),
                         "seconds": int(f["seconds"]),
                         "oslat_max_us": int(f["oslat_max_us"]),
                         "timerlat_samples": int(f.get("timerlat_samples", -1)),
                         "timerlat_p99_us": f.get("timerlat_p99_us", "-1"),
                         "timerlat_max_us": int(f.get("timerlat_max_us", -1))})

os.makedirs(outdir, exist_ok=True)
with open(os.path.join(outdir, "isolation.json"), "w") as f:
    json.dump(rows, f, indent=1)

def cell(setup, kernel, trigger, key, mode=None):
    for r in rows:
        if (r["setup"], r["kernel"], r.get("trigger")) == (setup, kernel, trigger) and \
                mode in (None, r.get("mglru")):
            v = r.get(key)
            if isinstance(v, bool) or v is None:
                return {True: "yes", False: "NO", None: "-"}[v]
            return v
    return "?"

md = [f"CPUs 2-3 of 4 isolated; base: {base_name}.", ""]
def triggers_of(setup, mode):
    return list(dict.fromkeys(r["trigger"] for r in rows if r["setup"] == setup and "mglru" in r
                              and r["mglru"] == mode))

def modes_of(setup):
    return list(dict.fromkeys(modes.get((setup, "series"), []) + modes.get((setup, "base"), [])))

for setup in setups:
    md += [f"Set-up `{setup}`: {SETUP_TEXT.get(setup, setup)}.", "",
           "| trigger | MGLRU | batches filled | work items base | series | IPIs base | series "
           "| drain complete base | series |",
           "|---|---|---|---|---|---|---|---|---|"]
    for mode in modes_of(setup):
        for t in triggers_of(setup, mode):
            md.append(f"| {t} | {mode} | {', '.join(cell(setup, 'series', t, 'batches', mode))} "
                      f"| {cell(setup, 'base', t, 'isolated_work_items', mode)} "
                      f"| {cell(setup, 'series', t, 'isolated_work_items', mode)} "
                      f"| {cell(setup, 'base', t, 'isolated_ipis', mode)} "
                      f"| {cell(setup, 'series', t, 'isolated_ipis', mode)} "
                      f"| {cell(setup, 'base', t, 'drain_complete', mode)} "
                      f"| {cell(setup, 'series', t, 'drain_complete', mode)} |")
    md.append("")
if storms:
    md += [f"Drain storm (set-up `{next(iter(storms.values()))['setup']}`): CPU 0 writes drop_caches and "
           "compact_memory in a loop while stress-ng faults pages on isolated CPU 2 and oslat spins on "
           "isolated CPU 3. oslat runs under TCG, so its latencies include emulation noise. Tracing covers "
           "the storm only. TLB flushes for the stress-ng pages that compaction migrates are counted apart: "
           "they are a cost of migration, not of the drain. Work items are split into the drains' own "
           "(lru_add_drain_per_cpu, bh_lru_drain_per_cpu and the wq_barrier_func of their flush) and the "
           "rest (vmstat_update, on either kernel). The guest log lists every work item and IPI by "
           "target CPU and function or call site. rtla timerlat runs its thread on CPU 2, next to "
           "the faulting task: its wake-up latency includes any time that task spends with "
           "preemption disabled, spinning on its batch lock while CPU 0 drains the batches "
           "(series) or running the drain's work item there (base); p99 is the upper edge of "
           "its 10 us bucket. A lockdep kernel under TCG: compare the two rows, not the "
           "absolute values.", "",
           "| kernel | seconds | drains | drain work items on CPUs 2-3 | other work items | IPIs "
           "| TLB-flush IPIs | oslat max (us) | timerlat samples | timerlat p99 (us) | timerlat max (us) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for k, f in storms.items():
        md.append(f"| {k} | {f['seconds']} | {f['drains']} | {f['work']} | {f.get('other_work', '?')} | {f['ipi']} "
                  f"| {f.get('tlb_ipi', '?')} | {f['oslat_max_us']} | {f.get('timerlat_samples', '-')} "
                  f"| {f.get('timerlat_p99_us', '-')} | {f.get('timerlat_max_us', '-')} |")
def ncell(setup, kernel, t):
    f = noise.get((setup, kernel, t))
    if not f:
        return "?"
    if f.get("fired") != "1" or f.get("traced") != "1":
        return "not run"
    return f"{f['source_work']}/{f['source_ipi']}"

if any(k[1] == "noise" for k in noise):
    md += ["", "Other mm sources (guest/mm_noise.c; the second queue, patches/noise): a task on "
           "isolated CPU 2 faults pages, frees accounted objects and maps and unmaps areas, then "
           "spins in user space; CPU 0 fires each trigger (vmstat: waits 3 s; vmalloc_purge: tasks on CPUs 2 and 3 first leave 32 MiB of lazily freed vmap area each). Then CPU 1, with a "
           "task faulting pages in a memory cgroup of its own, joins a cpuset isolated partition "
           "four times, leaving it for 2 s in between (the join_ rows, counted on CPU 1: join_stock, "
           "join_sheaves and join_fold during the partition write, join_vmstat from when it has returned); then "
           "the task is stopped, memory.high is lowered, CPU 1 leaves and memory.high is lowered again "
           "(join_memcg, rejoin_memcg: only the obj stock's drains are counted, as the memcg stock is "
           "passed over only if it holds pages). Each cell: work items / IPIs of that source on the CPU in the "
           "window, on the base, the LRU series and both series (noise). Work and IPIs that are "
           "not the source's (kworker wake-ups, flush barriers) are in the guest log and the "
           "JSON.", "",
           "| trigger | source | " + " | ".join(f"{st} base | series | noise" for st in setups) + " |",
           "|---|---|" + "---|---|---|" * len(setups)]
    for t in SOURCE:
        md.append(f"| {t} | {SOURCE[t]} | " + " | ".join(
            " | ".join(ncell(st, k, t) for k in ("base", "series", "noise")) for st in setups) + " |")
open(os.path.join(outdir, "isolation.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))

# The judgement.
# The kernels have MGLRU: guest/wb-isolation runs the selftest with it off,
# then on; both runs must be there, on both kernels.
EXPECTED_MODES = os.environ.get("WB_MGLRU_MODES", "off on").split()
for setup in setups:
    say(in_effect[setup, "base"] and in_effect[setup, "series"],
        f"{setup}: the isolation was in effect on both kernels ({SETUP_TEXT.get(setup, setup)})")
    say(all(modes.get((setup, k)) == EXPECTED_MODES for k in ("base", "series")),
        f"{setup}: the selftest ran with MGLRU {' and '.join(EXPECTED_MODES)} on both kernels "
        f"(base: {' '.join(modes.get((setup, 'base'), [])) or 'none'}; "
        f"series: {' '.join(modes.get((setup, 'series'), [])) or 'none'})")
    for mode in modes_of(setup):
        m = f"{setup}, MGLRU {mode}"
        series, base = checks.get((setup, "series", mode), {}), checks.get((setup, "base", mode), {})
        failed = [name for name, v in series.items() if v == "not ok"]
        say(bool(series) and not failed,
            f"{m}: selftest passes on the series ({sum(v == 'ok' for v in series.values())} ok, "
            f"{sum(v == 'skip' for v in series.values())} skipped"
            + (f"; not ok: {'; '.join(failed)}; see {logdir}/isolation-{setup}-series.log" if failed else "")
            + "".join(f"; boot {n} failed: {logdir}/isolation-{setup}-series.{n}.log" for n in (1, 2)
                      if os.path.exists(f"{logdir}/isolation-{setup}-series.{n}.log")) + ")")
        triggers = triggers_of(setup, mode)
        say(len(triggers) == 5, f"{m}: all 5 triggers ran ({', '.join(triggers) or 'none'})")
        for t in triggers:
            name = f"{t}: no work on isolated CPU"
            say(base.get(name) == "not ok",
                f"{m}: negative control: base fails '{name}' (if not, the test has lost its teeth)")
            say(cell(setup, "base", t, "drain_complete", mode) == "yes" and
                cell(setup, "series", t, "drain_complete", mode) == "yes",
                f"{m}: {t}: drain complete on base and series")
        pcp = "cma_alloc: isolated CPU's pcp lists drained"
        say(base.get(pcp) == "ok" and series.get(pcp) == "ok",
            f"{m}: isolated CPU's pcp lists drained by cma_alloc on base and series "
            "(drain_all_pages() is remote since v6.0)")
    # The series' own kselftest: passes on the series, fails on the base
    # with a "no drain work" check (its negative control).
    (src, sres), (brc, bres) = kselftest.get((setup, "series"), (None, [])), kselftest.get((setup, "base"), (None, []))
    sok = [r for r in sres if r.startswith("ok ") and "# SKIP" not in r]
    say(src == 0 and any("no drain work" in r for r in sok) and any("were drained" in r for r in sok),
        f"{setup}: kselftest lru_drain_isolation passes on the series (exit {src}; {len(sok)} ok, "
        f"{sum('# SKIP' in r for r in sres)} skipped, {sum(r.startswith('not ok') for r in sres)} not ok)")
    bfail = [r for r in bres if r.startswith("not ok") and "no drain work" in r]
    say(brc not in (None, 0) and bfail,
        f"{setup}: negative control: kselftest lru_drain_isolation fails on the base "
        f"(exit {brc}; {'; '.join(bfail) or 'no no-drain-work failure'})")
    # Which batch types the runs filled and proved batched before a trigger.
    filled = sorted({b for r in rows if r["setup"] == setup and r["kernel"] == "series"
                     and r.get("batched_before") for b in r["batches"]})
    say(len(filled) >= 6, f"{setup}: the series' runs filled and drained {len(filled)} batch types "
        f"({', '.join(filled) or 'none'}; lru_move_tail cannot be filled from user space)")
def hits(setup, kernel, t):
    f = noise.get((setup, kernel, t), {})
    return int(f.get("source_work", 0)) + int(f.get("source_ipi", 0))

if "noise" in KERNELS:
    for setup in setups:
        # The LRU series' checks hold with the second queue on top.
        for mode in modes_of(setup):
            nc = checks.get((setup, "noise", mode), {})
            bad = [name for name, v in nc.items() if v == "not ok"]
            say(bool(nc) and not bad, f"{setup}, MGLRU {mode}: LRU selftest passes on the kernel with "
                f"both series{'; not ok: ' + '; '.join(bad) if bad else ''}")
        nrc = kselftest.get((setup, "noise"), (None, []))[0]
        say(nrc == 0, f"{setup}: kselftest lru_drain_isolation passes on the kernel with both series (exit {nrc})")
        want = [t for t in NOISE_FIXED + list(NOISE_JOIN) if judged(t)]
        ran = [t for t in want
               if all(noise.get((setup, k, t), {}).get("fired") == "1" and
                      noise.get((setup, k, t), {}).get("traced") == "1" for k in ("base", "noise"))]
        say(len(ran) == len(want),
            f"{setup}: every mm source trigger fired and was traced on base and noise ({', '.join(ran) or 'none'})")
        for t in filter(judged, NOISE_FIXED):
            if t in NOISE_ON_BASE.get(setup, []):
                say(hits(setup, "base", t) > 0, f"{setup}: {t}: negative control: the base runs its work "
                    f"on the isolated CPU ({ncell(setup, 'base', t)} work/IPIs)")
            say(hits(setup, "noise", t) == 0, f"{setup}: {t}: no work or IPI of this source on the isolated "
                f"CPU with the second series ({ncell(setup, 'noise', t)}; base {ncell(setup, 'base', t)})")
        # The narrowed IPI still goes where a walker may run: CPU 1, a
        # housekeeping CPU that is not nohz_full.
        n = int(noise.get((setup, "noise", "collapse"), {}).get("source_ipi_elsewhere", 0))
        if judged("collapse"):
            say(n > 0, f"{setup}: collapse: positive control: with the second series the table-sync "
                f"IPI still reaches the other CPUs ({n} IPIs)")
        # Run-time isolation of CPU 1: the base drains nothing as it joins,
        # runs a pending vmstat_update after the join and never drains a
        # stock it once passed over.
        for t, counts in filter(lambda i: judged(i[0]), NOISE_JOIN.items()):
            for k, w in counts.items():
                if w is None:
                    continue
                f = noise.get((setup, k, t), {})
                ok = f.get("fired") == "1" and f.get("traced") == "1" and \
                    (hits(setup, k, t) > 0 if w == "some" else hits(setup, k, t) == w)
                say(ok, f"{setup}: {t}: {'some' if w == 'some' else 'no'} work of this source on CPU 1 "
                    f"with the {'base (negative control)' if k == 'base' else 'second series'} "
                    f"({SOURCE[t]}: {ncell(setup, k, t)})")
if int(os.environ.get("WB_STORM_SECONDS", "0")) > 0:
    say("series" in storms and "base" in storms, "drain storm ran on base and series")
if "series" in storms and "base" in storms:
    say(storms["series"]["work"] == "0", "drain storm: no LRU or bh drain work item on isolated CPUs with the series")
    say(int(storms["base"]["work"]) > 0, "drain storm negative control: LRU drain work items on isolated CPUs with the base")
    say(all(storms[k].get("timerlat_samples", "-1") not in ("-1", "0") for k in ("base", "series")),
        "drain storm: rtla timerlat measured isolated CPU 2 on base and series "
        f"(samples: {storms['base'].get('timerlat_samples')}, {storms['series'].get('timerlat_samples')})")
sys.exit(1 if failed else 0)
