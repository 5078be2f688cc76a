#!/usr/bin/python3
"""Runs PlasmaNET's benchmark suite: every benchmark in bench/ (each starts what it needs in a
temporary directory and stops it), repeated, with the median, min and max of every figure and of
the ratios to the baselines measured in the same run.

    bench/run_suite.py [--repeats 3] [--smoke] [--only api,reconcile] [--out results.json]
                       [--markdown docs/benchmarks.md] [--build build]

--smoke runs every benchmark at a size that takes seconds, once: CI runs it so the suite cannot
rot; its figures mean nothing. Ratios are computed within one run (PlasmaNET and its baseline
measured minutes apart on the same machine), then summarised across runs, because this machine
is shared and noisy: absolute figures move with its load, ratios much less.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HAND_WRITTEN_MARKER = "<!-- Written by hand below: bench/run_suite.py keeps this part. -->"
ROOT = os.path.dirname(HERE)

# name -> (binary, full-size arguments, smoke arguments, how it reports)
#   "json":      the binary takes --json FILE
#   "keyvalue":  the binary prints lines "label key=value ..."
#   "gbench":    a Google Benchmark binary (--benchmark_out=FILE)
BENCHMARKS = {
    "api": ("api_bench", [], ["--ports", "300", "--clients", "1,8"], "json"),
    "reconcile": ("reconcile_bench", ["--ports", "10000"], ["--ports", "300"], "keyvalue"),
    "reconcile_100k": ("reconcile_bench", ["--ports", "100000", "--skip-baseline"],
                       ["--ports", "500", "--skip-baseline"], "keyvalue"),
    "port_up": ("port_up_bench", ["--ports", "100"], ["--ports", "5"], "json"),
    "ha": ("ha_bench", [], ["--ports", "200", "--trials", "1"], "json"),
    "sg_scale": ("sg_scale_bench", [], ["--groups", "10", "--rules", "4", "--ports", "100"],
                 "keyvalue"),
    "ipam": ("ipam_bench", ["--benchmark_min_time=0.3"], ["--benchmark_min_time=0.01"], "gbench"),
    "store": ("store_bench", [], ["--benchmark_min_time=0.01"], "gbench"),
    "ovsdb_parse": ("ovsdb_parse_bench", ["--benchmark_min_time=2"],
                    ["--benchmark_min_time=0.01"], "gbench"),
}

# Ratios within a run: (name, numerator, denominator, what it says). Rates divide as they are;
# for times, the ratio is ours / theirs (below 1: we are faster).
RATIOS = [
    ("api: PlasmaNET at 32 clients / raw OVSDB 1 port per txn",
     "api.api[clients=32].end_to_end_ports_per_s", "api.baselines[name=raw OVSDB, 1 port/txn].ports_per_s"),
    ("api: PlasmaNET at 32 clients / ovsdbapp 1 port per txn",
     "api.api[clients=32].end_to_end_ports_per_s", "api.baselines[name=ovsdbapp, 1 port/txn].ports_per_s"),
    ("api: PlasmaNET at 32 clients / ovn-nbctl 1,000 ports per txn",
     "api.api[clients=32].end_to_end_ports_per_s",
     "api.baselines[name=ovn-nbctl, 1,000 ports/txn].ports_per_s"),
    ("reconcile: full resync time / ovn-nbctl create 1,000 per txn",
     "reconcile.full_resync_empty_nb.seconds",
     "reconcile.baseline_nbctl[batch=1000,idiom=create].seconds"),
    ("ha: ports/s, etcd 1 replica / SQLite",
     "ha.api[name=etcd, 1 replica].ports_per_s", "ha.api[name=SQLite, 1 replica].ports_per_s"),
    ("ha: ports/s, etcd 3 replicas / etcd 1 replica",
     "ha.api[name=etcd, 3 replicas].ports_per_s", "ha.api[name=etcd, 1 replica].ports_per_s"),
    ("port_up: plug to ACTIVE p50 / OVN plug to up p50",
     "port_up.results[metric=plug -> ACTIVE (PlasmaNET) / up (OVN)].plasmanet.p50_ms",
     "port_up.results[metric=plug -> ACTIVE (PlasmaNET) / up (OVN)].ovn_direct.p50_ms"),
]

# The targets of issue #7 on this machine: (what, figure, "<" or ">", bound).
TARGETS = [
    ("API: ports/s with 32 clients", "api.api[clients=32].end_to_end_ports_per_s", ">", 10000),
    ("API: p99 ms with 32 clients", "api.api[clients=32].p99_ms", "<", 20),
    ("API: NB behind the last create (s)", "api.api[clients=32].nb_lag_s", "<", 1),
    ("full resync of 10,000 ports (s)", "reconcile.full_resync_empty_nb.seconds", "<", 1),
    ("full resync of 100,000 ports (s)", "reconcile_100k.full_resync_empty_nb.seconds", "<", 10),
    ("port up: p50 ms above the raw OVN floor", "port_up: ACTIVE p50 minus OVN up p50 (ms)", "<",
     25),
    ("security groups: NB converged (s)", "sg_scale.nb_converge_s", "<", 2),
    ("memory: plasmanetd bytes per port", "api.api[clients=32].daemon_rss_bytes_per_port", "<",
     2048),
]

IDENTIFYING_KEYS = ("clients", "name", "metric", "idiom")
CONFIG_KEYS = ("ports", "writers", "groups", "rules_per_group", "trials", "lease_ttl_s")
# Per-sample lists, kept in a benchmark's JSON but not summarised (their medians are).
SAMPLE_KEYS = ("samples",)


def flatten(value, prefix, out):
    """Numbers in nested JSON -> {"a.b[clients=32].c": number}."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        out[prefix] = float(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if (key in IDENTIFYING_KEYS or key in SAMPLE_KEYS
                    or (not prefix and key in CONFIG_KEYS)):
                continue  # names the entry (or the size asked for, or samples); not a figure
            flatten(item, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            tag = str(index)
            if isinstance(item, dict):
                for key in IDENTIFYING_KEYS:
                    if key in item:
                        tag = f"{key}={item[key]}"
                        break
            flatten(item, f"{prefix}[{tag}]", out)


def parse_keyvalue(text):
    """Lines "label key=value ..." -> {"label.key": number}; batch and idiom name the line."""
    out = {}
    for line in text.splitlines():
        labels, idents, numbers = [], [], {}
        for token in line.split():
            if "=" not in token:
                labels.append(token)
                continue
            key, _, raw = token.partition("=")
            try:
                number = float(raw)
            except ValueError:
                number = None
            if key in ("batch", "idiom") or number is None:
                idents.append(f"{key}={raw}")
            elif key in CONFIG_KEYS:
                continue  # the size asked for, not a figure
            else:
                numbers[key] = number
        label = "_".join(labels)
        if idents:
            label += "[" + ",".join(sorted(idents)) + "]"
        for key, number in numbers.items():
            out[f"{label}.{key}" if label else key] = number
    return out


def parse_gbench(path):
    with open(path) as f:
        data = json.load(f)
    out = {}
    standard = {"iterations", "repetitions", "repetition_index", "threads", "family_index",
                "per_family_instance_index"}
    for b in data.get("benchmarks", []):
        unit = b.get("time_unit", "ns")
        out[f"{b['name']}.real_time_{unit}"] = float(b["real_time"])
        for key, value in b.items():
            if key in standard or key in ("real_time", "cpu_time"):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[f"{b['name']}.{key}"] = float(value)
    return out


def run_one(name, build, smoke, log):
    binary, full, small, kind = BENCHMARKS[name]
    path = os.path.join(ROOT, build, "bench", binary)
    args = [path] + (small if smoke else full)
    with tempfile.TemporaryDirectory(prefix="plasmanet-suite-") as tmp:
        result_file = os.path.join(tmp, "result.json")
        if kind == "json":
            args += ["--json", result_file]
        elif kind == "gbench":
            args += [f"--benchmark_out={result_file}", "--benchmark_out_format=json"]
        start = time.monotonic()
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        took = time.monotonic() - start
        log.write(f"$ {' '.join(args)}\n{proc.stdout}\n")
        log.flush()
        if proc.returncode != 0:
            raise RuntimeError(f"{binary} exited {proc.returncode}:\n{proc.stdout[-2000:]}")
        if kind == "json":
            with open(result_file) as f:
                metrics = {}
                flatten(json.load(f), "", metrics)
        elif kind == "gbench":
            metrics = parse_gbench(result_file)
        else:
            metrics = parse_keyvalue(proc.stdout)
    if not metrics:
        raise RuntimeError(f"{binary} reported no figures:\n{proc.stdout[-2000:]}")
    return {f"{name}.{key}": value for key, value in metrics.items()}, took


def derive(run):
    """Adds the ratios to the baselines and the port-up margin, all within one run."""
    for label, numerator, denominator in RATIOS:
        if numerator in run and denominator in run and run[denominator] != 0:
            run[f"ratio: {label}"] = run[numerator] / run[denominator]
    ours = "port_up.results[metric=plug -> ACTIVE (PlasmaNET) / up (OVN)].plasmanet.p50_ms"
    floor = "port_up.results[metric=plug -> ACTIVE (PlasmaNET) / up (OVN)].ovn_direct.p50_ms"
    if ours in run and floor in run:
        run["port_up: ACTIVE p50 minus OVN up p50 (ms)"] = run[ours] - run[floor]


def summarise(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def fmt(x):
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="seconds-long sizes, for CI")
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(BENCHMARKS))
    parser.add_argument("--out", default="", help="write all runs and summaries as JSON")
    parser.add_argument("--markdown", default="", help="write the results table as Markdown")
    parser.add_argument("--log", default="", help="the benchmarks' own output (default: temp)")
    parser.add_argument("--build", default="build", help="the release build directory")
    parser.add_argument("--from", dest="from_json", default="",
                        help="print and render the runs saved by an earlier --out; run nothing")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; known: {', '.join(BENCHMARKS)}")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    repeats = 1 if args.smoke else args.repeats

    log_path = args.log or os.path.join(tempfile.gettempdir(), "plasmanet-bench-suite.log")
    runs = []  # per repeat: {metric: value}
    durations = {}
    machine = {"nproc": os.cpu_count(), "loadavg_at_start": os.getloadavg()[0],
               "date": datetime.date.today().isoformat()}
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        machine, repeats, durations = saved["machine"], saved["repeats"], saved["seconds_per_benchmark"]
        runs = [{k: v for k, v in run.items() if not k.startswith(("ratio: ", "port_up: "))}
                for run in saved["runs"]]
        runs = [{k: v for k, v in run.items() if k.rsplit(".", 1)[-1] not in IDENTIFYING_KEYS
                 and k.rsplit(".", 1)[-1] not in CONFIG_KEYS} for run in runs]
        for run in runs:
            derive(run)
        names = []
    with open(os.devnull if args.from_json else log_path, "w") as log:
        for repeat in range(0 if args.from_json else repeats):
            run = {}
            for name in names:
                print(f"[{repeat + 1}/{repeats}] {name} ...", flush=True)
                metrics, took = run_one(name, args.build, args.smoke, log)
                run.update(metrics)
                durations.setdefault(name, []).append(took)
            derive(run)
            runs.append(run)

    metrics = sorted({key for run in runs for key in run})
    summary = {key: summarise([run[key] for run in runs if key in run]) for key in metrics}
    ratio_keys = [k for k in metrics if k.startswith(("ratio: ", "port_up: "))]
    figure_keys = [k for k in metrics if k not in ratio_keys]
    target_rows = []
    for label, key, op, bound in [] if args.smoke else TARGETS:  # smoke sizes prove nothing
        if key not in summary:
            continue
        median = summary[key]["median"]
        met = median < bound if op == "<" else median > bound
        target_rows.append((label, f"{op} {fmt(bound)}", fmt(median), "met" if met else "missed"))

    width = max(len(k) for k in metrics)
    header = f"{'figure':<{width}}  {'median':>12} {'min':>12} {'max':>12}"
    print(f"\n{header}\n{'-' * len(header)}")
    for key in figure_keys + ratio_keys:
        s = summary[key]
        print(f"{key:<{width}}  {fmt(s['median']):>12} {fmt(s['min']):>12} {fmt(s['max']):>12}")
    if target_rows:
        print("\ntargets (issue #7): median against the bound")
        for label, bound, median, verdict in target_rows:
            print(f"  {label:<44} {bound:>10} {median:>10}  {verdict}")
    print(f"\n{repeats} run(s); the benchmarks' own output is in {log_path}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"machine": machine, "smoke": args.smoke, "repeats": repeats,
                       "seconds_per_benchmark": durations, "runs": runs, "summary": summary},
                      f, indent=2)
    if args.markdown:
        # Sections written by hand (runs outside the suite, A/B comparisons) sit below
        # HAND_WRITTEN_MARKER and survive a regeneration.
        kept = ""
        if os.path.exists(args.markdown):
            with open(args.markdown) as f:
                previous = f.read()
            at = previous.find(HAND_WRITTEN_MARKER)
            if at >= 0:
                kept = previous[at:]
        with open(args.markdown, "w") as f:
            f.write(f"# Benchmark results\n\nWritten by `bench/run_suite.py` on {machine['date']}, "
                    f"{machine['nproc']} CPUs, load average {machine['loadavg_at_start']:.2f} at "
                    f"the start; {repeats} run(s) of each benchmark, median (min - max). What each "
                    f"benchmark does: [bench/README.md](../bench/README.md).\n\n")
            if target_rows:
                f.write("## Targets (issue #7)\n\n| target | bound | median | |\n"
                        "| --- | --- | --- | --- |\n")
                for row in target_rows:
                    f.write("| " + " | ".join(row) + " |\n")
                f.write("\n")
            f.write("## Ratios to the baselines (and the port-up margin), within each run\n\n"
                    "| ratio | median | min | max |\n| --- | --- | --- | --- |\n")
            for key in ratio_keys:
                s = summary[key]
                label = key[len("ratio: "):] if key.startswith("ratio: ") else key
                f.write(f"| {label} | {fmt(s['median'])} | {fmt(s['min'])} | {fmt(s['max'])} |\n")
            f.write("\n## Every figure\n\n| figure | median | min | max |\n"
                    "| --- | --- | --- | --- |\n")
            for key in figure_keys:
                s = summary[key]
                f.write(f"| `{key}` | {fmt(s['median'])} | {fmt(s['min'])} | {fmt(s['max'])} |\n")
            if kept:
                f.write("\n" + kept)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        print(f"run_suite: {e}", file=sys.stderr)
        sys.exit(1)
