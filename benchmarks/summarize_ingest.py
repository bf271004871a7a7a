#!/usr/bin/env python3
"""Summarizes a benchmarks/run-ingest results directory as Markdown: per configuration the
median over repetitions (with the range), and the ratios store/discard and store/raw-RocksDB,
each the median of the per-repetition ratios.

    python3 benchmarks/summarize_ingest.py DIR
"""
import glob
import json
import os
import re
import statistics
import sys


def load_runs(out):
    runs = {}  # (protocol, sink) -> {rep: report}
    for path in glob.glob(os.path.join(out, "load-*.json")):
        m = re.match(r"load-(\d+)-([a-z]+)-([a-z0-9]+)\.json$", os.path.basename(path))
        with open(path) as f:
            runs.setdefault((m.group(2), m.group(3)), {})[int(m.group(1))] = json.load(f)
    return runs


def load_rocks(out):
    rocks = {}  # batch spans -> {rep: spans/s}
    for path in glob.glob(os.path.join(out, "rocksdb-*.json")):
        rep = int(re.search(r"rocksdb-(\d+)\.json$", path).group(1))
        with open(path) as f:
            for b in json.load(f)["benchmarks"]:
                if b.get("run_type", "iteration") != "iteration":
                    continue
                batch = int(b["name"].split("/")[1])
                rocks.setdefault(batch, {})[rep] = {
                    "spans_per_s": b["items_per_second"],
                    "rows_per_span": b.get("rows_per_span", 0),
                    "bytes_per_span": b.get("bytes_per_span", 0),
                }
    return rocks


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_range(values, scale=1.0, digits=0):
    values = sorted(v * scale for v in values if v is not None)
    if not values:
        return "n/a"
    f = "{:,.%df}" % digits
    m = f.format(statistics.median(values))
    return m if len(values) == 1 else "%s [%s–%s]" % (m, f.format(values[0]), f.format(values[-1]))


def field(report, *path):
    for p in path:
        if report is None or p not in report:
            return None
        report = report[p]
    return report


def main(out):
    runs, rocks = load_runs(out), load_rocks(out)
    ctx = os.path.join(out, "context.txt")
    if os.path.exists(ctx):
        print("".join("    " + line for line in open(ctx)))
    print("| run | accepted spans/s | p50 ms | p99 ms | p99.9 ms | server CPU % | server RSS peak MiB | spans per server CPU-s | loadgen CPU % | load avg after | failed requests |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (protocol, sink), reps in sorted(runs.items()):
        rs = list(reps.values())
        col = lambda *p, **kw: fmt_range([field(r, *p) for r in rs], **kw)
        print("| %s → %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            protocol, sink, col("accepted_spans_per_s"), col("latency_ms", "p50", digits=1),
            col("latency_ms", "p99", digits=1), col("latency_ms", "p999", digits=1),
            col("server", "cpu_percent"), col("server", "rss_peak_mib"),
            col("server", "spans_per_cpu_second"), col("loadgen_cpu_percent"),
            col("load_average", "end", digits=1), col("requests", "failed")))
    for batch, reps in sorted(rocks.items()):
        vals = list(reps.values())
        print("| raw RocksDB, %d-span WriteBatch (%.1f rows, %.0f B per span) | %s | | | | | | | | | |" % (
            batch, vals[0]["rows_per_span"], vals[0]["bytes_per_span"],
            fmt_range([v["spans_per_s"] for v in vals])))
    print()
    print("| run | server threads, CPU % (median; 100 = one core) |")
    print("|---|---|")
    for (protocol, sink), reps in sorted(runs.items()):
        names = {}
        for r in reps.values():
            for name, pct in (field(r, "server", "threads_cpu_percent") or {}).items():
                names.setdefault(name, []).append(pct)
        busy = sorted(((med(v), n) for n, v in names.items()), reverse=True)
        print("| %s → %s | %s |" % (protocol, sink, ", ".join(
            "%s %.0f" % (n, p) for p, n in busy if p >= 1) or "n/a"))
    print()
    costs = sorted({v for (_, v) in runs} - {"rocksdb", "discard"})
    if costs:
        print("| ratio to the store as it ships, grpc (median of per-repetition ratios) | accepted spans/s | spans per server CPU-s |")
        print("|---|---|---|")
        for variant in costs:
            reps_ = sorted(runs.get(("grpc", variant), {}).keys())
            cells = [fmt_range([ratio(runs, ("grpc", variant), ("grpc", "rocksdb"), rep, path)
                                for rep in reps_], digits=2)
                     for path in (("accepted_spans_per_s",), ("server", "spans_per_cpu_second"))]
            print("| %s / store | %s | %s |" % (variant, cells[0], cells[1]))
        return
    print("| ratio (median of per-repetition ratios) | grpc | http |")
    print("|---|---|---|")
    rows = [("store / discard (accepted spans/s)", lambda p, rep: ratio(runs, (p, "rocksdb"), (p, "discard"), rep))]
    for batch in sorted(rocks):
        rows.append(("store / raw RocksDB, %d-span batches" % batch,
                     lambda p, rep, b=batch: ratio_raw(runs, rocks, p, b, rep)))
    rows.append(("store / discard (spans per server CPU-s)",
                 lambda p, rep: ratio(runs, (p, "rocksdb"), (p, "discard"), rep, ("server", "spans_per_cpu_second"))))
    for name, fn in rows:
        cells = []
        for p in ("grpc", "http"):
            reps_ = sorted(runs.get((p, "rocksdb"), {}).keys())
            cells.append(fmt_range([fn(p, rep) for rep in reps_], digits=2))
        print("| %s | %s | %s |" % (name, cells[0], cells[1]))


def ratio(runs, num, den, rep, path=("accepted_spans_per_s",)):
    a = field(runs.get(num, {}).get(rep), *path)
    b = field(runs.get(den, {}).get(rep), *path)
    return a / b if a and b else None


def ratio_raw(runs, rocks, protocol, batch, rep):
    a = field(runs.get((protocol, "rocksdb"), {}).get(rep), "accepted_spans_per_s")
    b = rocks.get(batch, {}).get(rep, {}).get("spans_per_s")
    return a / b if a and b else None


if __name__ == "__main__":
    main(sys.argv[1])
