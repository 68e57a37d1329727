#!/usr/bin/env python3
"""The SQLite FTS5 baseline of bench/run-search (Python 3's sqlite3 module).

    fts5_bench.py build --db OUT.db CORPUS.jsonl        prints JSON {docs, seconds, cpu_seconds}
    fts5_bench.py run --db DB --queries Q.tsv --out OUT.tsv [--threads N] [--repeat R] [--snippets]

Schema: one FTS5 table, tokenizer `porter unicode61 remove_diacritics 2` (stemming, case and
accent folding), columns ti ab cl de (title, abstract, claims, description: the same text ipdx
indexes), pa (applicants and assignees), inv (inventors), ipc (IPC subclasses, e.g. "h01m"),
cc (office), and UNINDEXED id and pd (publication date, ISO) for date ranges in SQL. Inserted in
one transaction (WAL), then `optimize`d; build time includes the optimize.

Q.tsv lines: CLASS <TAB> MATCH-EXPRESSION <TAB> PD-FROM <TAB> PD-TO (PD empty: no date range).
Every query is `SELECT id FROM docs WHERE docs MATCH ? [AND pd BETWEEN ? AND ?]
ORDER BY rank LIMIT 10` (rank = bm25()); with --snippets the SELECT also takes the title and
`snippet(docs, -1, '<b>', '</b>', '…', 32)`, the result an ipdx hit carries. Passes as ipdx_bench_search: warm-up, timed single-thread
pass (OUT gets INDEX CLASS MS TOTAL IDS; TOTAL is -1: FTS5 counts only with a second query),
then N threads with one connection each (sqlite3 releases the GIL while SQLite runs).
"""
import argparse
import json
import os
import resource
import sqlite3
import sys
import threading
import time

SCHEMA = ("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, pd UNINDEXED, ti, ab, cl, de, pa, "
          "inv, ipc, cc, tokenize = 'porter unicode61 remove_diacritics 2')")


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def row(rec):
    def join(items, key="text"):
        return "\n".join(x[key] for x in items)
    claims = "\n".join(c for cs in rec.get("claims", []) for c in cs["claims"])
    pa = "\n".join(p["name"] for p in rec.get("applicants", []) + rec.get("assignees", []))
    inv = "\n".join(p["name"] for p in rec.get("inventors", []))
    ipc = " ".join(sorted({s.replace(" ", "")[:4] for s in rec.get("ipc") or rec.get("cpc") or []}))
    return (rec["id"], rec.get("publication_date", ""), join(rec.get("titles", [])),
            join(rec.get("abstracts", [])), claims, join(rec.get("descriptions", [])), pa, inv,
            ipc, rec.get("office", ""))


def build(args):
    if os.path.exists(args.db):
        os.remove(args.db)
    start, c0 = time.perf_counter(), cpu()
    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(SCHEMA)
    n = 0
    with open(args.corpus, encoding="utf-8") as f:
        db.execute("BEGIN")
        batch = []
        for line in f:
            batch.append(row(json.loads(line)))
            if len(batch) == 1000:
                db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
                n += len(batch)
                batch = []
        db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
        n += len(batch)
        db.execute("COMMIT")
    db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.close()  # checkpoints and removes the WAL
    print(json.dumps({"docs": n, "seconds": time.perf_counter() - start, "cpu_seconds": cpu() - c0}))


def read_queries(path, snippets):
    # With snippets the result has what an ipdx hit has: id, title and a highlighted passage.
    columns = "id, ti, snippet(docs, -1, '<b>', '</b>', '…', 32)" if snippets else "id"
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            klass, expr, lo, hi = line.rstrip("\n").split("\t")
            sql = f"SELECT {columns} FROM docs WHERE docs MATCH ?"
            params = [expr]
            if lo:
                sql += " AND pd BETWEEN ? AND ?"
                params += [lo, hi]
            out.append((klass, sql + " ORDER BY rank LIMIT 10", params))
    return out


def run(args):
    queries = read_queries(args.queries, args.snippets)
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    for _, sql, params in queries:
        db.execute(sql, params).fetchall()
    with open(args.out, "w", encoding="utf-8") as out:
        for i, (klass, sql, params) in enumerate(queries):
            t0 = time.perf_counter()
            ids = [r[0] for r in db.execute(sql, params).fetchall()]
            ms = (time.perf_counter() - t0) * 1000
            out.write(f"{i}\t{klass}\t{ms:.4f}\t-1\t{','.join(ids)}\n")
    if args.threads > 1:
        jobs = args.repeat * len(queries)
        lock = threading.Lock()
        state = {"next": 0}

        def worker():
            conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, check_same_thread=False)
            while True:
                with lock:
                    j = state["next"]
                    state["next"] += 1
                if j >= jobs:
                    break
                _, sql, params = queries[j % len(queries)]
                conn.execute(sql, params).fetchall()
            conn.close()

        pool = [threading.Thread(target=worker) for _ in range(args.threads)]
        t0 = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        print(f"qps {jobs / (time.perf_counter() - t0):.3f}\nthreads {args.threads}")
    print(f"cpu_seconds {cpu():.3f}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--db", required=True)
    b.add_argument("corpus")
    r = sub.add_parser("run")
    r.add_argument("--db", required=True)
    r.add_argument("--queries", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--repeat", type=int, default=1)
    r.add_argument("--snippets", action="store_true", help="also select the title and snippet()")
    args = ap.parse_args()
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(a)")
    except sqlite3.OperationalError:
        sys.exit("fts5_bench: this Python's SQLite has no FTS5")
    build(args) if args.cmd == "build" else run(args)


if __name__ == "__main__":
    main()
