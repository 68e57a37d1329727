#!/usr/bin/env python3
"""bench/run-search driver: ipdx search vs SQLite FTS5 on recombined real text, and the prior-art
quality evaluation. See bench/README.md, section "bench/run-search".
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "bench" / "common"))
from shared_data import unpacked_shared_data  # noqa: E402
from measure import children_cpu, machine  # noqa: E402

SHARED = unpacked_shared_data()
CLASSES = ["fielded", "boolean", "phrase", "proximity", "prefix", "ranked", "similar"]
COUNTS = {"fielded": 40, "boolean": 40, "phrase": 25, "proximity": 25, "prefix": 20, "ranked": 30,
          "similar": 20}  # 200 queries
STOP = set("""a an and are as at be been being but by can comprising each for from has have in
into is it its may more not of on one or said such than that the their then there these this those
to upon via was were wherein which while with within adj near""".split())
WORD = re.compile(r"[^\W\d_]+")


def run(cmd, **kw):
    c0, t0 = children_cpu(), time.perf_counter()
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    wall, cpu = time.perf_counter() - t0, children_cpu() - c0
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p, wall, cpu


def du(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
            except OSError:
                pass
    return total


def real_node(ipdx, work):
    """A node holding every real document: data/sample/ plus the unpacked shared data when present."""
    home = work / "real-node"
    if home.exists():
        shutil.rmtree(home)
    run([ipdx, "--home", home, "init", "--office", "US"])
    sources = [ROOT / "data" / "sample"] + ([SHARED] if SHARED.is_dir() else [])
    for src in sources:
        subprocess.run([str(ipdx), "--home", str(home), "ingest", str(src)], capture_output=True)
    exp = work / "real-export"
    if exp.exists():
        shutil.rmtree(exp)
    run([ipdx, "--home", home, "export", "--format", "json", "--out", exp])
    return home, sorted(exp.glob("*.json")), sources


# ---- queries -----------------------------------------------------------------------------------

def doc_text(rec, with_desc=False):
    parts = [t["text"] for t in rec.get("titles", [])] + [a["text"] for a in rec.get("abstracts", [])]
    parts += [c for cs in rec.get("claims", []) for c in cs["claims"]]
    if with_desc:
        parts += [d["text"] for d in rec.get("descriptions", [])]
    return "\n".join(parts)


def words(text):
    return [w.lower() for w in WORD.findall(text)]


def one_word(w):
    """Both engines treat it as one word: no CJK (ipdx indexes CJK runs as bigrams)."""
    return w not in STOP and all(ch < "\u3000" for ch in w)


def good(w):
    return len(w) >= 4 and one_word(w)


def make_queries(corpus, n_docs, seed):
    """200 queries: (class, ipdx kind, ipdx payload, fts5 match, pd from, pd to)."""
    rng = random.Random(seed)
    sample = []
    with open(corpus, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= min(n_docs, 5000):
                break
            sample.append(json.loads(line))
    df = Counter()
    for rec in sample:
        df.update(set(words(doc_text(rec))))
    texts = [r for r in sample if len([w for w in words(doc_text(r)) if good(w)]) >= 20]
    all_fields = "{ti ab cl de}"
    out = []

    def pick_doc():
        return texts[rng.randrange(len(texts))]

    def doc_words(rec):
        return [w for w in words(doc_text(rec)) if good(w)]

    for klass in CLASSES:
        made = 0
        while made < COUNTS[klass]:
            rec = pick_doc()
            ws = doc_words(rec)
            if klass == "fielded":
                v = made % 4
                tw = [w for w in words(" ".join(t["text"] for t in rec.get("titles", []))) if good(w)]
                names = [w for p in rec.get("applicants", []) + rec.get("assignees", [])
                         for w in words(p["name"]) if len(w) >= 3 and one_word(w)]
                ipc = sorted({s.replace(" ", "")[:4] for s in rec.get("ipc") or rec.get("cpc") or []})
                year = (rec.get("publication_date") or "")[:4]
                if v == 0 and tw:
                    w = rng.choice(tw)
                    out.append((klass, "q", f"ti:{w}", f"ti : {w}", "", ""))
                elif v == 1 and names:
                    w = rng.choice(names)
                    cc = rec["office"]
                    out.append((klass, "q", f"pa:{w} cc:{cc}", f"pa : {w} AND cc : {cc.lower()}", "", ""))
                elif v == 2 and ipc and year.isdigit():
                    s = rng.choice(ipc)
                    lo, hi = int(year) - 2, int(year) + 1
                    out.append((klass, "q", f"ipc:{s} pd:{lo}..{hi}", f"ipc : {s.lower()}",
                                f"{lo}-01-01", f"{hi}-12-31"))
                elif v == 3 and rec.get("abstracts") and rec.get("claims"):
                    a = [w for w in words(rec["abstracts"][0]["text"]) if good(w)]
                    c = [w for cs in rec["claims"] for cl in cs["claims"] for w in words(cl) if good(w)]
                    if not a or not c:
                        continue
                    w1, w2 = rng.choice(a), rng.choice(c)
                    out.append((klass, "q", f"ab:{w1} AND cl:{w2}", f"ab : {w1} AND cl : {w2}", "", ""))
                else:
                    continue
            elif klass == "boolean":
                w1, w2, w3 = rng.sample(ws, 3)
                w4 = rng.choice([w for w in df if good(w) and 3 <= df[w] <= 200] or ["zzzz"])
                if len({w1, w2, w3, w4}) < 4:
                    continue
                out.append((klass, "q", f"({w1} OR {w2}) AND {w3} NOT {w4}",
                            f"{all_fields} : (({w1} OR {w2}) AND {w3} NOT {w4})", "", ""))
            elif klass in ("phrase", "proximity"):
                seq = words(doc_text(rec))
                i = rng.randrange(len(seq) - 4)
                gap = 1 if klass == "phrase" else rng.randint(2, 4)
                w1, w2 = seq[i], seq[i + gap]
                if not (good(w1) and good(w2)) or w1 == w2:
                    continue
                if klass == "phrase":
                    out.append((klass, "q", f'"{w1} {w2}"', f'{all_fields} : "{w1} {w2}"', "", ""))
                else:
                    out.append((klass, "q", f"{w1} NEAR/5 {w2}", f"{all_fields} : NEAR({w1} {w2}, 5)",
                                "", ""))
            elif klass == "prefix":
                longs = [w for w in ws if len(w) >= 8]
                if not longs:
                    continue
                w1, w2 = rng.choice(longs), rng.choice(ws)
                p = w1[:6]
                if w2.startswith(p):
                    continue
                out.append((klass, "q", f"{p}* {w2}", f"{all_fields} : ({p}* AND {w2})", "", ""))
            elif klass == "ranked":
                chosen = list(dict.fromkeys(rng.sample(ws, min(len(ws), 8))))[:5]
                if len(chosen) < 4:
                    continue
                out.append((klass, "q", " OR ".join(chosen),
                            f"{all_fields} : (" + " OR ".join(chosen) + ")", "", ""))
            elif klass == "similar":
                tf = Counter(ws)
                n = len(sample)
                import math
                top = sorted(tf, key=lambda w: -tf[w] * math.log(n / (1 + df[w])))[:40]
                if len(top) < 10:
                    continue
                out.append((klass, "s", rec["id"], f"{all_fields} : (" + " OR ".join(top) + ")",
                            "", ""))
            made += 1
    return out


def write_queries(queries, ipdx_path, fts_path):
    with open(ipdx_path, "w", encoding="utf-8") as a, open(fts_path, "w", encoding="utf-8") as b:
        for klass, kind, payload, match, lo, hi in queries:
            a.write(f"{klass}\t{kind}\t{payload}\n")
            b.write(f"{klass}\t{match}\t{lo}\t{hi}\n")


def read_results(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        i, klass, ms, total, ids = line.rstrip("\n").split("\t")
        rows.append((klass, float(ms), total, ids.split(",") if ids else []))
    return rows


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def parse_kv(text):
    return {k: float(v) for k, v in (l.split() for l in text.split("\n") if l.strip())}


# ---- one size ------------------------------------------------------------------------------------

def bench_size(args, ipdx, bench_bin, templates, n):
    work = args.work
    corpus = work / f"corpus-{n}-seed{args.seed}-desc{args.desc_chars}.jsonl"
    if not corpus.exists():
        t0 = time.perf_counter()
        tmp = corpus.with_suffix(".tmp")
        run([sys.executable, HERE / "make_corpus.py", "--docs", n, "--out", tmp, "--seed", args.seed,
             "--desc-chars", args.desc_chars, *templates])
        tmp.rename(corpus)
        print(f"  corpus: {n} documents generated in {time.perf_counter() - t0:.0f} s -> {corpus}",
              flush=True)
    mb = corpus.stat().st_size / 1e6
    res = {"docs": n, "corpus_mb": mb}

    home = work / f"node-{n}"
    if home.exists():
        shutil.rmtree(home)
    run([ipdx, "--home", home, "init", "--office", "US"])
    p, wall, cpu = run([ipdx, "--home", home, "ingest", "--json", "--threads", args.threads, corpus])
    summary = json.loads(p.stdout)
    res["ipdx_ingest"] = {"seconds": wall, "cpu": cpu, "accepted": summary.get("accepted"),
                          "rejected": summary.get("rejected"),
                          "index_warning": summary.get("index_warning", "")}
    p, wall, cpu = run([ipdx, "--home", home, "reindex"])
    res["ipdx_reindex"] = {"seconds": wall, "cpu": cpu}
    # The bulk-load path: store only (--no-index) into a second node, whose index is then the
    # reindex above (same store content); the node is removed again.
    bulk = work / f"node-{n}-store-only"
    if bulk.exists():
        shutil.rmtree(bulk)
    run([ipdx, "--home", bulk, "init", "--office", "US"])
    p, wall_s, cpu_s = run([ipdx, "--home", bulk, "ingest", "--json", "--no-index", "--threads",
                            args.threads, corpus])
    res["ipdx_store_only"] = {"seconds": wall_s, "cpu": cpu_s}
    shutil.rmtree(bulk)
    res["ipdx_index_bytes"] = du(home / "index")
    res["ipdx_store_bytes"] = os.path.getsize(home / "ipdx.db")
    print(f"  ipdx: ingest {res['ipdx_ingest']['seconds']:.1f} s, reindex {wall:.1f} s", flush=True)

    db = work / f"fts5-{n}.db"
    p, _, _ = run([sys.executable, HERE / "fts5_bench.py", "build", "--db", db, corpus])
    res["fts5_build"] = json.loads(p.stdout)
    res["fts5_bytes"] = os.path.getsize(db)
    print(f"  FTS5: build {res['fts5_build']['seconds']:.1f} s", flush=True)

    queries = make_queries(corpus, n, args.seed)
    qi, qf = work / f"queries-{n}.ipdx.tsv", work / f"queries-{n}.fts5.tsv"
    write_queries(queries, qi, qf)
    oi, of = work / f"results-{n}.ipdx.tsv", work / f"results-{n}.fts5.tsv"
    p, _, _ = run([bench_bin, "--home", home, "--queries", qi, "--out", oi, "--threads", 2,
                   "--repeat", args.repeat])
    res["ipdx_run"] = parse_kv(p.stdout)
    p, _, _ = run([sys.executable, HERE / "fts5_bench.py", "run", "--db", db, "--queries", qf,
                   "--out", of, "--threads", 2, "--repeat", args.repeat])
    res["fts5_run"] = parse_kv(p.stdout)
    os_ = work / f"results-{n}.fts5-snippets.tsv"
    p, _, _ = run([sys.executable, HERE / "fts5_bench.py", "run", "--db", db, "--queries", qf,
                   "--out", os_, "--threads", 2, "--repeat", args.repeat, "--snippets"])
    res["fts5s_run"] = parse_kv(p.stdout)
    ri, rf, rs = read_results(oi), read_results(of), read_results(os_)
    res["errors"] = [(q[0], q[2], r[2]) for q, r in zip(queries, ri) if r[1] < 0]
    res["latency"] = {}
    for klass in CLASSES + ["all"]:
        a = [r[1] for r in ri if (klass == "all" or r[0] == klass) and r[1] >= 0]
        b = [r[1] for r in rf if klass == "all" or r[0] == klass]
        c = [r[1] for r in rs if klass == "all" or r[0] == klass]
        res["latency"][klass] = {"n": len(b), "ipdx": [pct(a, 50), pct(a, 95), pct(a, 99)],
                                 "fts5": [pct(b, 50), pct(b, 95), pct(b, 99)],
                                 "fts5s": [pct(c, 50), pct(c, 95), pct(c, 99)],
                                 "ipdx_empty": sum(1 for r in ri if (klass == "all" or r[0] == klass)
                                                   and r[1] >= 0 and not r[3]),
                                 "fts5_empty": sum(1 for r in rf if (klass == "all" or r[0] == klass)
                                                   and not r[3])}
    return res


def print_size(res, goals_at):
    n = res["docs"]
    print(f"\n=== {n:,} documents (recombined real text, {res['corpus_mb']:.0f} MB of ipdx JSON "
          f"lines) ===")
    ing, rei, fb = res["ipdx_ingest"], res["ipdx_reindex"], res["fts5_build"]
    print(f"{'index build':34} {'seconds':>8} {'CPU s':>8} {'docs/s':>8} {'docs/CPU-s':>10} "
          f"{'index MB':>9}")
    print(f"{'ipdx ingest + index (2 thr)':34} {ing['seconds']:8.1f} {ing['cpu']:8.1f} "
          f"{n / ing['seconds']:8.0f} {n / ing['cpu']:10.0f} {res['ipdx_index_bytes'] / 1e6:9.1f}   "
          f"(store {res['ipdx_store_bytes'] / 1e6:.0f} MB; accepted {ing['accepted']}, rejected "
          f"{ing['rejected']})")
    print(f"{'ipdx reindex (from the store)':34} {rei['seconds']:8.1f} {rei['cpu']:8.1f} "
          f"{n / rei['seconds']:8.0f} {n / rei['cpu']:10.0f} {res['ipdx_index_bytes'] / 1e6:9.1f}")
    so = res.get("ipdx_store_only")
    if so:
        bulk_s, bulk_cpu = so["seconds"] + rei["seconds"], so["cpu"] + rei["cpu"]
        print(f"{'ipdx ingest --no-index (store only)':34} {so['seconds']:8.1f} {so['cpu']:8.1f} "
              f"{n / so['seconds']:8.0f} {n / so['cpu']:10.0f} {'-':>9}")
        print(f"{'ipdx bulk: --no-index, then reindex':34} {bulk_s:8.1f} {bulk_cpu:8.1f} "
              f"{n / bulk_s:8.0f} {n / bulk_cpu:10.0f} {res['ipdx_index_bytes'] / 1e6:9.1f}")
    print(f"{'SQLite FTS5 (insert + optimize)':34} {fb['seconds']:8.1f} {fb['cpu_seconds']:8.1f} "
          f"{n / fb['seconds']:8.0f} {n / fb['cpu_seconds']:10.0f} {res['fts5_bytes'] / 1e6:9.1f}   "
          "(database, text included)")
    print("\nlatency ms, 1 thread. ipdx hits carry title + snippet; FTS5 \"ids\" selects the id only, "
          "FTS5 \"+snip\" also the title and snippet() (like for like)")
    print(f"{'class':10} {'n':>4} | {'ipdx p50':>8} {'p95':>7} {'p99':>7} | "
          f"{'FTS5+snip p50':>13} {'p95':>7} {'p99':>7} | {'ids p50':>7} {'p99':>7} | "
          f"{'FTS5/ipdx p50':>13} {'(ids)':>6} | no hits ipdx/FTS5")
    for klass, l in res["latency"].items():
        a, b = l["ipdx"], l["fts5"]
        c = l.get("fts5s", [float("nan")] * 3)
        ratio = c[0] / a[0] if a[0] > 0 else float("nan")
        ratio_ids = b[0] / a[0] if a[0] > 0 else float("nan")
        print(f"{klass:10} {l['n']:4} | {a[0]:8.2f} {a[1]:7.2f} {a[2]:7.2f} | {c[0]:13.2f} {c[1]:7.2f} "
              f"{c[2]:7.2f} | {b[0]:7.2f} {b[2]:7.2f} | {ratio:12.2f}x {ratio_ids:5.2f}x | "
              f"{l['ipdx_empty']}/{l['fts5_empty']}")
    qa, qb = res["ipdx_run"].get("qps", 0), res["fts5_run"].get("qps", 0)
    qc = res.get("fts5s_run", {}).get("qps", float("nan"))
    print(f"queries/s, 2 threads: ipdx {qa:.1f}   FTS5+snip {qc:.1f}   FTS5 ids {qb:.1f}")
    print(f"CPU s of the query processes (warm-up, timed pass, 2-thread passes): ipdx "
          f"{res['ipdx_run'].get('cpu_seconds', 0):.1f}   FTS5+snip "
          f"{res.get('fts5s_run', {}).get('cpu_seconds', float('nan')):.1f}   FTS5 ids "
          f"{res['fts5_run'].get('cpu_seconds', 0):.1f}")
    if res["errors"]:
        print(f"ipdx refused {len(res['errors'])} queries (not counted):")
        for e in res["errors"][:10]:
            print(f"   {e[0]}: {e[1]!r}: {e[2]}")
    lat = res["latency"]
    checks = [
        ("p99 fielded < 50 ms", lat["fielded"]["ipdx"][2] < 50, f"{lat['fielded']['ipdx'][2]:.1f} ms"),
        ("p99 boolean < 50 ms", lat["boolean"]["ipdx"][2] < 50, f"{lat['boolean']['ipdx'][2]:.1f} ms"),
        ("ranked free text p50 >= 10x faster than FTS5 (with title + snippet)",
         lat["ranked"].get("fts5s", [0])[0] >= 10 * lat["ranked"]["ipdx"][0],
         f"{lat['ranked'].get('fts5s', [float('nan')])[0] / lat['ranked']['ipdx'][0]:.2f}x "
         f"(ids only: {lat['ranked']['fts5'][0] / lat['ranked']['ipdx'][0]:.2f}x)"),
        ("index build >= 2,000 docs/s (ingest + index)", n / ing["seconds"] >= 2000,
         f"{n / ing['seconds']:.0f} docs/s"),
    ]
    if so:
        bulk_s = so["seconds"] + rei["seconds"]
        checks.append(("index build >= 2,000 docs/s (bulk: ingest --no-index, then reindex)",
                       n / bulk_s >= 2000, f"{n / bulk_s:.0f} docs/s"))
    label = "goals" if n >= goals_at else f"goals (stated for 1,000,000 documents; shown at {n:,})"
    print(f"\n{label}:")
    for name, ok, value in checks:
        print(f"  {'met    ' if ok else 'NOT met'}  {name}: {value}")


# ---- quality -------------------------------------------------------------------------------------

def number_key(office, number):
    return (office or "", re.sub(r"\D", "", number or "").lstrip("0"))


def quality(args, bench_bin, home, exported, sources):
    print("\n=== prior-art quality: examiners' citations as relevance judgments (real documents "
          "only) ===")
    print("corpus: " + ", ".join(str(s) for s in sources))
    recs = [json.load(open(p, encoding="utf-8")) for p in exported]
    by_number = {}
    for r in recs:
        by_number.setdefault(number_key(r["office"], r["number"]), []).append(r["id"])
    topics = []
    cited_total = 0
    for r in recs:
        rel = set()
        for c in r.get("citations", []):
            if c.get("number"):
                cited_total += 1
                rel.update(i for i in by_number.get(number_key(c.get("office"), c["number"]), [])
                           if i != r["id"])
        text = "\n".join([a["text"] for a in r.get("abstracts", [])] +
                         [c for cs in r.get("claims", []) for c in cs["claims"]])
        if rel and text.strip():
            topics.append((r["id"], text, rel))
    print(f"records: {len(recs)}; patent citations in them: {cited_total}; judged topics (citing "
          f"record with abstract or claims whose cited patent is in the corpus): {len(topics)}")
    if not topics:
        print("recall@100 and MAP are undefined with 0 judged topics: none of the real documents "
              "available offline cites another of them. The pipeline is ready (bench/search/"
              "driver.py, quality()); it needs a corpus that holds citing and cited documents, "
              "e.g. a weekly USPTO grant file plus the patents its examiners cited.")
        return {"topics": 0}
    q = args.work / "quality.tsv"
    with open(q, "w", encoding="utf-8") as f:
        for _, text, _ in topics:
            esc = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            ws = list(dict.fromkeys(w for w in words(text) if len(w) >= 2 and w not in
                                    ("and", "or", "not", "near", "adj")))[:300]
            f.write(f"similar\tt\t{esc}\n")
            f.write("bm25\tq\ttxt:(" + " OR ".join(ws) + ")\n")
    out = args.work / "quality-results.tsv"
    run([bench_bin, "--home", home, "--queries", q, "--out", out, "--limit", 100])
    rows = read_results(out)
    scores = {"similar": [], "bm25": []}
    for k, (tid, _, rel) in enumerate(topics):
        for row in rows[2 * k: 2 * k + 2]:
            ranked = [i for i in row[3] if i != tid]
            hits, ap = 0, 0.0
            for rank, i in enumerate(ranked[:100], 1):
                if i in rel:
                    hits += 1
                    ap += hits / rank
            scores[row[0]].append((hits / len(rel), ap / len(rel)))
    print(f"{'method':40} {'topics':>6} {'recall@100':>10} {'MAP':>7}")
    for name, label in (("similar", "ipdx similar (abstract+claims text)"),
                        ("bm25", "BM25 txt: OR of the same words")):
        s = scores[name]
        print(f"{label:40} {len(s):6} {sum(x[0] for x in s) / len(s):10.3f} "
              f"{sum(x[1] for x in s) / len(s):7.3f}")
    print(f"With {len(topics)} topics these numbers say almost nothing about examiners' prior-art "
          "searches.")
    return {"topics": len(topics), "scores": scores}


def main():
    ap = argparse.ArgumentParser(description="ipdx search vs SQLite FTS5 (bench/README.md)")
    ap.add_argument("--build", type=Path, help="build folder with ipdx and bench/ipdx_bench_search")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--quick", action="store_true", help="10,000 documents only")
    ap.add_argument("--quality", action="store_true", help="also the prior-art quality run")
    ap.add_argument("--quality-only", action="store_true")
    ap.add_argument("--threads", type=int, default=2, help="ingest decode threads")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the 200 queries, 2 threads")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--desc-chars", type=int, default=3000)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--report", type=Path, help="print the tables of a saved results JSON")
    args = ap.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        print(f"saved run on {saved['machine']}")
        for res in saved["sizes"]:
            print_size(res, 1000000)
        return
    if not args.build:
        ap.error("--build is required")
    args.work = (args.work or args.build / "search-bench").resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    ipdx, bench_bin = args.build / "ipdx", args.build / "bench" / "ipdx_bench_search"
    sizes = [10000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    print(f"bench/run-search on {machine()}")
    print("corpus: recombined real text (bench/search/make_corpus.py): real records of data/sample/ "
          "and the unpacked shared data with new numbers, shifted dates, half the sentences swapped among "
          f"documents of the same language, descriptions cut at {args.desc_chars} characters. "
          "NOT real documents.")
    print("200 queries: " + ", ".join(f"{COUNTS[c]} {c}" for c in CLASSES) +
          "; ipdx through service::Search/Similar (ipdx_bench_search), FTS5 through Python's "
          "sqlite3 (bench/search/fts5_bench.py), top 10 by rank; latency = wall time per query "
          "after one warm-up pass.")
    home, exported, sources = real_node(ipdx, args.work)
    results = {"machine": machine(), "sizes": []}
    if not args.quality_only:
        for n in sizes:
            print(f"\n[{n:,} documents]", flush=True)
            res = bench_size(args, ipdx, bench_bin, [str(p) for p in exported], n)
            print_size(res, 1000000)
            results["sizes"].append(res)
    if args.quality or args.quality_only:
        results["quality"] = quality(args, bench_bin, home, exported, sources)
    out = args.work / f"results-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=1, default=str))
    print(f"\nresults: {out}")
    print("1M documents: bench/run-search --sizes 1000000   (about 13 GB of corpus, 40 GB with node and FTS5 "
          "database)")


if __name__ == "__main__":
    main()
