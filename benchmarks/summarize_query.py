#!/usr/bin/env python3
"""Summary of a benchmarks/run-query directory (context.json, fill*.json, query.json) as
Markdown on stdout. Figures only: no pass/fail verdicts, the targets are in DESIGN.md §8."""
import json
import pathlib
import sys


def load(directory, name):
    return json.loads((directory / name).read_text())


def fill_lines(ctx, fills):
    stored = ctx["spans_stored"]
    seconds = ctx["fill_ms"] / 1000
    failed = sum(f["requests"]["failed"] for f in fills)
    rss_peak = max(f.get("server", {}).get("rss_peak_mib", 0) for f in fills)
    return [
        f"- fill: {stored:,} spans stored in {seconds:.0f} s = {stored / seconds:,.0f} spans/s "
        f"overall (loadgen window: {fills[0]['accepted_spans_per_s']:,.0f} spans/s; "
        f"{failed} requests refused or failed and not retried); server RSS peak "
        f"{rss_peak:.0f} MiB",
        f"- disk: {ctx['data_dir_bytes_after_fill'] / stored:.0f} bytes per span right after the "
        f"fill ({ctx['data_dir_bytes_after_fill'] / 2**30:.2f} GiB), "
        f"{ctx['data_dir_bytes_after_restart'] / stored:.0f} after the restart, "
        f"{ctx['data_dir_bytes_end'] / stored:.0f} at the end",
        f"- start-up on the filled data dir: {ctx['startup_ms']} ms to /readyz 200 (empty data "
        f"dir: {ctx['first_start_ready_ms']} ms); shutdown (SIGTERM) {ctx['shutdown_ms']} ms",
        f"- RSS: {ctx['rss_after_fill_kib'] / 1024:.0f} MiB after the fill, "
        f"{ctx['rss_idle_after_restart_kib'] / 1024:.0f} MiB idle after the restart, "
        f"{ctx['rss_end_kib'] / 1024:.0f} MiB after the queries",
    ]


def query_table(query):
    lines = [
        "| kind | clients | requests | req/s | errors | p50 ms | p99 ms | p99.9 ms | max ms "
        "| KiB/answer | server CPU % | server RSS peak MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in query["results"]:
        lat, server = r["latency_ms"], r.get("server", {})
        errors = r["requests"] - r["ok"]
        lines.append(
            f"| {r['kind']} | {r['concurrency']} | {r['requests']} | {r['requests_per_s']:.0f} "
            f"| {errors} | {lat['p50']:.2f} | {lat['p99']:.2f} | {lat['p999']:.2f} "
            f"| {lat['max']:.2f} | {r['mean_response_bytes'] / 1024:.1f} "
            f"| {server.get('cpu_percent', 0):.0f} | {server.get('rss_peak_mib', 0):.0f} |")
    return lines


def main():
    directory = pathlib.Path(sys.argv[1])
    ctx = load(directory, "context.json")
    fills = [load(directory, "fill.json"), load(directory, "fill-100.json")]
    query = load(directory, "query.json")
    print(f"# run-query {ctx['date']}\n")
    print(f"{ctx['machine']}; commit {ctx['commit']}; load average (1 min) "
          f"{ctx['load_average_start']} before, {ctx['load_average_end']} after\n")
    print(f"`{ctx['command']}`\n")
    print("\n".join(fill_lines(ctx, fills)))
    kinds = query["discovery"]["kinds"]
    print("\nQueries (targets found through the API: "
          + ", ".join(f"{k} {v['targets']}" for k, v in kinds.items()) + "):\n")
    print("\n".join(query_table(query)))
    for name, kind in kinds.items():
        print(f"\n- `{name}`: {kind['what']}", end="")
    print()


if __name__ == "__main__":
    main()
