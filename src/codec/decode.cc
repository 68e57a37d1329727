// Decode(): size and container checks, format sniffing, the XML safety pass, pugixml parsing,
// format detection and dispatch to the per-format mappers (readers.h) or to FromJson.
#include <exception>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "codec/codec.h"
#include "codec/readers.h"
#include "codec/splitter_internal.h"
#include "codec/xml_safety.h"
#include "common/hash.h"

namespace ipdx::codec {
namespace {

using model::Finding;
using model::Severity;

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kSt96PatentNs = "http://www.wipo.int/standards/XMLSchema/ST96/Patent";
constexpr std::string_view kSt96Prefix = "http://www.wipo.int/standards/XMLSchema/ST96/";

void Reject(Decoded* out, std::string rule, std::string message) {
  out->findings.push_back(Finding{std::move(rule), Severity::kError, "", std::move(message)});
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view LocalOf(std::string_view qname) {
  size_t colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// The namespace URI bound to the root element's prefix (declared on the root itself; the root
// has no ancestors).
std::string RootNamespace(const pugi::xml_node& root) {
  std::string_view name = root.name();
  size_t colon = name.find(':');
  std::string attr =
      colon == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(name.substr(0, colon));
  return root.attribute(attr.c_str()).value();
}

// Text between <tag> and </tag> of the first occurrence after `from`, trimmed.
std::string_view ElementText(std::string_view s, std::string_view tag, size_t from, size_t limit) {
  std::string open = "<" + std::string(tag) + ">";
  size_t b = s.find(open, from);
  if (b == std::string_view::npos || b > limit) return {};
  b += open.size();
  size_t e = s.find('<', b);
  if (e == std::string_view::npos) return {};
  std::string_view v = s.substr(b, e - b);
  while (!v.empty() && IsSpace(v.front())) v.remove_prefix(1);
  while (!v.empty() && IsSpace(v.back())) v.remove_suffix(1);
  return v.size() > 40 ? std::string_view() : v;
}

// Best-effort publication id of a document that could not be mapped, for reject reports:
// the first publication-reference document-id, or EP/DOCDB root attributes.
std::string GuessId(std::string_view bytes) {
  std::string_view head = bytes.substr(0, 256 << 10);
  size_t ref = head.find("publication-reference");
  if (ref != std::string_view::npos) {
    size_t limit = ref + 2000;
    std::string_view country = ElementText(head, "country", ref, limit);
    std::string_view number = ElementText(head, "doc-number", ref, limit);
    std::string_view kind = ElementText(head, "kind", ref, limit);
    if (!number.empty()) {
      return std::string(country) + "-" + std::string(number) + "-" + std::string(kind);
    }
  }
  return "";
}

std::string DescribeUnsupported(std::string_view root_qname, const std::string& ns,
                                std::string_view doctype, const pugi::xml_node& root) {
  std::string_view local = LocalOf(root_qname);
  if (local == "PATDOC") {
    return "USPTO Red Book ST.32 grant (PATDOC, ST32-US-Grant v2.x, 2001-2004) is not supported; "
           "ipdx reads the USPTO ICE XML v4.0 and later";
  }
  if (local == "patent-application-publication") {
    return "USPTO pre-grant publication PAP v1.x (patent-application-publication, 2001-2004) is "
           "not supported; ipdx reads us-patent-application v4.0 and later";
  }
  if (ns.starts_with(kSt96Prefix)) {
    return "ST.96 document <" + std::string(root_qname) + "> in namespace " + ns +
           " is not supported; ipdx reads ST.96 pat:PatentPublication only";
  }
  if (local == "class-scheme") return "CPC scheme file (class-scheme) is not a patent document";
  if (local == "CPCMasterClassificationFile") {
    return "USPTO CPC master classification file is not a patent document";
  }
  if (local == "world-patent-data") {
    pugi::xml_node first = root.first_child();
    while (first && first.type() != pugi::node_element) first = first.next_sibling();
    return "EPO OPS response <" + std::string(first ? first.name() : "") +
           "> holds no exchange-document; ipdx reads OPS bibliographic responses only";
  }
  if (local == "exchange-documents") {
    return "DOCDB bulk container given as one document; open the file with DocumentSplitter";
  }
  if (local == "Application-body") {
    return "ST.36 package table of contents (Application-body) is not a patent document";
  }
  std::string msg = "unrecognised XML document: root element <" + std::string(root_qname) + ">";
  if (!ns.empty()) msg += " in namespace " + ns;
  if (!doctype.empty()) msg += ", " + std::string(doctype.substr(0, 120));
  return msg;
}

using Mapper = void (*)(const internal::MapInput&, model::Record*, std::vector<model::Finding>*);

// Chooses the mapper for a parsed document; nullptr when unsupported.
Mapper ChooseMapper(std::string_view root_qname, const std::string& ns, std::string* family) {
  std::string_view local = LocalOf(root_qname);
  if (local == "us-patent-grant" || local == "us-patent-application") {
    *family = "uspto";
    return internal::MapUsptoGrantOrApplication;
  }
  if (local == "ep-patent-document") {
    *family = "ep-patent-document";
    return internal::MapEpPatentDocument;
  }
  if (local == "exchange-document") {
    *family = "docdb";
    return internal::MapDocdbExchangeDocument;
  }
  if (local == "PatentPublication" && ns == kSt96PatentNs) {
    *family = "st96";
    return internal::MapSt96PatentPublication;
  }
  if (local == "patent-document" || local == "cn-patent-document" ||
      local == "jp-official-gazette" || local == "PatentDocumentAndRelated") {
    *family = "st36";
    return internal::MapSt36PatentDocument;
  }
  return nullptr;
}

bool LooksLikeGreenbook(std::string_view s) {
  return s.starts_with("PATN") && s.size() > 5 && (s[4] == '\n' || s[4] == '\r') &&
         s.find("\nWKU ") != std::string_view::npos;
}

void DecodeXml(const RawDocument& doc, Decoded* out) {
  internal::PreparedXml xml = internal::PrepareXml(doc.bytes);
  std::string_view local = LocalOf(xml.root_name);
  // Formats ipdx does not read are named even when their entities or markup would fail the
  // safety pass; security findings (external entities, internal entity expansion, depth) win.
  bool security = false;
  for (const Finding& f : xml.findings) {
    if (f.rule == "XML-XXE" || f.rule == "XML-DEPTH" ||
        (f.rule == "XML-ENTITY" && f.message.find("internal subset") != std::string::npos)) {
      security = true;
    }
  }
  if (!security && (local == "PATDOC" || local == "patent-application-publication")) {
    out->format = local == "PATDOC" ? "uspto-redbook-st32" : "uspto-pap-v1";
    Reject(out, "FMT-UNSUPPORTED", DescribeUnsupported(xml.root_name, "", "", pugi::xml_node()));
    return;
  }
  if (!xml.findings.empty()) {
    out->findings = std::move(xml.findings);
    return;
  }
  pugi::xml_document parsed;
  pugi::xml_parse_result result;
  try {
    // In place: xml.text is ours and outlives `parsed`, so pugixml need not copy it.
    result = parsed.load_buffer_inplace(xml.text.data(), xml.text.size(), pugi::parse_default,
                                        pugi::encoding_utf8);
  } catch (const std::exception& e) {
    Reject(out, "XML-WELLFORMED", std::string("XML parser failed: ") + e.what());
    return;
  }
  if (!result) {
    size_t at = xml.InputOffset(static_cast<size_t>(result.offset));
    Reject(out, "XML-WELLFORMED",
           std::string("not well-formed XML: ") + result.description() + " at " +
               internal::DescribePosition(doc.bytes, at));
    return;
  }
  pugi::xml_node root = parsed.document_element();
  if (!root) {
    Reject(out, "XML-WELLFORMED", "no root element");
    return;
  }
  std::string ns = RootNamespace(root);
  std::string family;
  Mapper mapper = ChooseMapper(root.name(), ns, &family);
  if (mapper == nullptr) {
    out->format = std::string(LocalOf(root.name()));
    Reject(out, "FMT-UNSUPPORTED", DescribeUnsupported(root.name(), ns, xml.doctype, root));
    return;
  }
  model::Record record;
  internal::MapInput in;
  in.doc = &parsed;
  in.doctype = xml.doctype;
  try {
    mapper(in, &record, &out->findings);
  } catch (const std::exception& e) {
    out->format = family;
    Reject(out, "MAP-INTERNAL", "the " + family + " reader failed: " + e.what());
    return;
  }
  out->format = record.source.format.empty() ? family : record.source.format;
  record.source.format = out->format;
  out->record = std::move(record);
}

void DecodeJson(const RawDocument& doc, Decoded* out) {
  out->format = "ipdx-jsonl";
  Result<model::Record> r = FromJson(doc.bytes);
  if (!r.ok()) {
    Reject(out, "MAP-JSON", "not an ipdx record: " + r.status().message());
    return;
  }
  model::Record record = std::move(r).value();
  // The record's own source.format names the office format it was first read from; keep it.
  if (record.source.format.empty()) record.source.format = out->format;
  out->findings.insert(out->findings.end(), record.findings.begin(), record.findings.end());
  record.findings.clear();
  out->record = std::move(record);
}

}  // namespace

Decoded Decode(const RawDocument& doc) {
  Decoded out;
  if (doc.hint.starts_with(internal::kOversizeHintPrefix)) {
    out.id_hint = GuessId(doc.bytes);
    Reject(&out, "XML-SIZE",
           "document of " + doc.hint.substr(internal::kOversizeHintPrefix.size()) +
               " bytes exceeds the limit of " + std::to_string(kMaxDocumentBytes) +
               " bytes; it was skipped without being read whole");
    return out;
  }
  if (doc.bytes.size() > kMaxDocumentBytes) {
    out.id_hint = GuessId(doc.bytes);
    Reject(&out, "XML-SIZE",
           "document of " + std::to_string(doc.bytes.size()) + " bytes exceeds the limit of " +
               std::to_string(kMaxDocumentBytes) + " bytes");
    return out;
  }
  std::string_view body = doc.bytes;
  if (body.starts_with(kBom)) body.remove_prefix(kBom.size());
  while (!body.empty() && IsSpace(body.front())) body.remove_prefix(1);

  try {
    if (body.empty()) {
      Reject(&out, "FMT-UNKNOWN",
             doc.bytes.empty()
                 ? "empty input (0 bytes)"
                 : "input holds only white space (" + std::to_string(doc.bytes.size()) + " bytes)");
    } else if (doc.hint == "jsonl" || body.front() == '{') {
      DecodeJson(doc, &out);
    } else if (body.front() == '<') {
      DecodeXml(doc, &out);
    } else if (LooksLikeGreenbook(body)) {
      out.format = "uspto-aps-greenbook";
      Reject(&out, "FMT-UNSUPPORTED",
             "USPTO APS \"greenbook\" text (PATN/WKU records, grants 1976-2001) is not supported");
    } else if (body.starts_with("\xFF\xFE") || body.starts_with("\xFE\xFF")) {
      Reject(&out, "FMT-UNSUPPORTED", "UTF-16 encoded input; ipdx reads UTF-8 XML and JSON");
    } else {
      std::string why;
      size_t bad = internal::FindInvalidXmlChar(body.substr(0, 4096), &why);
      std::string hex;
      for (unsigned char c : body.substr(0, 8)) {
        hex += "0123456789abcdef"[c >> 4];
        hex += "0123456789abcdef"[c & 15];
        hex += ' ';
      }
      Reject(&out, "FMT-UNKNOWN",
             std::string(bad != std::string_view::npos ? "binary data" : "text") +
                 " that is neither XML nor JSON (first bytes " + hex.substr(0, hex.size() - 1) +
                 ")");
    }
  } catch (const std::exception& e) {
    Reject(&out, "MAP-INTERNAL", std::string("decoder failed: ") + e.what());
  }

  // Hashed once here for both outcomes: the record's provenance and the reject's identity.
  out.source_sha256 = Sha256Hex(doc.bytes);
  if (out.record) {
    out.record->source.file = doc.file;
    out.record->source.offset = doc.offset;
    out.record->source.sha256 = out.source_sha256;
    out.id_hint = out.record->Id();
  } else {
    out.id_hint = GuessId(doc.bytes);
  }
  return out;
}

}  // namespace ipdx::codec
