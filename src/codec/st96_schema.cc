// libxml2 adapter for ST.96 XSD validation, and the V6_0 code lists (see st96_schema.h).
#include "codec/st96_schema.h"

#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace ipdx::codec {
namespace {

// ---- code lists ---------------------------------------------------------------------------
// Extracted verbatim from the xsd:enumeration values of data/schema/st96-v6_0/
// PatentPublication_V6_0_Common.xsd and sorted; st96_schema_test.cc checks them against the XSD.
// ISOCountryCodeType: 249 codes
constexpr std::string_view kISOCountryCodeType[] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};
// ISOFormerCountryCodeType: 11 codes
constexpr std::string_view kISOFormerCountryCodeType[] = {
    "AN", "BU", "CS", "DD", "NT", "RH", "SU", "TP", "YD", "YU", "ZR",
};
// ISOFormerLanguageCodeType: 2 codes
constexpr std::string_view kISOFormerLanguageCodeType[] = {
    "jw",
    "sh",
};
// ISOLanguageCodeType: 185 codes
constexpr std::string_view kISOLanguageCodeType[] = {
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mo", "mr", "ms", "mt", "my", "na",
    "nb", "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa",
    "pi", "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si",
    "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th",
    "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi",
    "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
};
// WIPOFormerST3CodeType: 9 codes
constexpr std::string_view kWIPOFormerST3CodeType[] = {
    "AN", "CS", "DD", "DL", "DT", "RH", "SU", "YD", "YU",
};
// WIPOST3CodeType: 233 codes
constexpr std::string_view kWIPOST3CodeType[] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AP", "AR", "AT", "AU", "AW", "AZ", "BA", "BB",
    "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW",
    "BX", "BY", "BZ", "CA", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU",
    "CV", "CW", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EA", "EC", "EE", "EG", "EH", "EM",
    "EP", "ER", "ES", "ET", "EU", "FI", "FJ", "FK", "FO", "FR", "GA", "GB", "GC", "GD", "GE", "GG",
    "GH", "GI", "GL", "GM", "GN", "GQ", "GR", "GS", "GT", "GW", "GY", "HK", "HN", "HR", "HT", "HU",
    "IB", "ID", "IE", "IL", "IM", "IN", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG",
    "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS",
    "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MG", "MK", "ML", "MM", "MN", "MO", "MP", "MR",
    "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NE", "NG", "NI", "NL", "NO", "NP", "NR",
    "NZ", "OA", "OM", "PA", "PE", "PG", "PH", "PK", "PL", "PT", "PW", "PY", "QA", "QZ", "RO", "RS",
    "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SK", "SL", "SM", "SN", "SO", "SR",
    "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TG", "TH", "TJ", "TL", "TM", "TN", "TO", "TR",
    "TT", "TV", "TW", "TZ", "UA", "UG", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VN", "VU", "WO",
    "WS", "XN", "XU", "XV", "XX", "YE", "ZA", "ZM", "ZW",
};

bool Contains(std::span<const std::string_view> sorted, std::string_view code) {
  return std::binary_search(sorted.begin(), sorted.end(), code);
}

// ---- libxml2 plumbing -----------------------------------------------------------------------

constexpr size_t kMaxReportedErrors = 50;

// Collects libxml2 structured errors for one operation.
struct ErrorSink {
  std::vector<std::string> messages;
  size_t dropped = 0;
};

void CollectError(void* ctx, const xmlError* error) {
  auto* sink = static_cast<ErrorSink*>(ctx);
  if (sink == nullptr || error == nullptr) return;
  if (sink->messages.size() >= kMaxReportedErrors) {
    ++sink->dropped;
    return;
  }
  std::string message = error->message != nullptr ? error->message : "unknown libxml2 error";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::string line = error->line > 0 ? "line " + std::to_string(error->line) + ": " : "";
  if (error->level == XML_ERR_WARNING) line += "warning: ";
  sink->messages.push_back(line + message);
}

// libxml2 2.9 declares the handler with a non-const xmlErrorPtr.
void CollectStructuredError(void* ctx, xmlErrorPtr error) { CollectError(ctx, error); }

// Generic (unstructured) messages are dropped: every error libxml2 reports also goes through the
// structured handler, and the generic one would print to stderr.
void IgnoreGenericError(void* /*ctx*/, const char* /*msg*/, ...) {}

// Routes this thread's libxml2 error reporting into `sink` for the lifetime of the object. The
// handlers are thread-local in libxml2 (built with thread support, as Debian's is), so
// concurrent validations on other threads are not affected.
class ScopedErrorCapture {
 public:
  explicit ScopedErrorCapture(ErrorSink* sink) {
    xmlSetStructuredErrorFunc(sink, CollectStructuredError);
    xmlSetGenericErrorFunc(nullptr, IgnoreGenericError);
  }
  ~ScopedErrorCapture() {
    xmlSetStructuredErrorFunc(nullptr, nullptr);
    xmlSetGenericErrorFunc(nullptr, nullptr);
  }
  ScopedErrorCapture(const ScopedErrorCapture&) = delete;
  ScopedErrorCapture& operator=(const ScopedErrorCapture&) = delete;
};

std::string JoinMessages(const ErrorSink& sink) {
  std::string out;
  for (const auto& m : sink.messages) {
    if (!out.empty()) out += "\n";
    out += m;
  }
  if (sink.dropped > 0) out += "\n(" + std::to_string(sink.dropped) + " more problems)";
  return out;
}

// Once per process: initialise libxml2 (required before use from several threads) and make sure
// no schema import or document can ever reach the network.
void InitLibxml2Once() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
  });
}

struct SchemaDeleter {
  void operator()(xmlSchema* s) const { xmlSchemaFree(s); }
};
struct SchemaParserDeleter {
  void operator()(xmlSchemaParserCtxt* c) const { xmlSchemaFreeParserCtxt(c); }
};
struct ValidCtxtDeleter {
  void operator()(xmlSchemaValidCtxt* c) const { xmlSchemaFreeValidCtxt(c); }
};
struct DocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

}  // namespace

struct St96Schema::Impl {
  std::unique_ptr<xmlSchema, SchemaDeleter> schema;
};

St96Schema::St96Schema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
St96Schema::~St96Schema() = default;

Result<std::unique_ptr<St96Schema>> St96Schema::Load(const std::string& schema_dir) {
  InitLibxml2Once();
  const std::string path = schema_dir + "/PatentPublication_V6_0.xsd";
  if (FILE* f = std::fopen(path.c_str(), "rb"); f != nullptr) {
    std::fclose(f);
  } else {
    return Status::IOError("cannot open ST.96 schema " + path);
  }
  ErrorSink sink;
  ScopedErrorCapture capture(&sink);
  std::unique_ptr<xmlSchemaParserCtxt, SchemaParserDeleter> parser(
      xmlSchemaNewParserCtxt(path.c_str()));
  if (parser == nullptr) return Status::Internal("libxml2: cannot create schema parser");
  xmlSchemaSetParserStructuredErrors(parser.get(), CollectStructuredError, &sink);
  std::unique_ptr<xmlSchema, SchemaDeleter> schema(xmlSchemaParse(parser.get()));
  if (schema == nullptr) {
    return Status::Internal("cannot compile ST.96 schema " + path + ":\n" + JoinMessages(sink));
  }
  auto impl = std::make_unique<Impl>();
  impl->schema = std::move(schema);
  return std::unique_ptr<St96Schema>(new St96Schema(std::move(impl)));
}

Status St96Schema::Validate(std::string_view xml) const {
  if (xml.size() > static_cast<size_t>(INT_MAX)) {
    return Status::InvalidArgument("ST.96 document too large to validate (" +
                                   std::to_string(xml.size()) + " bytes)");
  }
  ErrorSink sink;
  ScopedErrorCapture capture(&sink);
  // No XML_PARSE_NOENT (entities stay unexpanded), no XML_PARSE_DTDLOAD/DTDATTR/DTDVALID (no
  // external DTD is read), XML_PARSE_NONET (no network even if a loader would allow it).
  constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOCDATA;
  std::unique_ptr<xmlDoc, DocDeleter> doc(xmlReadMemory(
      xml.data(), static_cast<int>(xml.size()), "st96.xml", /*encoding=*/nullptr, kOptions));
  if (doc == nullptr) {
    return Status::InvalidArgument("ST.96 document is not well-formed XML:\n" + JoinMessages(sink));
  }
  std::unique_ptr<xmlSchemaValidCtxt, ValidCtxtDeleter> ctxt(
      xmlSchemaNewValidCtxt(impl_->schema.get()));
  if (ctxt == nullptr) return Status::Internal("libxml2: cannot create validation context");
  xmlSchemaSetValidStructuredErrors(ctxt.get(), CollectStructuredError, &sink);
  const int rc = xmlSchemaValidateDoc(ctxt.get(), doc.get());
  if (rc == 0) return Status::Ok();
  if (rc < 0) {
    return Status::Internal("libxml2 internal error while validating ST.96 document:\n" +
                            JoinMessages(sink));
  }
  return Status::InvalidArgument("ST.96 document is not valid against the V6_0 schema:\n" +
                                 JoinMessages(sink));
}

Status ValidateSt96(std::string_view xml, const std::string& schema_dir) {
  IPDX_ASSIGN_OR_RETURN(auto schema, St96Schema::Load(schema_dir));
  return schema->Validate(xml);
}

bool IsSt96OfficeCode(std::string_view code) {
  return Contains(kWIPOST3CodeType, code) || Contains(kWIPOFormerST3CodeType, code);
}

bool IsSt96CountryCode(std::string_view code) {
  return Contains(kISOCountryCodeType, code) || Contains(kISOFormerCountryCodeType, code);
}

bool IsSt96LanguageCode(std::string_view code) {
  return Contains(kISOLanguageCodeType, code) || Contains(kISOFormerLanguageCodeType, code);
}

}  // namespace ipdx::codec
