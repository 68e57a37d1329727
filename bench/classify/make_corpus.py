#!/usr/bin/env python3
"""Builds a larger labelled corpus for the classifier benchmark by recombining real text.

The bundled labelled data (data/classify/*.jsonl: 1,078 real documents) is far smaller than the
10,000 documents the training-time goal is stated for. This script writes N ipdx record JSON lines
whose text is recombined from real claims and abstracts: each synthetic document takes the labels
of one real document and a text made of that document's clauses plus clauses of other real
documents that share its first label. Numbers are fresh (office "XX"-free: US, numbers from
90,000,000). The documents are NOT real; the benchmark says so in its output.

    make_corpus.py N OUT.jsonl data/classify/*.jsonl
"""
import json
import random
import re
import sys
from collections import defaultdict


def texts(rec):
    out = []
    for field in ("titles", "abstracts"):
        out += [t["text"] for t in rec.get(field, [])]
    for cs in rec.get("claims", []):
        out += cs["claims"]
    return " ".join(out)


def main():
    n, out_path, inputs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    rng = random.Random(42)
    docs = []
    for path in inputs:
        with open(path, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                labels = rec.get("ipc") or rec.get("cpc") or []
                text = texts(rec)
                if labels and text:
                    clauses = [c.strip() for c in re.split(r"[;:]\s+|,\s+(?=wherein|and|the|a|an)\b", text) if len(c.strip()) > 20]
                    if clauses:
                        docs.append((rec, labels, clauses))
    by_label = defaultdict(list)
    for i, (_, labels, _) in enumerate(docs):
        by_label[labels[0][:4]].append(i)
    with open(out_path, "w", encoding="utf-8") as out:
        for k in range(n):
            rec, labels, clauses = docs[rng.randrange(len(docs))]
            same = by_label[labels[0][:4]]
            mixed = list(clauses)
            for _ in range(rng.randint(1, 4)):
                other = docs[same[rng.randrange(len(same))]][2]
                mixed.append(other[rng.randrange(len(other))])
            rng.shuffle(mixed)
            body = "; ".join(mixed[: max(3, len(mixed))])
            out.write(json.dumps({
                "format_version": 1, "office": "US", "number": str(90000000 + k), "kind": "B1",
                "publication_date": "", "language": "en", "titles": [], "abstracts": [],
                "claims": [{"lang": "en", "claims": ["1. " + body]}],
                "ipc": rec.get("ipc", []), "cpc": rec.get("cpc", []),
            }, ensure_ascii=False) + "\n")
    print(f"{out_path}: {n} recombined documents from {len(docs)} real ones", file=sys.stderr)


if __name__ == "__main__":
    main()
