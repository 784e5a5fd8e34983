#!/usr/bin/env python3
"""uml-bench-report.py TXT OUT : the lru_kbench (or noise_kbench) lines of
uml-bench.sh as OUT.json (one record per line) and OUT.md (the tables the
cover letters quote)."""
import json
import re
import sys

txt, out = sys.argv[1], sys.argv[2]
host, date, bench, rows = "", "", "lru", []
for line in open(txt):
    if line.startswith("# bench:"):
        bench = line.split(":", 1)[1].strip()
        continue
    if line.startswith("# host:"):
        host = line.split(":", 1)[1].strip()
        continue
    if line.startswith("# date:"):
        date = line.split(":", 1)[1].strip()
        continue
    m = re.match(r"(\S+) (.*?): (ns/op|us)(?: ([a-z_]+))? (.*)$", line.strip())
    if not m:
        continue
    variant, args, unit, what, rest = m.groups()
    f = dict(kv.split("=", 1) for kv in rest.split())
    a = dict(kv.split("=", 1) for kv in args.split())
    rows.append({
        "variant": variant, "ncpus": int(a["ncpus"]),
        "isolated": a.get("isolcpus", "none").replace("domain,", ""),
        "unit": unit, "what": what or "", "op": f.get("op", f.get("method", "")),
        "cpu": int(f["cpu"]) if "cpu" in f else 0,
        "best": float(f["best"]), "median": float(f["median"]),
        "samples": int(f["samples"]),
        "method": "UML (ARCH=um) kernel on the host CPU, in-kernel loop, "
                  "interrupts off, x86-64 TSO barriers; " +
                  ("best and median of %s runs of %s operations" % (f["samples"], f["ops"])
                   if unit == "ns/op" else "best and median of %s drains" % f["samples"]),
    })
json.dump({"host": host, "date": date, "bench": bench, "rows": rows}, open(out + ".json", "w"), indent=1)


def best(variant, op, isolated, cpu, ncpus=2):
    m = [r["best"] for r in rows if (r["variant"], r["op"], r["isolated"], r["cpu"], r["ncpus"]) ==
         (variant, op, isolated, cpu, ncpus)]
    return min(m) if m else None


if bench == "noise":
    ops = list(dict.fromkeys(r["op"] for r in rows))
    nboots = sum(1 for r in rows if r["variant"] == "series" and r["op"] == ops[0]
                 and r["ncpus"] == 2 and r["isolated"] == "none") if ops else 0
    md = ["# The second queue's paths on the host CPU (UML)", "",
          "Host: %s. %s." % (host, date), "",
          "ns per operation on CPU 1 of a 2-CPU UML kernel, the best run of %d boots"
          " of each kind; series: the LRU series, noise: with the second queue on top."
          " vm_enough_memory_*: __vm_enough_memory() of one page and its"
          " vm_unacct_memory(), no mm, under OVERCOMMIT_NEVER (the strict check,"
          " which the second queue changes) and OVERCOMMIT_GUESS (unchanged)."
          " committed_as_sum: percpu_counter_sum_positive(&vm_committed_as), what"
          " the strict check adds near the limit while an isolated CPU's count is"
          " unsynced. cpu_is_isolated_or_nohz: what quiet_vmstat() adds at tick"
          " stop when no vmstat_update is pending. kmalloc+kfree (64 bytes) and"
          " mod_node_page_state (+1 or -1): paths whose code the queue leaves alone,"
          " as controls. Method: %s." % (nboots, rows[0]["method"] if rows else ""), "",
          "| path | series | noise | series, CPU 1 isolated | noise, CPU 1 isolated |",
          "|---|---:|---:|---:|---:|"]
    for op in ops:
        cells = []
        for iso in ("none", "1"):
            b, n = best("series", op, iso, 1), best("noise", op, iso, 1)
            cells += ["-" if b is None else "%.2f" % b,
                      "-" if None in (b, n) else "%.2f (%+.2f)" % (n, n - b)]
        md.append("| %s | " % op + " | ".join(cells) + " |")
    sizes = sorted({r["ncpus"] for r in rows if r["op"] == "committed_as_sum" and r["cpu"] == 0})
    if sizes:
        md += ["", "committed_as_sum on CPU 0 by the number of CPUs (every CPU but 0 isolated),"
               " noise kernel, ns (best of 5 runs):", "",
               "| ncpus | " + " | ".join(str(n) for n in sizes) + " |",
               "|---|" + "---:|" * len(sizes),
               "| ns | " + " | ".join("%.1f" % best("noise", "committed_as_sum", "1-%d" % (n - 1), 0, n)
                                      if best("noise", "committed_as_sum", "1-%d" % (n - 1), 0, n)
                                      is not None else "-" for n in sizes) + " |"]
    open(out + ".md", "w").write("\n".join(md) + "\n")
    sys.exit(0)


def get(variant, op, isolated, cpu, key="best"):
    """Over the boots of a kind: the best of their bests, or the median of
    their medians."""
    m = [r[key] for r in rows if (r["variant"], r["op"], r["isolated"], r["cpu"], r["unit"]) ==
         (variant, op, isolated, cpu, "ns/op")]
    if not m:
        return None
    return min(m) if key == "best" else sorted(m)[len(m) // 2]


# (column title, variant, isolated CPUs of the boot, CPU the loop ran on)
cols = [("base", "base", "none", 1),
        ("keyed: key off", "keyed", "none", 1),
        ("keyed: key on, CPU not isolated", "keyed", "1", 0),
        ("keyed: isolated CPU", "keyed", "1", 1),
        ("series", "series", "none", 1),
        ("series: isolated CPU", "series", "1", 1)]
cols = [c for c in cols if get(c[1], "folio_add_lru", c[2], c[3]) is not None]
ops = [r["op"] for r in rows if r["unit"] == "ns/op" and r["variant"] == "base"]
ops = list(dict.fromkeys(ops))
batch_ops = [o for o in ops if o.startswith(("folio_", "deactivate", "mlock", "munlock"))]
meters = [o for o in ops if o not in batch_ops and o != "fault_unit"]

nboots = sum(1 for r in rows if r["variant"] == "base" and r["op"] == "folio_add_lru"
             and r["isolated"] == "none")
md = ["# Batch paths on the host CPU (UML)", "",
      "Host: %s. %s." % (host, date), "",
      "Each cell: ns per operation, the best run of all boots of that kind (%d"
      " boots; every boot's best and median in the JSON), with the difference"
      " from the base in the same kind of boot and CPU. An operation is one"
      " call plus its share of the batch moves and of the final"
      " lru_add_drain(). Method: %s." % (nboots, rows[0]["method"] if rows else ""), ""]


def cell(v, op, iso, cpu):
    x = get(v, op, iso, cpu)
    if x is None:
        return "-"
    b = get("base", op, iso, cpu)
    return "%.1f" % x if v == "base" or b is None else "%.1f (%+.1f)" % (x, x - b)


md.append("| path | " + " | ".join(c[0] for c in cols) + " |")
md.append("|---|" + "---:|" * len(cols))
for op in batch_ops + ["fault_unit"]:
    md.append("| %s | " % op + " | ".join(cell(c[1], op, c[2], c[3]) for c in cols) + " |")
md += ["", "Difference from the base as a share of the fault-like unit (allocate and"
       " clear a 4 KiB folio, folio_add_lru(), drop the reference) in the same boot:", ""]
md.append("| path | " + " | ".join(c[0] for c in cols[1:]) + " |")
md.append("|---|" + "---:|" * (len(cols) - 1))
for op in batch_ops:
    cells = []
    for _, v, iso, cpu in cols[1:]:
        x, b, u = get(v, op, iso, cpu), get("base", op, iso, cpu), get("base", "fault_unit", iso, cpu)
        cells.append("-" if None in (x, b, u) else "%+.2f %%" % (100 * (x - b) / u))
    md.append("| %s | " % op + " | ".join(cells) + " |")
md += ["", "The meters, in the base kernel (ns per operation, best):", ""]
md.append("| meter | " + " | ".join(c[0] for c in cols) + " |")
md.append("|---|" + "---:|" * len(cols))
for op in meters:
    md.append("| %s | " % op + " | ".join(
        "%.1f" % get(c[1], op, c[2], c[3]) if get(c[1], op, c[2], c[3]) is not None else "-"
        for c in cols) + " |")

drains = [r for r in rows if r["unit"] == "us"]
if drains:
    md += ["", "## Drains (µs, best and median of the drains)", "",
           "drain_one: the batches of CPU 1 (lru_add, lru_activate, lru_deactivate,"
           " lru_deactivate_file and lru_move_tail with 30 folios each, the mlock batch"
           " with 30) emptied, timed on CPU 0. drain_all: lru_add_drain_all() on CPU 0"
           " with every other CPU's batches that full; every CPU but 0 is isolated"
           " (isolcpus=domain).", "",
           "| what | ncpus | " + " | ".join(dict.fromkeys(r["variant"] for r in drains)) + " |",
           "|---|---:|" + "---:|" * len(dict.fromkeys(r["variant"] for r in drains))]
    variants = list(dict.fromkeys(r["variant"] for r in drains))
    keys = list(dict.fromkeys((r["what"], r["op"], r["ncpus"]) for r in drains
                              if r["isolated"] != "none"))
    for what, op, n in keys:
        cells = []
        for v in variants:
            m = [r for r in drains if (r["variant"], r["what"], r["op"], r["ncpus"]) == (v, what, op, n)]
            cells.append("%.1f / %.1f" % (m[0]["best"], m[0]["median"]) if m else "-")
        md.append("| %s %s | %d | " % (what, op, n) + " | ".join(cells) + " |")
    one = [r for r in drains if r["variant"] == "series" and r["op"] == "remote" and r["ncpus"] == 2]
    if one:
        per = one[0]["median"]
        md += ["", "Serial part of lru_add_drain_all() in the series, modelled as the median"
               " remote drain of one CPU with full batches (%.1f µs) times the number of"
               " isolated CPUs with full batches: 64: %.1f ms, 256: %.1f ms, 1024: %.1f ms." %
               (per, per * 64 / 1000, per * 256 / 1000, per * 1024 / 1000)]
open(out + ".md", "w").write("\n".join(md) + "\n")
