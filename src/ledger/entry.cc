// Log entry encoding (docs/formats/ledger.md §1) and the rights-event / ST.27 table (§1.1).
#include <array>
#include <string>

#include "ledger/internal.h"
#include "ledger/ledger.h"

namespace ipdx::ledger {
namespace {

// ST.27 categories and default detailed event codes as in ST.96 V6_0 pat:KeyEventCodeType and
// pat:DetailedEventCodeType.
constexpr std::array<RightsEventInfo, 12> kRightsEvents = {{
    {RightsEventType::kFiling, "filing", 'A', "A12", "Application filed"},
    {RightsEventType::kPublication, "publication", 'Q', "Q12", "Document published"},
    {RightsEventType::kGrant, "grant", 'F', "F11", "IP right granted"},
    {RightsEventType::kAssignment, "assignment", 'R', "R14", "Party data change recorded"},
    {RightsEventType::kLicence, "licence", 'S', "S11", "Licensing information recorded"},
    {RightsEventType::kSecurityInterest, "security-interest", 'S', "S20",
     "Licensing information recorded"},
    {RightsEventType::kRenewal, "renewal", 'U', "U11", "Fee paid"},
    {RightsEventType::kLapse, "lapse", 'H', "H13", "IP right ceased"},
    {RightsEventType::kRestoration, "restoration", 'K', "K13", "IP right revived"},
    {RightsEventType::kOpposition, "opposition", 'L', "L11", "IP right review requested"},
    {RightsEventType::kCorrection, "correction", 'P', "P21", "Document modified"},
    {RightsEventType::kClassificationConfirmed, "classification-confirmed", 'P', "P22",
     "Document modified"},
}};

constexpr size_t kMaxParties = 64;
constexpr size_t kMaxDetailsBytes = 1024;
constexpr size_t kMaxRecordIdBytes = 64;

// UTF-8 without C0 controls or DEL: entries are shown to people and compared byte for byte.
bool IsCleanText(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<uint8_t>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return internal::IsValidUtf8(s);
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// YYYY-MM-DD with a real calendar date.
bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!IsDigits(s.substr(0, 4)) || !IsDigits(s.substr(5, 2)) || !IsDigits(s.substr(8, 2))) {
    return false;
  }
  const int y = std::stoi(std::string(s.substr(0, 4)));
  const int m = std::stoi(std::string(s.substr(5, 2)));
  const int d = std::stoi(std::string(s.substr(8, 2)));
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int max = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  return d <= max;
}

// YYYY-MM-DDThh:mm:ssZ.
bool IsTimestamp(std::string_view s) {
  if (s.size() != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') return false;
  if (!IsDate(s.substr(0, 10))) return false;
  for (size_t p : {11, 14, 17}) {
    if (!IsDigits(s.substr(p, 2))) return false;
  }
  return std::stoi(std::string(s.substr(11, 2))) < 24 &&
         std::stoi(std::string(s.substr(14, 2))) < 60 &&
         std::stoi(std::string(s.substr(17, 2))) < 61;  // leap second
}

bool IsOffice(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

Status CheckEntry(const Entry& e) {
  auto bad = [](std::string field, std::string why) {
    return Status::InvalidArgument("log entry field " + field + ": " + why);
  };
  if (e.type != EntryType::kRecordVersion && e.type != EntryType::kRightsEvent) {
    return bad("entry_type", "unknown value");
  }
  if (!IsOffice(e.publisher)) return bad("publisher", "not a 2-letter ST.3 code: " + e.publisher);
  if (e.record_id.empty() || e.record_id.size() > kMaxRecordIdBytes || !IsCleanText(e.record_id)) {
    return bad("record_id", "must be 1..64 bytes of printable UTF-8");
  }
  if (e.type == EntryType::kRecordVersion && e.record_version == 0) {
    return bad("record_version", "a record version entry needs version >= 1");
  }
  if (!IsTimestamp(e.recorded_at)) {
    return bad("recorded_at", "not YYYY-MM-DDThh:mm:ssZ: " + e.recorded_at);
  }
  if ((e.type == EntryType::kRightsEvent) != e.event.has_value()) {
    return bad("event", "event fields are required for rights events and only for them");
  }
  if (!e.event) return Status::Ok();
  const RightsEvent& ev = *e.event;
  const auto t = static_cast<uint8_t>(ev.type);
  if (t < 1 || t > kRightsEvents.size()) return bad("event_type", "unknown value");
  const RightsEventInfo& info = kRightsEvents[t - 1];
  const std::string code = ev.st27_code.empty() ? std::string(info.default_code) : ev.st27_code;
  if (code.size() != 3 || code[0] != info.st27_category || !IsDigits(code.substr(1))) {
    return bad("st27_code", "'" + code + "' is not an ST.27 detailed event code of category " +
                                std::string(1, info.st27_category) + " (event " +
                                std::string(info.name) + ")");
  }
  if (!IsDate(ev.effective_date)) {
    return bad("effective_date", "not a YYYY-MM-DD calendar date: " + ev.effective_date);
  }
  if (ev.parties.size() > kMaxParties) return bad("party", "more than 64 parties");
  for (const std::string& p : ev.parties) {
    if (p.empty() || p.size() > 0xFFFF || !IsCleanText(p)) {
      return bad("party", "empty, too long or not printable UTF-8");
    }
  }
  if (ev.details.size() > kMaxDetailsBytes || !IsCleanText(ev.details)) {
    return bad("details", "more than 1,024 bytes or not printable UTF-8");
  }
  return Status::Ok();
}

void PutStr(std::string& out, std::string_view s) {
  internal::PutU16(out, static_cast<uint16_t>(s.size()));
  out.append(s);
}

bool GetStr(internal::ByteReader& r, std::string& s) {
  uint16_t len = 0;
  std::string_view v;
  if (!r.U16(len) || !r.Bytes(len, v)) return false;
  s.assign(v);
  return true;
}

}  // namespace

std::span<const RightsEventInfo> RightsEventTable() { return kRightsEvents; }

Result<RightsEventInfo> RightsEventByName(std::string_view name) {
  for (const RightsEventInfo& info : kRightsEvents) {
    if (info.name == name) return info;
  }
  return Status::InvalidArgument("unknown rights event type '" + std::string(name) + "'");
}

const RightsEventInfo& RightsEventInfoFor(RightsEventType type) {
  const auto t = static_cast<size_t>(type);
  return kRightsEvents[(t >= 1 && t <= kRightsEvents.size() ? t : 1) - 1];
}

Result<std::string> EncodeEntry(const Entry& e) {
  IPDX_RETURN_IF_ERROR(CheckEntry(e));
  std::string out;
  internal::PutU8(out, kEntryFormatVersion);
  internal::PutU8(out, static_cast<uint8_t>(e.type));
  PutStr(out, e.publisher);
  PutStr(out, e.record_id);
  internal::PutU32(out, e.record_version);
  out.append(internal::AsChars(e.content_hash));
  PutStr(out, e.recorded_at);
  if (e.event) {
    const RightsEvent& ev = *e.event;
    internal::PutU8(out, static_cast<uint8_t>(ev.type));
    PutStr(out, ev.st27_code.empty() ? RightsEventInfoFor(ev.type).default_code : ev.st27_code);
    PutStr(out, ev.effective_date);
    internal::PutU16(out, static_cast<uint16_t>(ev.parties.size()));
    for (const std::string& p : ev.parties) PutStr(out, p);
    PutStr(out, ev.details);
    internal::PutU64(out, ev.supersedes);
  }
  if (out.size() > kMaxEntryBytes) {
    return Status::InvalidArgument("log entry of " + std::to_string(out.size()) +
                                   " bytes exceeds the 65,535-byte limit");
  }
  return out;
}

Result<Entry> DecodeEntry(std::string_view bytes) {
  auto truncated = [] { return Status::InvalidArgument("log entry truncated"); };
  if (bytes.size() > kMaxEntryBytes) return Status::InvalidArgument("log entry too large");
  internal::ByteReader r(bytes);
  uint8_t version = 0;
  uint8_t type = 0;
  if (!r.U8(version) || !r.U8(type)) return truncated();
  if (version != kEntryFormatVersion) {
    return Status::InvalidArgument("log entry format version " + std::to_string(version) +
                                   " is not supported (expected 1)");
  }
  if (type != 1 && type != 2) {
    return Status::InvalidArgument("log entry type " + std::to_string(type) + " is unknown");
  }
  Entry e;
  e.type = static_cast<EntryType>(type);
  std::string_view hash;
  if (!GetStr(r, e.publisher) || !GetStr(r, e.record_id) || !r.U32(e.record_version) ||
      !r.Bytes(32, hash) || !GetStr(r, e.recorded_at)) {
    return truncated();
  }
  e.content_hash = internal::HashFromBytes(hash);
  if (e.type == EntryType::kRightsEvent) {
    RightsEvent ev;
    uint8_t et = 0;
    uint16_t parties = 0;
    if (!r.U8(et) || !GetStr(r, ev.st27_code) || !GetStr(r, ev.effective_date) || !r.U16(parties)) {
      return truncated();
    }
    if (et < 1 || et > kRightsEvents.size()) {
      return Status::InvalidArgument("log entry event type " + std::to_string(et) + " is unknown");
    }
    ev.type = static_cast<RightsEventType>(et);
    for (uint16_t i = 0; i < parties; ++i) {
      std::string p;
      if (!GetStr(r, p)) return truncated();
      ev.parties.push_back(std::move(p));
    }
    if (!GetStr(r, ev.details) || !r.U64(ev.supersedes)) return truncated();
    e.event = std::move(ev);
  }
  if (!r.AtEnd()) {
    return Status::InvalidArgument("log entry has " + std::to_string(bytes.size() - r.position()) +
                                   " trailing bytes");
  }
  IPDX_RETURN_IF_ERROR(CheckEntry(e));
  return e;
}

}  // namespace ipdx::ledger
