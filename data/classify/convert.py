#!/usr/bin/env python3
"""Converts the labelled classification data of the project's shared folder into ipdx record JSON
lines (docs/formats/record.md), the format `ipdx classifier train --extra-data` reads through the
codec. Run once by hand; the outputs are checked in. See PROVENANCE.md.

    data/classify/convert.py /path/to/shared/data/classify data/classify
"""
import ast
import csv
import json
import lzma
import sys
from pathlib import Path


def record(office, number, kind, date, lang, title, abstract, claims, ipc, cpc):
    return {
        "format_version": 1,
        "office": office,
        "number": number,
        "kind": kind,
        "publication_date": date,
        "language": lang,
        "titles": [{"lang": lang, "text": title}] if title else [],
        "abstracts": [{"lang": lang, "text": abstract}] if abstract else [],
        "claims": [{"lang": lang, "claims": claims}] if claims else [],
        "ipc": ipc,
        "cpc": cpc,
    }


def write(path, rows):
    with open(path, "w", encoding="utf-8") as out:
        for r in rows:
            out.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{path}: {len(rows)} records")


def main():
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    # PatentSBERTa: first claim of 1,000 US grants, CPC subclasses (sorted alphabetically in the
    # source, so the first one is not the main classification). Kind codes are not given: empty.
    rows = []
    with lzma.open(src / "patentsberta_claims_cpc_train.jsonl.xz", "rt", encoding="utf-8") as f:
        for line in f:
            j = json.loads(line)
            rows.append(record("US", j["id"], "", j["date"], "en", "", "", [j["claim"]], [],
                               j["cpc_subclasses"]))
    write(dst / "patentsberta_claims_cpc.jsonl", rows)

    # The mini corpus: title, abstract and IPC symbols of documents of the sample corpora.
    rows = []
    with open(src / "mini_labelled_corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            j = json.loads(line)
            if not j["country"] or not j["number"]:
                continue
            rows.append(record(j["country"].upper(), j["number"], j["kind"].upper(), "",
                               j["lang"].lower(), j["title"], j["abstract"], [], j["ipc"], []))
    write(dst / "mini_labelled_corpus.jsonl", rows)

    # USPTO debug split (train, dev, test): title, abstract, CPC subclasses.
    rows = []
    for name in ("train", "dev", "test"):
        with open(src / "uspto-debug" / f"{name}.tsv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                labels = ast.literal_eval(row["labels"])
                rows.append(record("US", row["patent_id"], "", "", "en", row["title"],
                                   row["abstract"], [], [], labels))
    write(dst / "uspto_debug.jsonl", rows)


if __name__ == "__main__":
    main()
