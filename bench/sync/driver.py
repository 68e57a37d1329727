#!/usr/bin/env python3
"""bench/sync: `ipdx peer sync` between two local nodes next to a local `ipdx ingest`.

Run through bench/run-sync, which builds ipdx (Release) first. Steps, all in one run:

  1. corpus: N records of recombined real text (bench/search/make_corpus.py over the records of
     data/sample/ and, when present, the unpacked ../shared/data archives);
  2. node A (US) ingests the corpus and serves it (`ipdx serve`, loopback, port 0);
  3. node B (EP) pins A and runs `ipdx peer sync A --json`: timed (wall and CPU of the sync
     process), bytes on the wire from the sync report (the HTTP transport's count of bytes
     received: zstd bodies and headers);
  4. node C (EP) runs `ipdx ingest --json` of the same corpus: timed the same way.

The records' JSON size is the corpus file's size (one record JSON a line, as A stores them).
Goals (issue 6): sync >= 80% of local ingest throughput; wire bytes <= 30% of the JSON bytes.
The numbers are from this machine in this run only; compare ratios, not absolute values.
"""
import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "common"))
from shared_data import unpacked_shared_data  # noqa: E402
from measure import children_cpu, machine  # noqa: E402

MAKE_CORPUS = ROOT / "bench" / "search" / "make_corpus.py"


def run(cmd, ok=(0,)):
    c0, t0 = children_cpu(), time.perf_counter()
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, children_cpu() - c0
    if p.returncode not in ok:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p, wall, cpu


def templates(ipdx, work):
    """Real records exported as JSON: data/sample/ plus the unpacked shared data when present."""
    home = work / "real-node"
    if home.exists():
        shutil.rmtree(home)
    run([ipdx, "--home", home, "init", "--office", "US"])
    shared = unpacked_shared_data()
    sources = [ROOT / "data" / "sample"] + ([shared] if shared.is_dir() else [])
    for src in sources:
        subprocess.run([str(ipdx), "--home", str(home), "ingest", str(src)], capture_output=True)
    exp = work / "real-export"
    if exp.exists():
        shutil.rmtree(exp)
    run([ipdx, "--home", home, "export", "--format", "json", "--out", exp])
    return sorted(exp.glob("*.json")), sources


class Server:
    """`ipdx serve` on loopback port 0; the URL is its first stdout line."""

    def __init__(self, ipdx, home):
        self.proc = subprocess.Popen(
            [str(ipdx), "--home", str(home), "serve", "--listen", "127.0.0.1:0", "--rate-limit",
             "0", "--access-log", str(home / "access.log")],
            stdout=subprocess.PIPE, stderr=open(home / "serve.err", "w"), text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            sys.exit(f"bench: ipdx serve did not start: {line!r} ({home / 'serve.err'})")
        self.url = line[len("listening on "):]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", type=Path, required=True, help="build folder holding ipdx")
    ap.add_argument("--docs", type=int, default=100000, help="records to sync (default 100000)")
    ap.add_argument("--quick", action="store_true", help="5,000 records")
    ap.add_argument("--batch", type=int, default=1000, help="entries per feed request")
    ap.add_argument("--threads", type=int, default=0, help="ingest decode threads (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--desc-chars", type=int, default=3000)
    ap.add_argument("--work", type=Path, default=None, help="work folder (default BUILD/sync-bench)")
    args = ap.parse_args()
    n = 5000 if args.quick else args.docs
    ipdx = args.build / "ipdx"
    work = args.work or args.build / "sync-bench"
    work.mkdir(parents=True, exist_ok=True)

    print(f"machine: {machine()}")
    print(f"ipdx: {ipdx}")
    tmpl, sources = templates(ipdx, work)
    print(f"corpus: {n} records of RECOMBINED real text (bench/search/make_corpus.py) from "
          f"{len(tmpl)} real records of {', '.join(str(s) for s in sources)}; not real documents")
    corpus = work / f"corpus-{n}-seed{args.seed}-desc{args.desc_chars}.jsonl"
    if not corpus.exists():
        tmp = corpus.with_suffix(".tmp")
        run([sys.executable, MAKE_CORPUS, "--docs", n, "--out", tmp, "--seed", args.seed,
             "--desc-chars", args.desc_chars, *tmpl])
        tmp.rename(corpus)
    json_bytes = corpus.stat().st_size - n  # one record JSON a line, without the newlines

    homes = {name: work / f"node-{name}" for name in ("A", "B", "C")}
    for home in homes.values():
        if home.exists():
            shutil.rmtree(home)
    run([ipdx, "--home", homes["A"], "init", "--office", "US"])
    run([ipdx, "--home", homes["B"], "init", "--office", "EP"])
    run([ipdx, "--home", homes["C"], "init", "--office", "EP"])

    p, a_wall, a_cpu = run([ipdx, "--home", homes["A"], "ingest", "--json", "--threads",
                            args.threads, corpus], ok=(0, 3))
    a = json.loads(p.stdout)
    stored = a["accepted"] + a["updated"]
    print(f"node A ingest: {stored} records stored ({a['rejected']} rejected) in {a_wall:.1f} s")

    server_a = Server(ipdx, homes["A"])
    server_b = Server(ipdx, homes["B"])
    try:
        run([ipdx, "--home", homes["B"], "peer", "add", server_a.url, "--name", "A", "--yes"])
        run([ipdx, "--home", homes["A"], "peer", "add", server_b.url, "--name", "B", "--yes"])
        server_b.stop()  # B's server is only needed for pinning: the sync runs in B's CLI
        p, s_wall, s_cpu = run([ipdx, "--home", homes["B"], "peer", "sync", "A", "--json",
                                "--batch", args.batch])
        report = json.loads(p.stdout)[0]
    finally:
        server_a.stop()
        server_b.stop()
    if not report.get("ok"):
        sys.exit(f"bench: sync failed: {report}")

    p, c_wall, c_cpu = run([ipdx, "--home", homes["C"], "ingest", "--json", "--threads",
                            args.threads, corpus], ok=(0, 3))
    c = json.loads(p.stdout)
    c_stored = c["accepted"] + c["updated"]

    synced = report["records"]
    wire = report["bytes"]
    sync_rate = synced / s_wall if s_wall > 0 else 0.0
    ingest_rate = c_stored / c_wall if c_wall > 0 else 0.0
    ratio = sync_rate / ingest_rate if ingest_rate > 0 else 0.0
    wire_ratio = wire / json_bytes if json_bytes > 0 else 0.0
    print()
    print(f"{'':34} {'records':>9} {'wall s':>8} {'CPU s':>8} {'records/s':>10}")
    print(f"{'B: peer sync from A (HTTP, zstd)':34} {synced:>9} {s_wall:>8.1f} {s_cpu:>8.1f} "
          f"{sync_rate:>10.0f}")
    print(f"{'C: local ingest of the same JSONL':34} {c_stored:>9} {c_wall:>8.1f} {c_cpu:>8.1f} "
          f"{ingest_rate:>10.0f}")
    print()
    print(f"sync / local ingest throughput: {ratio:.2f}  (goal >= 0.80: "
          f"{'met' if ratio >= 0.8 else 'NOT met'})")
    print(f"wire bytes per record:  {wire / max(synced, 1):>9.0f}  (transport count: "
          f"{wire / 1e6:.1f} MB received)")
    print(f"JSON bytes per record:  {json_bytes / max(n, 1):>9.0f}  ({json_bytes / 1e6:.1f} MB of "
          f"record JSON)")
    print(f"wire / JSON bytes: {wire_ratio:.3f}  (goal <= 0.30: "
          f"{'met' if wire_ratio <= 0.3 else 'NOT met'})")
    print(f"cosigned: {report.get('cosigned')} {report.get('cosign_error', '')}")
    if synced != stored:
        print(f"WARNING: B received {synced} records, A stored {stored}")


if __name__ == "__main__":
    main()
