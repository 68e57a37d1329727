#!/usr/bin/python3
"""Builds the ingest benchmark corpus: USPTO-style weekly files recombined from real documents.

Every generated document is a copy of one REAL public document (a "template": USPTO ICE grant
v4.0-v4.5, USPTO ICE application v4.0-v4.5, EPO ep-patent-document 1.0-1.5.1) in which
  * the publication number is replaced by a unique one (US grants 8 digits, US applications
    YYYY + 7 digits, EP 7 digits), with the root `file` attribute and EP B110 kept consistent;
  * the US application number keeps its series code and gets new serial digits;
  * every complete event date (<date>YYYYMMDD</date>, date-publ, date-produced; not IPC/CPC
    scheme versions) is shifted by the same whole number of weeks (so the weekday of issue and
    the order of filing, priority, publication and citation dates stay real), never beyond last
    week;
  * about half of the sentences of every paragraph and claim are replaced by real sentences
    taken from other documents of the same family and language.
The structure, markup, entities, classifications, parties and citations stay exactly as the
office published them. Documents are written USPTO style: concatenated, each with its own XML
declaration and DOCTYPE, one family per weekly file. With --broken-per-mille some documents are
copies of the real EP files that are not well-formed (raw `&`, `<`), so the benchmark also shows
that a bad document becomes a reject and not a crash or a silent loss.

Output (in --out): the weekly files, documents.tsv (one line per document: file, offset, length,
family, publication id, template, broken) and manifest.json (parameters, totals, the note to
print). manifest.json is written last: a folder without it is incomplete.

Standard library only; runs under /usr/bin/python3. The same parameters and templates always
produce the same bytes.
"""

import argparse
import bisect
import datetime
import hashlib
import json
import os
import random
import re
import sys
import xml.parsers.expat

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weekly  # noqa: E402

GENERATOR_VERSION = 1
FAMILIES = ("us-grant", "us-application", "ep")
ROOT_FAMILY = {
    "us-patent-grant": "us-grant",
    "us-patent-application": "us-application",
    "ep-patent-document": "ep",
}
WEEKLY_PREFIX = {"us-grant": "ipg", "us-application": "ipa", "ep": "epb"}
DEFAULT_MIX = "us-grant:0.4,us-application:0.4,ep:0.2"
NOTE = (
    "Corpus: recombined real text. Every document is a real public USPTO or EPO document with a "
    "new unique publication number, shifted dates and about half of its sentences swapped with "
    "real sentences from other documents of the same family and language; markup, "
    "classifications, parties and citations are as published."
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "bench", "common"))
from shared_data import unpacked_shared_data  # noqa: E402

_SHARED = str(unpacked_shared_data())
DEFAULT_SAMPLE_DIRS = [
    os.path.join(REPO_ROOT, "data", "sample"),
    _SHARED + "/uspto/samples-mpi",
    _SHARED + "/uspto/samples-ppd/xml2004",
    _SHARED + "/uspto/samples-ppd/xml2006",
    _SHARED + "/uspto/samples-ppd/xml2014",
    _SHARED + "/epo/ep-documents",
]

_ROOT_RE = re.compile(r"<(us-patent-grant|us-patent-application|ep-patent-document)[\s>]")
_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_DOCTYPE_RE = re.compile(r"<!DOCTYPE\s[^\[>]*(\[.*?\]\s*)?>", re.S)
_LANG_RE = re.compile(r"\slang=\"([A-Za-z]{2})\"")
_TEXT_RE = re.compile(r"<(?:p|claim-text)(?:\s[^>]*)?>([^<]+)")
# Sentence ends, except after the abbreviations patent text is full of ("U.S. Pat. No. 5,").
_SENTENCE_SPLIT = re.compile(
    r"(?<=[.!?;])(?<![A-Z]\.[A-Z]\.)(?<!Pat\.)(?<!No\.)(?<!Nos\.)(?<!FIG\.)(?<!Fig\.)"
    r"(?<!Ser\.)(?<! al\.)(?<!e\.g\.)(?<!i\.e\.)(?<!approx\.)\s+(?=[A-Z0-9(\[])"
)
_ENTITY_OK = re.compile(r"&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);")
_DATE_RE = re.compile(r"<date>(\d{8})</date>|\sdate-(?:publ|produced)=\"(\d{8})\"")
_US_PUB_RE = re.compile(
    r"<publication-reference[^>]*>\s*<document-id>\s*<country>US</country>\s*"
    r"<doc-number>(\d+)</doc-number>\s*<kind>([A-Z]\d?)</kind>"
)
_US_APP_RE = re.compile(
    r"<application-reference[^>]*>\s*<document-id>\s*<country>US</country>\s*"
    r"<doc-number>(\d+)</doc-number>"
)
_US_FILE_RE = re.compile(r"\sfile=\"(US\d+(?:[A-Z]\d?)?-\d{8}\.XML)\"")
_EP_DOCNUM_RE = re.compile(r"<ep-patent-document\s[^>]*?\sdoc-number=\"(\d+)\"")
_EP_KIND_RE = re.compile(r"<ep-patent-document\s[^>]*?\skind=\"([A-Z]\d?)\"")
_EP_B110_RE = re.compile(r"<B110>(\d+)</B110>")
_DTD_VERSION_RE = re.compile(r"\sdtd-version=\"([^\"]*)\"")

# Slot types of a template: the pieces that change from one generated document to the next.
PUBNUM, DATE, TEXT, APPNUM, USFILE = range(5)


class Template:
    """One real document cut into constant text and slots (see module comment)."""

    def __init__(self, source, family, text, broken):
        self.source = source
        self.family = family
        self.broken = broken
        self.kind = ""
        self.pub_date = None
        self.pieces = []  # str, or (slot type, data)
        self.sentences = {}  # pool key -> sentences found in this template
        self._cut(text)

    def _cut(self, text):
        spans = []  # (start, end, slot)
        if self.family == "ep":
            m = _EP_KIND_RE.search(text)
            self.kind = m.group(1) if m else "A1"
            for rx in (_EP_DOCNUM_RE, _EP_B110_RE):
                m = rx.search(text)
                if m:
                    spans.append((m.start(1), m.end(1), (PUBNUM, len(m.group(1)))))
        else:
            m = _US_PUB_RE.search(text)
            if not m:
                raise ValueError("no US publication-reference")
            self.kind = m.group(2)
            spans.append((m.start(1), m.end(1), (PUBNUM, len(m.group(1)))))
            m = _US_APP_RE.search(text)
            if m and len(m.group(1)) == 8:
                spans.append((m.start(1), m.end(1), (APPNUM, m.group(1)[:2])))
            m = _US_FILE_RE.search(text)
            if m:
                has_kind = bool(re.match(r"US\d+[A-Z]", m.group(1)))
                spans.append((m.start(1), m.end(1), (USFILE, has_kind)))
        dates = []
        for m in _DATE_RE.finditer(text):
            g = 1 if m.group(1) else 2
            if text.rfind("version-indicator>", max(0, m.start() - 60), m.start()) != -1:
                continue  # IPC/CPC scheme versions (2006.01) are not event dates
            try:
                d = datetime.datetime.strptime(m.group(g), "%Y%m%d").date()
            except ValueError:
                continue  # partial dates such as 18960200 stay as published
            dates.append(d)
            spans.append((m.start(g), m.end(g), (DATE, d)))
        if not dates:
            raise ValueError("no dates")
        m = re.search(r"\sdate-publ=\"(\d{8})\"", text)
        self.pub_date = (
            datetime.datetime.strptime(m.group(1), "%Y%m%d").date() if m else max(dates)
        )
        if not self.broken:
            langs = [(m.start(), m.group(1).lower()) for m in _LANG_RE.finditer(text)]
            lang_pos = [p for p, _ in langs]
            for m in _TEXT_RE.finditer(text):
                seg = m.group(1)
                body = seg.strip()
                if len(body) < 40 or not any(c.isalpha() for c in body):
                    continue
                i = bisect.bisect_right(lang_pos, m.start()) - 1
                key = (self.family, langs[i][1] if i >= 0 else "en")
                sentences = _SENTENCE_SPLIT.split(body)
                usable = [s for s in sentences if len(s) >= 25 and _entities_ok(s)]
                self.sentences.setdefault(key, []).extend(usable)
                lead = seg[: len(seg) - len(seg.lstrip())]
                trail = seg[len(seg.rstrip()) :]
                spans.append((m.start(1), m.end(1), (TEXT, (key, lead, sentences, trail))))
        spans.sort(key=lambda s: s[0])
        pos = 0
        for start, end, slot in spans:
            if start < pos:
                continue  # overlapping matches (cannot happen with these patterns) are skipped
            self.pieces.append(text[pos:start])
            self.pieces.append(slot)
            pos = end
        self.pieces.append(text[pos:])


def _entities_ok(sentence):
    """A sentence may move to another document only if it needs no DTD and is well-formed."""
    amp = sentence.count("&")
    return amp == len(_ENTITY_OK.findall(sentence)) and "]]>" not in sentence


def _well_formed(data: bytes) -> bool:
    parser = xml.parsers.expat.ParserCreate()
    # No external DTD is read; undefined named entities would be reported as skipped, not fetched.
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
        return True
    except xml.parsers.expat.ExpatError:
        return False


def _prolog(text):
    """Makes every document start with an XML declaration and, when known, a DOCTYPE."""
    m = _DECL_RE.match(text)
    if m:
        return text[m.end() :].lstrip("\r\n"), m.group(0).strip()
    return text.lstrip("\ufeff \t\r\n"), '<?xml version="1.0" encoding="UTF-8"?>'


def load_templates(sample_dirs, log):
    """Reads every supported document under `sample_dirs` (deduplicated by content)."""
    seen = set()
    raw = []  # (source, family, root, text, broken)
    for d in sample_dirs:
        if not os.path.isdir(d):
            continue
        for dirpath, _, files in sorted(os.walk(d)):
            for name in sorted(files):
                if not name.lower().endswith(".xml"):
                    continue
                path = os.path.join(dirpath, name)
                for offset, data in weekly.iter_documents(path):
                    digest = hashlib.sha256(data).hexdigest()
                    if digest in seen:
                        continue
                    seen.add(digest)
                    try:
                        text = data.decode("utf-8")
                    except UnicodeDecodeError:
                        continue
                    m = _ROOT_RE.search(text)
                    if not m:
                        continue
                    source = path if offset == 0 else f"{path}@{offset}"
                    raw.append((source, ROOT_FAMILY[m.group(1)], m.group(1), text,
                                not _well_formed(data)))
    # DOCTYPEs by (root, dtd-version), to give one to a real document that was re-serialised
    # without its own.
    doctypes = {}
    for _, _, root, text, _ in raw:
        dt = _DOCTYPE_RE.search(text[:4000])
        dv = _DTD_VERSION_RE.search(text[:4000])
        if dt and dv:
            doctypes.setdefault((root, dv.group(1)), dt.group(0))
    templates = []
    for source, family, root, text, broken in raw:
        body, decl = _prolog(text)
        if not _DOCTYPE_RE.search(body[:4000]):
            dv = _DTD_VERSION_RE.search(body[:4000])
            dt = doctypes.get((root, dv.group(1))) if dv else None
            if dt:
                body = dt + "\n" + body
        text = decl + "\n" + body.rstrip() + "\n"
        try:
            templates.append(Template(source, family, text, broken))
        except ValueError as e:
            log(f"make_corpus: skipping {source}: {e}")
    return templates


class Generator:
    def __init__(self, templates, seed, number_base, today):
        self.rng = random.Random(seed)
        self.by_family = {f: [t for t in templates if t.family == f and not t.broken]
                          for f in FAMILIES}
        self.broken = {f: [t for t in templates if t.family == f and t.broken] for f in FAMILIES}
        self.pool = {}
        for t in templates:
            for key, sentences in t.sentences.items():
                self.pool.setdefault(key, []).extend(sentences)
        for key in self.pool:
            # Sorted and deduplicated so the output does not depend on template order quirks.
            self.pool[key] = sorted(set(self.pool[key]))
        self.seq = number_base
        self.latest = today - datetime.timedelta(days=7)

    def document(self, family, broken):
        """Returns (publication id, template source, document text)."""
        rng = self.rng
        t = rng.choice(self.broken[family] if broken else self.by_family[family])
        self.seq += 1
        # Whole weeks, up to two years either way, never later than last week.
        weeks = rng.randint(-104, 104)
        while t.pub_date + datetime.timedelta(weeks=weeks) > self.latest and weeks > -520:
            weeks -= 13
        shift = datetime.timedelta(weeks=weeks)
        pub_date = t.pub_date + shift
        if family == "us-grant":
            number = f"{13000000 + self.seq:08d}"
        elif family == "us-application":
            number = f"{pub_date.year}{self.seq % 10000000:07d}"
        else:
            number = f"{4000000 + self.seq:07d}"
        office = "EP" if family == "ep" else "US"
        out = []
        append = out.append
        rand = rng.random
        randrange = rng.randrange
        for piece in t.pieces:
            if type(piece) is str:
                append(piece)
                continue
            slot, data = piece
            if slot == TEXT:
                key, lead, sentences, trail = data
                pool = self.pool.get(key)
                if pool and len(pool) > 1:
                    sentences = [s if rand() < 0.5 else pool[randrange(len(pool))]
                                 for s in sentences]
                append(lead)
                append(" ".join(sentences))
                append(trail)
            elif slot == DATE:
                append((data + shift).strftime("%Y%m%d"))
            elif slot == PUBNUM:
                append(number)
            elif slot == APPNUM:
                append(f"{data}{randrange(1000000):06d}")
            elif slot == USFILE:
                append(f"US{number}{t.kind if data else ''}-{pub_date:%Y%m%d}.XML")
        return f"{office}-{number}-{t.kind}", t.source, "".join(out)


def parse_mix(text):
    mix = {}
    for item in text.split(","):
        name, _, weight = item.partition(":")
        if name not in FAMILIES:
            raise SystemExit(f"make_corpus: unknown family {name!r} (known: {', '.join(FAMILIES)})")
        mix[name] = float(weight or 1)
    return mix


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output folder (created)")
    size = ap.add_mutually_exclusive_group(required=True)
    size.add_argument("--docs", type=int, help="number of documents")
    size.add_argument("--bytes", type=float, help="target total size in bytes (e.g. 1e9)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mix", default=DEFAULT_MIX,
                    help=f"families and weights (default {DEFAULT_MIX})")
    ap.add_argument("--docs-per-file", type=int, default=5000,
                    help="documents per weekly file; 0 = one file per family")
    ap.add_argument("--broken-per-mille", type=float, default=0.0,
                    help="share (per 1000 documents of a family that has such real documents) "
                         "of real documents that are not well-formed")
    ap.add_argument("--number-base", type=int, default=0,
                    help="offset of the generated publication numbers")
    ap.add_argument("--samples", action="append",
                    help="folder of real documents (repeatable; default: data/sample and "
                         "unpacked shared-data sample folders that exist)")
    ap.add_argument("--today", help="YYYY-MM-DD; no date is shifted beyond the week before")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    def log(msg):
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    mix = parse_mix(args.mix)
    templates = load_templates(args.samples or DEFAULT_SAMPLE_DIRS, log)
    counts = {f: sum(1 for t in templates if t.family == f and not t.broken) for f in FAMILIES}
    for f in mix:
        if counts[f] == 0:
            raise SystemExit(f"make_corpus: no real {f} documents found in the sample folders")
    today = (datetime.date.fromisoformat(args.today) if args.today else datetime.date.today())
    gen = Generator(templates, args.seed, args.number_base, today)
    os.makedirs(args.out, exist_ok=True)
    manifest_path = os.path.join(args.out, "manifest.json")
    if os.path.exists(manifest_path):
        os.remove(manifest_path)

    families = list(mix)
    weights = [mix[f] for f in families]
    per_file = args.docs_per_file
    files = {}  # family -> [handle, name, docs in file, index]
    file_list = []
    total_docs = 0
    total_bytes = 0
    per_family = {f: 0 for f in families}
    broken_docs = 0
    tsv = open(os.path.join(args.out, "documents.tsv"), "w", encoding="utf-8")
    tsv.write("file\toffset\tlength\tfamily\tid\ttemplate\tbroken\n")

    def open_file(family, index):
        name = f"{WEEKLY_PREFIX[family]}-s{args.seed}-{index:03d}.xml"
        handle = open(os.path.join(args.out, name), "wb")
        file_list.append({"file": name, "family": family, "documents": 0, "bytes": 0})
        return [handle, name, 0, index, len(file_list) - 1, 0]

    p_broken = args.broken_per_mille / 1000.0
    while True:
        if args.docs is not None and total_docs >= args.docs:
            break
        if args.bytes is not None and total_bytes >= args.bytes:
            break
        family = gen.rng.choices(families, weights)[0]
        broken = bool(gen.broken[family]) and gen.rng.random() < p_broken
        doc_id, source, text = gen.document(family, broken)
        data = text.encode("utf-8")
        state = files.get(family)
        if state is None or (per_file and state[2] >= per_file):
            if state:
                state[0].close()
            state = files[family] = open_file(family, 1 if state is None else state[3] + 1)
        handle, name = state[0], state[1]
        offset = state[5]
        handle.write(data)
        state[2] += 1
        state[5] += len(data)
        entry = file_list[state[4]]
        entry["documents"] += 1
        entry["bytes"] += len(data)
        shown = os.path.relpath(source, REPO_ROOT) if source.startswith(REPO_ROOT) else source
        tsv.write(f"{name}\t{offset}\t{len(data)}\t{family}\t{doc_id}\t{shown}\t{int(broken)}\n")
        total_docs += 1
        total_bytes += len(data)
        per_family[family] += 1
        broken_docs += broken
        if total_docs % 2000 == 0:
            log(f"make_corpus: {total_docs} documents, {total_bytes / 1e6:.0f} MB")
    for state in files.values():
        state[0].close()
    tsv.close()

    manifest = {
        "generator_version": GENERATOR_VERSION,
        "parameters": {
            "docs": args.docs, "bytes": args.bytes, "seed": args.seed, "mix": mix,
            "docs_per_file": per_file, "broken_per_mille": args.broken_per_mille,
            "number_base": args.number_base, "today": today.isoformat(),
        },
        "documents": total_docs,
        "bytes": total_bytes,
        "per_family": per_family,
        "broken_documents": broken_docs,
        "templates": {f: counts[f] for f in FAMILIES},
        "broken_templates": {f: len(gen.broken[f]) for f in FAMILIES},
        "sentence_pools": {f"{k[0]}/{k[1]}": len(v) for k, v in sorted(gen.pool.items())},
        "template_sources": sorted({t.source for t in templates}),
        "files": file_list,
        "note": NOTE,
    }
    with open(manifest_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
    os.replace(manifest_path + ".tmp", manifest_path)
    log(f"make_corpus: wrote {total_docs} documents, {total_bytes / 1e6:.1f} MB in "
        f"{len(file_list)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
