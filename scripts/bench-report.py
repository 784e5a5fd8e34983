#!/usr/bin/env python3
"""bench-report.py LOGDIR REPORTDIR: collect the "bench NAME UNIT best median"
lines of the A/B boots (LOGDIR/{base,series}-rR-smpN.log) into bench.json and
bench.md, and plot the drain latency against the vCPU count with gnuplot."""
import glob, json, os, re, statistics, subprocess, sys

logdir, outdir = sys.argv[1:3]
meters = {"icount": "icount: qemu TCG -icount shift=0,sleep=off, 1 guest ns = 1 instruction",
          "tcg": "tcg-wallclock: multi-threaded TCG, guest CLOCK_MONOTONIC (noisy)",
          "kvm": "kvm-wallclock: KVM, guest CLOCK_MONOTONIC"}
samples = {}  # (bench, vcpus, kernel) -> [(best, median), ...], unit
units, meter_of = {}, {}
for path in sorted(glob.glob(os.path.join(logdir, "*-r*-smp*-*.log"))):
    kernel, rnd, smp, meter = re.match(r"(\w+)-r(\d+)-smp(\d+)-(\w+)\.log", os.path.basename(path)).groups()
    for m in re.finditer(r"^bench (\S+) (\S+) (\d+) (\d+)$", open(path, errors="replace").read(), re.M):
        key = (m.group(1), int(smp), kernel)
        samples.setdefault(key, []).append((int(m.group(3)), int(m.group(4))))
        units[m.group(1)] = m.group(2)
        meter_of[m.group(1)] = meters[meter]

rows = []
for bench, vcpus in sorted({(b, v) for b, v, _ in samples}, key=lambda k: (k[0] != "drain", k)):
    a, b = samples.get((bench, vcpus, "base")), samples.get((bench, vcpus, "series"))
    if not a or not b:
        continue
    med = lambda s: statistics.median(x[1] for x in s)
    best = lambda s: min(x[0] for x in s)
    rows.append({"benchmark": bench, "vcpus": vcpus, "meter": meter_of[bench], "unit": units[bench],
                 "base": med(a), "series": med(b), "ratio": round(med(b) / med(a), 4),
                 "base_best": best(a), "series_best": best(b),
                 "ratio_best": round(best(b) / best(a), 4), "rounds": min(len(a), len(b))})

os.makedirs(outdir, exist_ok=True)
json.dump(rows, open(os.path.join(outdir, "bench.json"), "w"), indent=1)
md = ["Median over rounds of each boot's median; best = the lowest sample; ratio = series/base.", "",
      "| benchmark | vCPUs | meter | unit | base median | series median | ratio | base best | series best | ratio best |",
      "|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    md.append(f"| {r['benchmark']} | {r['vcpus']} | {r['meter'].split(':')[0]} | {r['unit']} | {r['base']:.0f} | {r['series']:.0f} "
              f"| {r['ratio']:.4f} | {r['base_best']} | {r['series_best']} | {r['ratio_best']:.4f} |")
open(os.path.join(outdir, "bench.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))

drain = [r for r in rows if r["benchmark"] == "drain"]
if drain:
    data = os.path.join(outdir, "bench-drain.dat")
    with open(data, "w") as f:
        for r in sorted(drain, key=lambda r: r["vcpus"]):
            f.write(f"{r['vcpus']} {r['base'] / 1000:.1f} {r['series'] / 1000:.1f}\n")
    subprocess.run(["gnuplot", "-e", f"""
        set terminal png noenhanced size 720,420; set output '{os.path.join(outdir, "bench-drain.png")}';
        set title 'one lru_add_drain_all(), busy CPUs holding batched folios (median, TCG)';
        set xlabel 'vCPUs'; set ylabel 'guest us';
        set logscale x 2; set logscale y 10; set xrange [1.8:18]; set xtics (2,4,8,16); set key top left; set grid;
        plot '{data}' using 1:2 with linespoints title 'base (work item per CPU)',
             '{data}' using 1:3 with linespoints title 'series (remote drain)'"""], check=True)
