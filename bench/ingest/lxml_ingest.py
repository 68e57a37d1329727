#!/usr/bin/python3
"""Baseline of the ingest benchmark: a straightforward Python + lxml ingest into SQLite.

What a patent office's IT team would typically write in an afternoon, done competently: stream
each weekly file, cut it into documents with the same rule as ipdx (bench/ingest/weekly.py),
parse each document with lxml (never fetching anything: resolve_entities=False, no_network=True,
load_dtd=False), extract the same fields ipdx maps (publication id and dates, application,
priorities, titles, abstracts, claims, parties, IPC/CPC/national classifications, citations)
from USPTO grant/application XML v4.x and EPO ep-patent-document 1.x, and insert them into
normalised SQLite tables, one transaction per 500 documents (WAL, synchronous=NORMAL). A
document that does not parse or has no publication number is recorded in `rejects` with its
file, byte offset and the parser's message.

Prints one JSON object on stdout: documents, accepted, rejected, bytes, seconds, rows per table.
Run with Debian's /usr/bin/python3, which has python3-lxml.
"""

import argparse
import json
import os
import re
import sqlite3
import sys
import time

from lxml import etree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weekly  # noqa: E402

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY, office TEXT, number TEXT, kind TEXT, publication_date TEXT,
  grant_date TEXT, language TEXT, app_office TEXT, app_number TEXT, app_date TEXT,
  format TEXT, file TEXT, offset INTEGER);
CREATE TABLE IF NOT EXISTS priorities (doc_id TEXT, office TEXT, number TEXT, date TEXT);
CREATE TABLE IF NOT EXISTS titles (doc_id TEXT, lang TEXT, text TEXT);
CREATE TABLE IF NOT EXISTS abstracts (doc_id TEXT, lang TEXT, text TEXT);
CREATE TABLE IF NOT EXISTS claims (doc_id TEXT, lang TEXT, seq INTEGER, text TEXT);
CREATE TABLE IF NOT EXISTS parties (doc_id TEXT, role TEXT, name TEXT, country TEXT);
CREATE TABLE IF NOT EXISTS classifications (doc_id TEXT, scheme TEXT, symbol TEXT);
CREATE TABLE IF NOT EXISTS citations (doc_id TEXT, office TEXT, number TEXT, kind TEXT,
  date TEXT, category TEXT, text TEXT);
CREATE TABLE IF NOT EXISTS rejects (file TEXT, offset INTEGER, error TEXT);
"""
TABLES = ("documents", "priorities", "titles", "abstracts", "claims", "parties",
          "classifications", "citations", "rejects")
BATCH = 500


def clean(s):
    return " ".join(s.split()) if s else ""


def text_of(el):
    return clean("".join(el.itertext())) if el is not None else ""


def child_text(el, path):
    if el is None:
        return ""
    found = el.find(path)
    return clean(found.text) if found is not None and found.text else ""


_IPC = re.compile(r"^([A-H][0-9]{2}[A-Z])\s*0*([0-9]+)\s*/\s*([0-9]+)")


def norm_ipc(s):
    """ST.8 style "A41D 1/06" from "A41D001/06", "A41D  1/06", "A41D 1/06"."""
    m = _IPC.match(clean(s))
    return f"{m.group(1)} {m.group(2)}/{m.group(3)}" if m else clean(s)


def iso(d):
    d = d.strip()
    if len(d) == 8 and d.isdigit():
        return f"{d[:4]}-{d[4:6]}-{d[6:]}"
    return d


class Rows:
    """Rows of one batch, per table."""

    def __init__(self):
        self.rows = {t: [] for t in TABLES}


# ---- USPTO ICE grant / application v4.x ----------------------------------------------------

def _us_symbol(el):
    sec = child_text(el, "section")
    if not sec:
        return ""
    return (f"{sec}{child_text(el, 'class')}{child_text(el, 'subclass')} "
            f"{child_text(el, 'main-group')}/{child_text(el, 'subgroup')}")


def _us_party_name(el):
    book = el.find("addressbook")
    if book is None:
        book = el
    org = child_text(book, "orgname")
    if org:
        return org
    return clean(f"{child_text(book, 'first-name')} {child_text(book, 'last-name')}")


def map_us(root, out, file, offset):
    grant = root.tag == "us-patent-grant"
    biblio = root.find("us-bibliographic-data-grant" if grant else
                       "us-bibliographic-data-application")
    if biblio is None:
        return None
    pub = biblio.find("publication-reference/document-id")
    number = child_text(pub, "doc-number")
    if not number:
        return None
    office = child_text(pub, "country") or "US"
    kind = child_text(pub, "kind")
    doc_id = f"{office}-{number}-{kind}"
    pub_date = iso(child_text(pub, "date"))
    app = biblio.find("application-reference/document-id")
    lang = (root.get("lang") or "en").lower()
    out.rows["documents"].append((
        doc_id, office, number, kind, pub_date, pub_date if grant else "", lang,
        child_text(app, "country"), child_text(app, "doc-number"), iso(child_text(app, "date")),
        f"{root.tag} {root.get('dtd-version', '')}", file, offset))
    for p in biblio.iterfind("priority-claims/priority-claim"):
        out.rows["priorities"].append((doc_id, child_text(p, "country"),
                                       child_text(p, "doc-number"), iso(child_text(p, "date"))))
    title = biblio.find("invention-title")
    if title is not None:
        out.rows["titles"].append((doc_id, lang, text_of(title)))
    for a in root.iterfind("abstract"):
        out.rows["abstracts"].append((doc_id, (a.get("lang") or lang).lower(), text_of(a)))
    for claims in root.iterfind("claims"):
        clang = (claims.get("lang") or lang).lower()
        for i, c in enumerate(claims.iterfind("claim"), 1):
            out.rows["claims"].append((doc_id, clang, i, text_of(c)))
    roles = {"applicant": "applicant", "us-applicant": "applicant", "inventor": "inventor",
             "assignee": "assignee", "agent": "agent"}
    for p in biblio.iter("applicant", "us-applicant", "inventor", "assignee", "agent"):
        book = p.find("addressbook")
        row = (doc_id, roles[p.tag], _us_party_name(p),
               child_text(book if book is not None else p, "address/country"))
        out.rows["parties"].append(row)
        # v4.0-v4.2 list inventors only as applicants of type "applicant-inventor".
        if p.get("app-type") == "applicant-inventor":
            out.rows["parties"].append((doc_id, "inventor") + row[2:])
    for c in biblio.iter("classification-ipcr"):
        out.rows["classifications"].append((doc_id, "ipc", _us_symbol(c)))
    for c in biblio.iterfind("classification-ipc"):
        for e in c.iter("main-classification", "further-classification"):
            out.rows["classifications"].append((doc_id, "ipc", norm_ipc(e.text or "")))
    for c in biblio.iter("classification-cpc"):
        out.rows["classifications"].append((doc_id, "cpc", _us_symbol(c)))
    for c in biblio.iterfind("classification-national"):
        for e in c.iter("main-classification", "further-classification"):
            out.rows["classifications"].append((doc_id, "national", clean(e.text)))
    for c in biblio.iter("citation", "us-citation"):
        category = child_text(c, "category")
        d = c.find("patcit/document-id")
        if d is not None:
            out.rows["citations"].append((
                doc_id, child_text(d, "country"), child_text(d, "doc-number"),
                child_text(d, "kind"), iso(child_text(d, "date")), category, ""))
        else:
            out.rows["citations"].append((doc_id, "", "", "", "", category,
                                          text_of(c.find("nplcit"))))
    return doc_id


# ---- EPO ep-patent-document 1.x -------------------------------------------------------------

def map_ep(root, out, file, offset):
    sdobi = root.find("SDOBI")
    number = root.get("doc-number") or child_text(sdobi, "B100/B110")
    if not number:
        return None
    office = root.get("country") or child_text(sdobi, "B100/B190") or "EP"
    kind = root.get("kind") or child_text(sdobi, "B100/B130")
    doc_id = f"{office}-{number}-{kind}"
    lang = (root.get("lang") or "").lower()
    grant_date = iso(child_text(sdobi, "B400/B450/date")) if kind.startswith("B") else ""
    out.rows["documents"].append((
        doc_id, office, number, kind, iso(root.get("date-publ") or ""), grant_date, lang, "EP",
        child_text(sdobi, "B200/B210"), iso(child_text(sdobi, "B200/B220/date")),
        f"{root.tag} {root.get('dtd-version', '')}", file, offset))
    if sdobi is not None:
        prio = sdobi.find("B300")
        if prio is not None:
            number_p = date_p = ""
            for e in prio:
                if e.tag == "B310":
                    number_p = clean(e.text)
                elif e.tag == "B320":
                    date_p = iso(child_text(e, "date"))
                elif e.tag == "B330":
                    out.rows["priorities"].append((doc_id, child_text(e, "ctry"), number_p,
                                                   date_p))
        tlang = ""
        for e in sdobi.iterfind("B500/B540/*"):
            if e.tag == "B541":
                tlang = clean(e.text).lower()
            elif e.tag == "B542":
                out.rows["titles"].append((doc_id, tlang, text_of(e)))
        for e in sdobi.iterfind("B500/B510/*"):
            if e.tag in ("B511", "B512"):
                parts = clean(e.text).split()
                # " 7C 07C  29/44   A": the edition prefix and the trailing flag are not the symbol.
                if parts and parts[0][:1].isdigit():
                    parts[0] = parts[0][1:] if len(parts[0]) > 1 else ""
                    parts = [p for p in parts if p]
                if len(parts) >= 2:
                    sym = (parts[0] + parts[1]) if len(parts[0]) == 1 else parts[0]
                    rest = parts[2] if len(parts[0]) == 1 and len(parts) > 2 else parts[1]
                    symbol = norm_ipc(f"{sym} {rest}")
                    out.rows["classifications"].append((doc_id, "ipc", symbol))
        for e in sdobi.iterfind("B500/B510EP/classification-ipcr/text"):
            parts = clean(e.text).split()
            if len(parts) >= 2:
                out.rows["classifications"].append((doc_id, "ipc",
                                                     norm_ipc(f"{parts[0]} {parts[1]}")))
        for e in sdobi.iterfind("B500/B560/*"):
            if e.tag == "B561":
                out.rows["citations"].append((doc_id, "", "", "", "", "", text_of(e)))
            elif e.tag == "B562":
                out.rows["citations"].append((doc_id, "", "", "", "", "", text_of(e)))
        for group, role in (("B710/B711", "applicant"), ("B720/B721", "inventor"),
                            ("B730/B731", "assignee"), ("B740/B741", "agent")):
            for p in sdobi.iterfind("B700/" + group):
                out.rows["parties"].append((doc_id, role, child_text(p, "snm"),
                                            child_text(p, "adr/ctry")))
    # Literature cited in the description: patcit (dnum="EP3109871A1") and nplcit.
    for d in root.iterfind("description"):
        for p in d.iter("patcit", "nplcit"):
            if p.tag == "nplcit":
                out.rows["citations"].append((doc_id, "", "", "", "", "cited by applicant",
                                              text_of(p)))
                continue
            m = _DNUM.match(p.get("dnum") or "")
            if m:
                out.rows["citations"].append((doc_id, m.group(1), m.group(2), m.group(3) or "",
                                              "", "cited by applicant", ""))
    for a in root.iterfind("abstract"):
        out.rows["abstracts"].append((doc_id, (a.get("lang") or lang).lower(), text_of(a)))
    for claims in root.iterfind("claims"):
        clang = (claims.get("lang") or lang).lower()
        for i, c in enumerate(claims.iterfind("claim"), 1):
            out.rows["claims"].append((doc_id, clang, i, text_of(c)))
    return doc_id


_DNUM = re.compile(r"^([A-Z]{2})([0-9A-Z]+?)([A-Z][0-9]?)?$")

MAPPERS = {"us-patent-grant": map_us, "us-patent-application": map_us, "ep-patent-document": map_ep}


def flush(db, batch):
    db.execute("BEGIN")
    db.executemany("INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   batch.rows["documents"])
    for table, n in (("priorities", 4), ("titles", 3), ("abstracts", 3), ("claims", 4),
                     ("parties", 4), ("classifications", 3), ("citations", 7), ("rejects", 3)):
        if batch.rows[table]:
            db.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * n)})", batch.rows[table])
    db.execute("COMMIT")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="SQLite database to create")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args(argv)

    start = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(args.db + suffix):
            os.remove(args.db + suffix)
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    documents = accepted = rejected = nbytes = 0
    counts = {t: 0 for t in TABLES}
    batch = Rows()
    in_batch = 0
    for path in args.files:
        name = os.path.basename(path)
        for offset, data in weekly.iter_documents(path):
            documents += 1
            nbytes += len(data)
            try:
                root = etree.fromstring(data, parser)
                mapper = MAPPERS.get(root.tag)
                doc_id = mapper(root, batch, name, offset) if mapper else None
                if doc_id is None:
                    raise ValueError(f"unsupported or unnumbered document <{root.tag}>")
                accepted += 1
            except (etree.XMLSyntaxError, ValueError) as e:
                rejected += 1
                batch.rows["rejects"].append((name, offset, str(e)))
            in_batch += 1
            if in_batch == BATCH:
                for t in TABLES:
                    counts[t] += len(batch.rows[t])
                flush(db, batch)
                batch = Rows()
                in_batch = 0
    for t in TABLES:
        counts[t] += len(batch.rows[t])
    flush(db, batch)
    db.close()
    seconds = time.perf_counter() - start
    print(json.dumps({"documents": documents, "accepted": accepted, "rejected": rejected,
                      "bytes": nbytes, "seconds": seconds, "rows": counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
