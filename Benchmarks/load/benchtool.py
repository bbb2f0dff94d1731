#!/usr/bin/env python3
"""Helpers for scripts/bench (standard library only).

  benchtool.py first-answer PORT START_NS TIMEOUT_S  ms from START_NS (time.time_ns) to the first 200 on /ping/
  benchtool.py seed PORT CUSTOMERS PRODUCTS           create rows through the API; prints "c1:cN p1:pN"
  benchtool.py stream PORT PID PATH                   GET PATH: first byte, total time, bytes, RSS growth of PID
  benchtool.py rss PID                                 "hwm_kb rss_kb" of a process
  benchtool.py report RESULTS.jsonl OUT.json          the table (median and worst run per scenario, the peer
                                                      beside it), and the JSON file; exits 1 when a run had errors
  benchtool.py gen-models SRC_DIR DST_DIR N            SRC_DIR's migrations plus one that creates N models
  benchtool.py order CALLGRIND_OUT BINARY OUT.gz       the functions of BINARY that ran (callgrind profile),
                                                      in BINARY's address order: a linker symbol ordering file
"""
import gzip
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time


def rss(pid):
    """(VmHWM, VmRSS) in kB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0])
    return values.get("VmHWM", 0), values.get("VmRSS", 0)


def first_answer(port, start_ns, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/ping/")
            if conn.getresponse().status == 200:
                print(f"{(time.time_ns() - start_ns) / 1e6:.1f}")
                return 0
        except OSError:
            pass
        time.sleep(0.002)
    print("first-answer: the server did not answer", file=sys.stderr)
    return 1


def seed(port, customers, products):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def post(path, body):
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"seed: POST {path} answered {response.status}: {data[:200]!r}")
        return json.loads(data)["id"]

    cids = [post("/customer/", {"name": f"Customer {i}"}) for i in range(customers)]
    pids = [post("/product/", {"name": f"Product {i}", "price": f"{i + 1}.50"}) for i in range(products)]
    for ids in (cids, pids):
        if ids != list(range(ids[0], ids[0] + len(ids))):
            raise SystemExit("seed: ids are not contiguous; the wrk and pgbench scripts need a range")
    print(f"{cids[0]}:{cids[-1]} {pids[0]}:{pids[-1]}")
    return 0


def stream(port, pid, path):
    """One GET over a raw socket: time to first byte and to the end, bytes, and the server's
    memory before and at its peak (VmHWM after a reset, else sampled VmRSS)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        hwm_reset = True
    except OSError:
        hwm_reset = False
    _, before = rss(pid)
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], rss(pid)[1])
            except OSError:
                return
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    sock = socket.create_connection(("127.0.0.1", port))
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    start = time.perf_counter()
    sock.sendall(request)
    first = sock.recv(65536)
    ttfb = time.perf_counter() - start
    total = len(first)
    tail = first[-16:]
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        total += len(chunk)
        tail = (tail + chunk)[-16:]
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    hwm, after = rss(pid)
    peak_kb = max(peak[0], hwm) if hwm_reset else peak[0]
    status = first.split(b"\r\n", 1)[0].decode(errors="replace")
    print(json.dumps({
        "status_line": status, "ttfb_ms": round(ttfb * 1000, 2), "total_s": round(elapsed, 3),
        "bytes": total, "complete": tail.rstrip(b"\r\n0").endswith(b"]"),
        "rss_before_kb": before, "rss_peak_kb": peak_kb, "rss_after_kb": after,
        "growth_kb": peak_kb - before,
    }))
    return 0


def fmt(value, spec):
    if value is None:
        return format("-", spec.replace(".0f", "").replace(".2f", ""))
    return format(value, spec)


def summarise(runs):
    """One scenario's runs on one server: the median and the worst run (lowest req/s, highest
    p50 and p99 of any run), the errors of every run, the highest peak RSS."""
    def errors(r):
        return r["non2xx"] + r["socket_errors"]
    rps = [r["rps"] for r in runs]
    p50 = [r["p50_ms"] for r in runs]
    p99 = [r["p99_ms"] for r in runs]
    rates = [errors(r) / max(r["requests"], 1) for r in runs]
    statuses = {}
    for r in runs:
        for status, count in r.get("statuses", {}).items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "scenario": runs[0]["scenario"], "server": runs[0].get("server", "ours"), "runs": len(runs),
        "rps": statistics.median(rps), "rps_worst": min(rps),
        "p50_ms": statistics.median(p50), "p50_ms_worst": max(p50),
        "p99_ms": statistics.median(p99), "p99_ms_worst": max(p99),
        "errors_per_run": [errors(r) for r in runs], "error_rate_worst": max(rates),
        "error_statuses": dict(sorted(statuses.items())), "socket_errors": sum(r["socket_errors"] for r in runs),
        "peak_rss_kb": max(r["peak_rss_kb"] for r in runs),
    }


def report(results_path, out_path):
    """The table, and the JSON file. Exits 1 when a run of this project's scenarios had errors
    (the peer's errors are shown, not judged)."""
    records = [json.loads(line) for line in open(results_path) if line.strip()]
    runs = [r for r in records if r.get("kind") == "scenario"]
    ceilings = [r for r in records if r.get("kind") == "ceiling"]
    extras = {r["name"]: r for r in records if r.get("kind") == "measure"}
    meta = next((r for r in records if r.get("kind") == "meta"), {})
    targets = {"read_one": 0.25, "read_list": 0.25, "write_customer": 0.5, "write_order": 1.0, "contended": None}

    order = list(dict.fromkeys(r["scenario"] for r in runs))
    grouped = {}
    for r in runs:
        grouped.setdefault((r.get("server", "ours"), r["scenario"]), []).append(r)
    summaries = {key: summarise(group) for key, group in grouped.items()}
    ceiling_by = {}
    for c in ceilings:
        ceiling_by.setdefault(c["scenario"], []).append(c)

    print()
    print(f"make bench  {meta.get('date', '')}  {meta.get('machine', '')}  git {meta.get('git', '')}")
    print(f"wrk: {meta.get('connections')} connections, {meta.get('threads')} threads, "
          f"{meta.get('duration')}s after a {meta.get('warmup')}s warm-up; the scenarios in sequence, "
          f"{meta.get('repeats', 1)} runs on fresh tables: the median run and the worst (lowest req/s, highest p50 and p99)")
    ceiling_runs = meta.get("ceiling_repeats", 1)
    print(f"ceiling: pgbench -M prepared -c {meta.get('connections')} -j {meta.get('threads')} -T {meta.get('duration')}, "
          f"median of {ceiling_runs} run{'s' if ceiling_runs != 1 else ''}" if ceiling_runs else "ceiling: not measured (BENCH_CEILING_REPEAT=0)")
    print(f"ours: manage runserver {meta.get('server_flags', '').strip()}"
          + (f"; peer: Benchmarks/peer (Hummingbird 2 + postgres-nio) {meta.get('peer_flags', '').strip()}; "
             "ours/peer above 1 is more req/s, or a longer latency" if meta.get("peer") else ""))
    header1 = f"{'':<25}{'req/s':^18}{'p50 ms':^16}{'p99 ms':^18}".rstrip()
    header = (f"{'scenario':<15} {'server':<9} {'median':>8} {'worst':>8} {'median':>7} {'worst':>7} {'median':>8} {'worst':>8}"
              f"  {'errors per run':<16} {'peak RSS':>9} {'ceiling/s':>10} {'ratio':>6} {'target':>7}  verdict")
    print(header1)
    print(header)
    print("-" * len(header))
    failed = []
    comparisons = []
    for scenario in order:
        for server in ("ours", "peer"):
            s = summaries.get((server, scenario))
            if s is None:
                continue
            notes = []
            bad_runs = sum(1 for e in s["errors_per_run"] if e)
            if bad_runs:
                kinds = [f"{status}: {count}" for status, count in s["error_statuses"].items()]
                if s["socket_errors"]:
                    kinds.append(f"socket: {s['socket_errors']}")
                notes.append(f"errors in {bad_runs} of {s['runs']} runs" + (f" ({', '.join(kinds)})" if kinds else ""))
                if server == "ours":
                    failed.append(scenario)
            if s["error_rate_worst"] > 0.01:
                notes.append(f"INVALID ({100 * s['error_rate_worst']:.1f}% errors in the worst run)")
            ceiling = ratio = target = None
            if server == "ours":
                tps = [c["tps"] for c in ceiling_by.get(scenario, [])]
                if tps:
                    ceiling = statistics.median(tps)
                    lat = statistics.median(c["latency_avg_ms"] for c in ceiling_by[scenario])
                    s.update(ceiling_tps=ceiling, ceiling_latency_avg_ms=lat,
                             ceiling_failed=sum(c["failed"] for c in ceiling_by[scenario]), ceiling_runs=len(tps))
                    ratio = s["rps"] / ceiling if ceiling else None
                s["ratio"] = round(ratio, 3) if ratio is not None else None
                target = targets.get(scenario)
                if target is not None and ratio is not None:
                    notes.append("meets ratio" if ratio >= target else "below ratio")
                if scenario == "contended":
                    notes.append("no errors" if not bad_runs else "errors")
                if scenario in ("read_one", "write_customer"):
                    notes.append("p99<20ms" if s["p99_ms"] < 20 else "p99>=20ms")
                if scenario == "ping":
                    notes.append("HTTP alone")
            s["verdict"] = ", ".join(notes)
            errors = " ".join(str(e) for e in s["errors_per_run"])
            print((f"{scenario if server == 'ours' or ('ours', scenario) not in summaries else '':<15} {server:<9}"
                  f" {s['rps']:>8.0f} {s['rps_worst']:>8.0f} {s['p50_ms']:>7.2f} {s['p50_ms_worst']:>7.2f}"
                  f" {s['p99_ms']:>8.2f} {s['p99_ms_worst']:>8.2f}  {errors:<16} {s['peak_rss_kb'] / 1024:>7.1f}MB"
                  + (f" {fmt(ceiling, '>10.0f')} {fmt(ratio, '>6.2f')} {fmt(target, '>7.2f')}" if server == "ours" else f" {'':>10} {'':>6} {'':>7}")
                  + f"  {s['verdict']}").rstrip())
        ours, peer = summaries.get(("ours", scenario)), summaries.get(("peer", scenario))
        if ours and peer:
            def r(a, b):
                return a / b if b else None
            c = {"scenario": scenario,
                 "rps": r(ours["rps"], peer["rps"]), "rps_worst": r(ours["rps_worst"], peer["rps_worst"]),
                 "p50_ms": r(ours["p50_ms"], peer["p50_ms"]), "p50_ms_worst": r(ours["p50_ms_worst"], peer["p50_ms_worst"]),
                 "p99_ms": r(ours["p99_ms"], peer["p99_ms"]), "p99_ms_worst": r(ours["p99_ms_worst"], peer["p99_ms_worst"]),
                 "peak_rss": r(ours["peak_rss_kb"], peer["peak_rss_kb"])}
            comparisons.append(c)
            print((f"{'':<15} {'ours/peer':<9} {fmt(c['rps'], '>7.2f')}x {fmt(c['rps_worst'], '>7.2f')}x"
                  f" {fmt(c['p50_ms'], '>6.2f')}x {fmt(c['p50_ms_worst'], '>6.2f')}x {fmt(c['p99_ms'], '>7.2f')}x"
                  f" {fmt(c['p99_ms_worst'], '>7.2f')}x  {'':<16} {fmt(c['peak_rss'], '>7.2f')}x").rstrip())
    print()
    if "startup" in extras:
        e = extras["startup"]
        print(f"start to first answer: {e['ms']:.0f} ms (target < 1000)    idle RSS: {e['idle_rss_kb'] / 1024:.1f} MB"
              f" (target <= 22)    idle RSS after the load: {extras.get('idle_after', {}).get('rss_kb', 0) / 1024:.1f} MB")
    if "peer_startup" in extras:
        e = extras["peer_startup"]
        print(f"peer: start to first answer: {e['ms']:.0f} ms    idle RSS: {e['idle_rss_kb'] / 1024:.1f} MB")
    if "stream_1m" in extras:
        e = extras["stream_1m"]
        print(f"GET /customer/ over {e['rows']:,} rows: first byte {e['ttfb_ms']:.1f} ms (target < 50), "
              f"{e['total_s']:.2f} s, {e['bytes'] / 1e6:.1f} MB, complete={e['complete']}, "
              f"RSS {e['rss_before_kb'] / 1024:.1f} -> peak {e['rss_peak_kb'] / 1024:.1f} MB "
              f"(growth {e['growth_kb'] / 1024:.1f} MB, target < 20)")
    if "makemigrations" in extras:
        e = extras["makemigrations"]
        print(f"makemigrations --dry-run over {e['models']} models: best {e['best_ms']:.0f} ms, "
              f"median {e['median_ms']:.0f} ms of {e['runs']} (target < 1000)")
    if "peak" in extras:
        print(f"server peak RSS over the whole run (VmHWM): {extras['peak']['hwm_kb'] / 1024:.1f} MB (target <= 30)")
    with open(out_path, "w") as f:
        json.dump({"meta": meta, "scenarios": [summaries[key] for key in summaries], "comparisons": comparisons,
                   "runs": runs, "ceilings": ceilings, "measures": extras}, f, indent=2)
        f.write("\n")
    print(f"\nJSON: {out_path}")
    if failed:
        print(f"FAILED: errors in {', '.join(failed)} (see 'errors per run')")
        return 1
    return 0


def gen_models(src, dst, count):
    """A migrations folder: the project's files, then 0002_bench_models creating `count` models
    (id, name, amount, and a foreign key to the model before, the first one to Customers).
    makemigrations replays every operation line to rebuild the state (the bank's 3 models and
    these), diffs it against the declarations (the bank's 3) and plans `count` DeleteModel
    operations in dependency order: the whole pipeline over count + 3 models, no database."""
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if name.endswith(".sql"):
            with open(os.path.join(src, name)) as f, open(os.path.join(dst, name), "w") as g:
                g.write(f.read())
    lines = ["-- app: myproject", "-- migration: 0002_bench_models"]
    up, down = [], []
    for i in range(count):
        model = f"Bench{i:03d}"
        target = "Customers" if i == 0 else f"Bench{i - 1:03d}"
        fields = [
            {"name": "id", "primary_key": True, "type": "AutoField"},
            {"max_length": 250, "name": "name", "type": "CharField"},
            {"decimal_places": 2, "max_digits": 18, "name": "amount", "type": "DecimalField"},
            {"name": "parent", "null": True, "on_delete": "CASCADE", "to": target, "type": "ForeignKey"},
        ]
        op = {"model": {"fields": fields, "name": model}, "type": "CreateModel"}
        lines.append("-- operation: " + json.dumps(op, sort_keys=True, separators=(",", ":")))
        table = f'"myproject_{model.lower()}"'
        parent = "myproject_customers" if i == 0 else f"myproject_bench{i - 1:03d}"
        up.append(f'CREATE TABLE {table} ("id" BIGSERIAL NOT NULL PRIMARY KEY, "name" VARCHAR(250) NOT NULL, '
                  f'"amount" DECIMAL(18, 2) NOT NULL, "parent_id" BIGINT NULL REFERENCES "{parent}" ("id") ON DELETE CASCADE);')
        down.insert(0, f"DROP TABLE {table};")
    text = "\n".join(lines + ["", "-- migrate:up"] + up + ["", "-- migrate:down", "/*"] + down + ["*/", ""])
    with open(os.path.join(dst, "0002_bench_models.sql"), "w") as f:
        f.write(text)
    return 0


def order(callgrind_out, binary, out_path):
    """The functions of `binary` that executed in a callgrind profile (its `fn=` entries under an
    `ob=` naming the binary), sorted by their address in `binary`, one mangled name a line, gzipped.
    lld's --symbol-ordering-file then places them together at the start of .text: the code the
    server runs fits in a few hundred pages instead of being spread over the whole section, where
    each page touched maps its 64 KB neighbourhood too (the kernel's fault-around)."""
    name = os.path.basename(binary)
    executed, current = set(), None
    with open(callgrind_out, errors="replace") as f:
        for line in f:
            if line.startswith("ob="):
                current = line[3:].strip()
            elif line.startswith("fn=") and current and os.path.basename(current) == name:
                function = line[3:].strip()
                # callgrind marks recursion levels with 'N; the symbol is the part before it
                executed.add(function.rsplit("'", 1)[0] if "'" in function else function)
    addresses = {}
    listing = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    for entry in listing.splitlines():
        parts = entry.split()
        if len(parts) == 3 and parts[1] in "tTwW" and parts[2] in executed:
            addresses.setdefault(parts[2], int(parts[0], 16))
    names = sorted(addresses, key=addresses.get)
    with gzip.open(out_path, "wt") as f:
        f.write("\n".join(names) + "\n")
    print(f"order: {len(names)} functions of {name} ran ({len(executed) - len(names)} names not in its symbol table)")
    return 0


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "first-answer":
        return first_answer(int(argv[2]), int(argv[3]), float(argv[4]))
    if command == "seed":
        return seed(int(argv[2]), int(argv[3]), int(argv[4]))
    if command == "stream":
        return stream(int(argv[2]), int(argv[3]), argv[4])
    if command == "rss":
        print(*rss(int(argv[2])))
        return 0
    if command == "gen-models":
        return gen_models(argv[2], argv[3], int(argv[4]))
    if command == "report":
        return report(argv[2], argv[3])
    if command == "order":
        return order(argv[2], argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
