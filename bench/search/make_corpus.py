#!/usr/bin/env python3
"""Builds the search benchmark corpus: N ipdx record JSON lines recombined from real documents.

    make_corpus.py --docs N --out OUT.jsonl [--seed S] [--desc-chars C] TEMPLATE.json...

TEMPLATE.json are real records exported by `ipdx export --format json` (data/sample/ and the
unpacked archives under build-bench/shared (unpacked from ../shared/data when present)). Each generated record is one real record with

  - a new, unique publication number: the template's number with its last six digits replaced by
    a counter shared by every template of the same office and leading digits (numbers shorter
    than 7 digits are not used as templates), and the id, office and kind kept consistent;
  - its publication, grant, application and priority dates shifted by the same whole number of
    weeks (up to two years either way, never later than last week);
  - about half of the sentences of every abstract, claim and description swapped with real
    sentences of other documents of the same language;
  - the description cut after C characters (at a sentence end; default 3000), so that 1M documents
    fit on one disk. Titles, parties, classifications and citations stay as published.

The documents are NOT real documents: the benchmark says "recombined real text".
"""
import argparse
import datetime as dt
import json
import random
import re
import sys

SENTENCE = re.compile(r"(?<=[.!?;。！？；])\s*(?=\S)")
DATE_FIELDS = ("publication_date", "grant_date")


def sentences(text):
    return [s for s in SENTENCE.split(text) if s.strip()]


def shift(date, weeks, latest):
    if not date or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return date
    try:
        d = dt.date.fromisoformat(date) + dt.timedelta(weeks=weeks)
    except ValueError:
        return date
    return min(d, latest).isoformat()


def texts_of(rec):
    """Yields (language, text) of abstracts, claims and descriptions."""
    lang = rec.get("language", "")
    for a in rec.get("abstracts", []):
        yield a.get("lang") or lang, a["text"]
    for cs in rec.get("claims", []):
        for c in cs["claims"]:
            yield cs.get("lang") or lang, c
    for d in rec.get("descriptions", []):
        yield d.get("lang") or lang, d["text"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--desc-chars", type=int, default=3000)
    ap.add_argument("templates", nargs="+")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    templates, pool = [], {}
    for path in args.templates:
        with open(path, encoding="utf-8") as f:
            rec = json.load(f)
        digits = re.sub(r"\D", "", rec.get("number", ""))
        if len(digits) < 7 or digits != rec["number"]:
            continue
        if not (rec.get("titles") or rec.get("abstracts") or rec.get("claims")):
            continue
        for lang, text in texts_of(rec):
            pool.setdefault(lang, []).extend(s for s in sentences(text[:20000]) if len(s) > 30)
        for key in ("source", "findings", "version", "hash"):
            rec.pop(key, None)
        templates.append(json.dumps(rec))
    if not templates:
        sys.exit("make_corpus: no usable template")

    latest = dt.date.today() - dt.timedelta(weeks=1)
    counters = {}
    with open(args.out, "w", encoding="utf-8") as out:
        for i in range(args.docs):
            rec = json.loads(templates[i % len(templates)])
            number = rec["number"]
            head = number[:-6]
            key = (rec["office"], head)
            n = counters.get(key, 0)
            counters[key] = n + 1
            if n >= 10**6:
                sys.exit(f"make_corpus: more than 10^6 documents for {key}")
            rec["number"] = f"{head}{n:06d}"
            rec["id"] = f"{rec['office']}-{rec['number']}-{rec['kind']}" if rec.get("kind") else \
                f"{rec['office']}-{rec['number']}"
            weeks = rng.randint(-104, 104)
            for field in DATE_FIELDS:
                if field in rec:
                    rec[field] = shift(rec[field], weeks, latest)
            if rec.get("application"):
                rec["application"]["date"] = shift(rec["application"].get("date"), weeks, latest)
            for p in rec.get("priorities", []):
                p["date"] = shift(p.get("date"), weeks, latest)
            lang = rec.get("language", "")

            def mix(text, text_lang, limit=None):
                parts = sentences(text)
                other = pool.get(text_lang or lang)
                out_parts, size = [], 0
                for s in parts:
                    if other and rng.random() < 0.5:
                        s = other[rng.randrange(len(other))]
                    out_parts.append(s)
                    size += len(s) + 1
                    if limit is not None and size >= limit:
                        break
                return " ".join(out_parts) if out_parts else text

            for a in rec.get("abstracts", []):
                a["text"] = mix(a["text"], a.get("lang"))
            for cs in rec.get("claims", []):
                cs["claims"] = [mix(c, cs.get("lang")) for c in cs["claims"]]
            for d in rec.get("descriptions", []):
                d["text"] = mix(d["text"][: args.desc_chars * 2], d.get("lang"), args.desc_chars)
            out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")


if __name__ == "__main__":
    main()
