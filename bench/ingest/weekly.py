"""Splitting of concatenated ("weekly") XML files into documents, shared by the benchmark scripts.

USPTO weekly files (ipg/ipa) are many complete XML documents glued together, each with its own
XML declaration and DOCTYPE. A document starts at `<?xml` followed by white space when that
declaration starts a line (only spaces or tabs before it on its line) or the file (after an
optional UTF-8 BOM). This is the rule of ipdx's DocumentSplitter (IsDocumentBoundary in
src/codec/splitter_scan.h), and bench/ingest/parse_only.cc applies it too, so every contender of the
benchmark sees exactly the same document boundaries and bytes.

Standard library only; runs under /usr/bin/python3.
"""

import re

_DECL = re.compile(rb"<\?xml[ \t\r\n]")
_BOM = b"\xef\xbb\xbf"
_BLANK = b" \t\r\n"
CHUNK_BYTES = 4 << 20


def _starts_document(buf: bytes, pos: int, doc_start: int) -> bool:
    """True when the declaration at buf[pos] begins a new document (see module comment)."""
    i = pos - 1
    while i >= doc_start and buf[i] in b" \t":
        i -= 1
    return i < doc_start or buf[i] in b"\r\n"


def iter_documents(path: str, chunk_bytes: int = CHUNK_BYTES):
    """Yields (offset, bytes) for each document of the file at `path`.

    `offset` is the byte offset of the document's first byte (its `<?xml`, or the first
    non-blank byte when a document has no declaration) in the file. Memory use is bounded by the
    largest document plus one chunk, whatever the file size.
    """
    with open(path, "rb") as f:
        buf = b""
        base = 0  # file offset of buf[0]
        doc_start = 0  # start of the current document in buf
        scan_from = 0
        first = True
        eof = False
        while True:
            if not eof:
                data = f.read(chunk_bytes)
                if data:
                    buf += data
                else:
                    eof = True
            if first and len(buf) >= 3:
                if buf.startswith(_BOM):
                    doc_start = scan_from = 3
                first = False
            while True:
                m = _DECL.search(buf, scan_from)
                if not m:
                    break
                pos = m.start()
                scan_from = pos + 5
                if pos > doc_start and _starts_document(buf, pos, doc_start):
                    doc = buf[doc_start:pos]
                    lead = len(doc) - len(doc.lstrip(_BLANK))
                    if len(doc) > lead:
                        yield base + doc_start + lead, doc[lead:]
                    doc_start = pos
            # A match needs 6 bytes, so a declaration cut by the chunk end starts in the last 5.
            if not eof:
                scan_from = max(scan_from, len(buf) - 5)
            if eof:
                doc = buf[doc_start:]
                lead = len(doc) - len(doc.lstrip(_BLANK))
                if len(doc) > lead:
                    yield base + doc_start + lead, doc[lead:]
                return
            # Drop what is already yielded so memory stays bounded by one document.
            if doc_start > 0:
                buf = buf[doc_start:]
                base += doc_start
                scan_from -= doc_start
                doc_start = 0
