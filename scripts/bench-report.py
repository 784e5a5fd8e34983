#!/usr/bin/env python3
"""bench-report.py LOGDIR REPORTDIR [NAME A B]: collect the "bench NAME UNIT
best median" lines of the A/B boots (LOGDIR/{A,B}-rR-smpN-MODE-METER.log;
A base, B series by default) into NAME.json and NAME.md (NAME: bench), and
plot the drain latency against the vCPU count with gnuplot. MODE: off (no CPU isolated), housekeeping (CPUs isolated, the
benchmark on a housekeeping CPU) or isolated (the benchmark, or for the drain
the upper half of the CPUs, isolated)."""
import glob, json, os, re, statistics, subprocess, sys

logdir, outdir = sys.argv[1:3]
name, A, B = sys.argv[3:6] if len(sys.argv) > 3 else ("bench", "base", "series")
meters = {"icount": "icount: qemu TCG -icount shift=0,sleep=off, 1 guest ns = 1 instruction",
          "tcg": "tcg-wallclock: multi-threaded TCG, guest CLOCK_MONOTONIC (noisy)",
          "kvm": "kvm-wallclock: KVM, guest CLOCK_MONOTONIC"}
samples = {}  # (bench, vcpus, mode, kernel) -> [(best, median), ...], unit
units, meter_of = {}, {}
for path in sorted(glob.glob(os.path.join(logdir, "*-r*-smp*-*-*.log"))):
    kernel, rnd, smp, mode, meter = re.match(r"(\w+)-r(\d+)-smp(\d+)-(\w+)-(\w+)\.log", os.path.basename(path)).groups()
    for m in re.finditer(r"^bench (\S+) (\S+) (\d+) (\d+)$", open(path, errors="replace").read(), re.M):
        key = (m.group(1), int(smp), mode, kernel)
        samples.setdefault(key, []).append((int(m.group(3)), int(m.group(4))))
        units[m.group(1)] = m.group(2)
        meter_of[m.group(1)] = meters[meter]

rows = []
modes = ["off", "housekeeping", "isolated", "allbut0"]
for bench, vcpus, mode in sorted({k[:3] for k in samples}, key=lambda k: (k[0] == "drain", k[0], k[1], modes.index(k[2]))):
    a, b = samples.get((bench, vcpus, mode, A)), samples.get((bench, vcpus, mode, B))
    if not a or not b:
        continue
    med = lambda s: statistics.median(x[1] for x in s)
    best = lambda s: min(x[0] for x in s)
    rows.append({"benchmark": bench, "vcpus": vcpus, "isolation": mode, "meter": meter_of[bench], "unit": units[bench],
                 A: med(a), B: med(b), "ratio": round(med(b) / med(a), 4),
                 A + "_best": best(a), B + "_best": best(b),
                 "ratio_best": round(best(b) / best(a), 4), "rounds": min(len(a), len(b))})

os.makedirs(outdir, exist_ok=True)
# The UML rows of the same make bench (scripts/uml-bench.sh), beside these.
uml = os.path.join(outdir, "bench-uml")
uml_json = json.load(open(uml + ".json")) if name == "bench" and os.path.exists(uml + ".json") else None
json.dump({"qemu": rows, "uml": uml_json} if uml_json else rows,
          open(os.path.join(outdir, name + ".json"), "w"), indent=1)
md = [f"Median over rounds of each boot's median; best = the lowest sample; ratio = {B}/{A}.", "",
      "Isolation: off = no CPU isolated; housekeeping = CPUs isolated, the benchmark on a housekeeping CPU; "
      "isolated = the benchmark on an isolated CPU (drain: the upper half of the vCPUs isolated); "
      "allbut0 = every vCPU but CPU 0 isolated (drain only). For the drain, every vCPU but CPU 0 holds batches.", "",
      f"| benchmark | vCPUs | isolation | meter | unit | {A} median | {B} median | ratio | {A} best | {B} best | ratio best |",
      "|---|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    md.append(f"| {r['benchmark']} | {r['vcpus']} | {r['isolation']} | {r['meter'].split(':')[0]} | {r['unit']} | {r[A]:.0f} | {r[B]:.0f} "
              f"| {r['ratio']:.4f} | {r[A + '_best']} | {r[B + '_best']} | {r['ratio_best']:.4f} |")
if uml_json:
    md = open(uml + ".md").read().splitlines() + ["", "# Under QEMU (-icount, TCG)", ""] + md
open(os.path.join(outdir, name + ".md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))

drain = {(r["vcpus"], r["isolation"]): r for r in rows if r["benchmark"] == "drain"}
if drain:
    data = os.path.join(outdir, "bench-drain.dat")
    us = lambda v, m, k: f"{drain[(v, m)][k] / 1000:.1f}" if (v, m) in drain else "NaN"
    with open(data, "w") as f:
        for v in sorted({v for v, _ in drain}):
            f.write(f"{v} {us(v, 'isolated', 'base')} {us(v, 'isolated', 'series')} "
                    f"{us(v, 'allbut0', 'base')} {us(v, 'allbut0', 'series')}\n")
    subprocess.run(["gnuplot", "-e", f"""
        set terminal png noenhanced size 720,420; set output '{os.path.join(outdir, "bench-drain.png")}';
        set title 'one lru_add_drain_all(), busy CPUs holding batched folios (median, TCG)';
        set xlabel 'vCPUs'; set ylabel 'guest us';
        set logscale x 2; set logscale y 10; set xrange [1.8:18]; set xtics (2,4,8,16); set key top left; set grid;
        plot '{data}' using 1:2 with linespoints title 'base, upper half isolated',
             '{data}' using 1:3 with linespoints title 'series, upper half isolated (split)',
             '{data}' using 1:4 with linespoints title 'base, all but CPU 0 isolated',
             '{data}' using 1:5 with linespoints title 'series, all but CPU 0 isolated (serial)'"""], check=True)
