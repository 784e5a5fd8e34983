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

failed = False
def say(ok, what):
    global failed
    failed = failed or not ok
    line = ("PASS " if ok else "FAIL ") + tag + what
    print(line)
    with open(results, "a") as f:
        f.write(line + "\n")

for setup in setups:
    for kernel in ("base", "series"):
        path = os.path.join(logdir, f"isolation-{setup}-{kernel}.log")
        text = open(path, errors="replace").read() if os.path.exists(path) else ""
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
        if (r["setup"], r["kernel"], r["trigger"]) == (setup, kernel, trigger) and \
                mode in (None, r.get("mglru")):
            v = r.get(key)
            if isinstance(v, bool) or v is None:
                return {True: "yes", False: "NO", None: "-"}[v]
            return v
    return "?"

md = [f"CPUs 2-3 of 4 isolated; base: {base_name}.", ""]
def triggers_of(setup, mode):
    return list(dict.fromkeys(r["trigger"] for r in rows if r["setup"] == setup
                              and r["trigger"] != "storm" and r["mglru"] == mode))

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
                     and r["trigger"] != "storm" and r["batched_before"] for b in r["batches"]})
    say(len(filled) >= 6, f"{setup}: the series' runs filled and drained {len(filled)} batch types "
        f"({', '.join(filled) or 'none'}; lru_move_tail cannot be filled from user space)")
if int(os.environ.get("WB_STORM_SECONDS", "0")) > 0:
    say("series" in storms and "base" in storms, "drain storm ran on base and series")
if "series" in storms and "base" in storms:
    say(storms["series"]["work"] == "0", "drain storm: no LRU or bh drain work item on isolated CPUs with the series")
    say(int(storms["base"]["work"]) > 0, "drain storm negative control: LRU drain work items on isolated CPUs with the base")
    say(all(storms[k].get("timerlat_samples", "-1") not in ("-1", "0") for k in ("base", "series")),
        "drain storm: rtla timerlat measured isolated CPU 2 on base and series "
        f"(samples: {storms['base'].get('timerlat_samples')}, {storms['series'].get('timerlat_samples')})")
sys.exit(1 if failed else 0)
