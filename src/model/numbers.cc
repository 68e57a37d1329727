// Publication and application numbers (ST.6 publication numbering, ST.13 application numbering
// and office practice). Offices mostly do not follow the ST.13 prototype, so normalisation is per
// office; the forms handled here are the ones seen in the real USPTO, EPO, DOCDB, CNIPA and JPO
// files (pitfall 7 in notes/standards.md). The original string is the reader's to keep.
#include <string>
#include <string_view>

#include "model/model.h"
#include "model/text_util.h"

namespace ipdx::model {

namespace {

using internal::AllDigits;
using internal::IsDigit;
using internal::IsUpper;

std::string StripLeadingZeros(std::string_view digits) {
  size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

// Removes every character in `drop` and every space (ASCII or NO-BREAK SPACE).
std::string Remove(std::string_view s, std::string_view drop) {
  const std::string spaced = internal::SpacesToAscii(s);
  std::string out;
  out.reserve(spaced.size());
  for (char c : spaced) {
    if (c != ' ' && drop.find(c) == std::string_view::npos) out.push_back(c);
  }
  return out;
}

// "EP1000000" with office EP -> "1000000". Only when what follows the office code is a digit or,
// for the US, a series prefix and a digit ("USD0967598", "USRE049257"), so stripping is
// idempotent and never eats letters that belong to the number.
std::string_view StripOfficePrefix(std::string_view office, std::string_view s) {
  if (office.size() != 2 || s.size() <= 2 || !s.starts_with(office)) return s;
  const std::string_view rest = s.substr(2);
  if (IsDigit(rest[0])) return rest;
  if (office == "US") {
    for (std::string_view prefix : {"D", "PP", "RE", "H", "T", "X"}) {
      if (rest.size() > prefix.size() && rest.starts_with(prefix) && IsDigit(rest[prefix.size()])) {
        return rest;
      }
    }
  }
  return s;
}

// "YYYY/serial" with the serial zero-padded on the left to `width` digits, separators dropped:
// WO "2004/12345" -> "2004012345" (width 6), US "2021/049351" -> "20210049351" (width 7).
// Returns the input unchanged when it is not of that shape.
std::string PadYearSerial(std::string_view s, size_t width) {
  const size_t slash = s.find('/');
  if (slash != 4 || !AllDigits(s.substr(0, 4))) return std::string(s);
  const std::string serial = Remove(s.substr(5), "/,.-'");
  if (!AllDigits(serial) || serial.size() > width) return std::string(s);
  return std::string(s.substr(0, 4)) + std::string(width - serial.size(), '0') + serial;
}

// US provisional application series codes (60/, 61/, 62/, 63/).
bool IsUsProvisionalSeries(std::string_view two) {
  return two == "60" || two == "61" || two == "62" || two == "63";
}

}  // namespace

std::string NormalizePublicationNumber(std::string_view office, std::string_view raw) {
  const std::string off = NormalizeOfficeCode(office);
  std::string s = internal::TrimUpper(raw);
  s = Remove(s, "");  // spaces inside "EP 1 000 000"
  s = std::string(StripOfficePrefix(off, s));
  if (off == "WO") s = PadYearSerial(s, 6);
  // US pre-grant publications: YYYY + 7-digit serial ("2021/0049351").
  if (off == "US") s = PadYearSerial(s, 7);
  s = Remove(s, "/,.-'");
  // Separators may have hidden the office prefix ("US/4" -> "US4"); stripping again keeps the
  // function idempotent.
  s = std::string(StripOfficePrefix(off, s));

  if (off == "US") {
    // Grants are zero-padded to 8 characters in the XML (08926509, D0967598, PP034694,
    // RE049257); the number itself has no leading zeros. Pre-grant publication numbers
    // (11 digits, YYYY + 7) start with the year and are left alone.
    size_t letters = 0;
    while (letters < s.size() && IsUpper(s[letters])) ++letters;
    const std::string_view digits = std::string_view(s).substr(letters);
    if (AllDigits(digits) && !(letters == 0 && digits.size() == 11)) {
      return s.substr(0, letters) + StripLeadingZeros(digits);
    }
    return s;
  }
  if (off == "EP" && AllDigits(s) && s.size() < 7) {
    // EP publication numbers are seven digits, zero-padded (EP0000001 is the first one).
    return std::string(7 - s.size(), '0') + s;
  }
  return s;
}

std::string NormalizeApplicationNumber(std::string_view office, std::string_view raw) {
  const std::string off = NormalizeOfficeCode(office);
  // Spaces and thousands separators go; '/', '.', '-' carry meaning (series code, check digit,
  // JP year separator) and stay.
  std::string s = Remove(internal::TrimUpper(raw), ",'");
  if (!s.starts_with("PCT")) s = std::string(StripOfficePrefix(off, s));
  if (off == "US") {
    // "12/134,151" and "12134151" are one number (series code 12 + serial); provisional
    // applications keep the "60/" form the USPTO prints, also when given as "60984910".
    if (s.size() == 9 && s[2] == '/' && AllDigits(s.substr(0, 2)) && AllDigits(s.substr(3))) {
      if (!IsUsProvisionalSeries(s.substr(0, 2))) s.erase(2, 1);
    } else if (s.size() == 8 && AllDigits(s) && IsUsProvisionalSeries(s.substr(0, 2))) {
      s.insert(2, "/");
    }
  }
  return s;
}

Result<PublicationRef> ParsePublicationId(std::string_view raw) {
  const std::string s = internal::TrimUpper(raw);
  auto bad = [&](std::string_view what) {
    return Status::InvalidArgument("publication id " + internal::Quote(raw) + ": " +
                                   std::string(what) +
                                   " (expected e.g. US-8936998-B2, US8936998B2, EP 1 000 000 A1)");
  };
  if (s.size() < 3 || !IsUpper(s[0]) || !IsUpper(s[1])) {
    return bad("does not start with a two-letter ST.3 office code");
  }
  PublicationRef ref;
  ref.office = s.substr(0, 2);
  // Everything but '/' goes (it marks WO/US year/serial and is handled by the number rules).
  std::string body = Remove(std::string_view(s).substr(2), "-,.'");
  // The kind is the trailing letter(+digit) after the last digit of the number.
  const size_t n = body.size();
  if (n >= 3 && IsDigit(body[n - 1]) && IsUpper(body[n - 2]) && IsDigit(body[n - 3])) {
    ref.kind = body.substr(n - 2);
  } else if (n >= 2 && IsUpper(body[n - 1]) && IsDigit(body[n - 2])) {
    ref.kind = body.substr(n - 1);
  }
  body.resize(n - ref.kind.size());
  // A number is an optional letter series prefix (D, PP, RE, H, T) and digits, "/" allowed
  // between year and serial; it ends with a digit.
  if (body.empty() || !IsDigit(body.back()) || IsWellFormedKindCode(body)) {
    return bad("has no number");
  }
  size_t letters = 0;
  while (letters < body.size() && IsUpper(body[letters])) ++letters;
  if (!IsDigit(body[letters])) return bad("has no number");
  for (size_t i = letters; i < body.size(); ++i) {
    if (!IsDigit(body[i]) && body[i] != '/') {
      return bad("number contains " + internal::Quote(std::string_view(&body[i], 1)));
    }
  }
  ref.number = NormalizePublicationNumber(ref.office, body);
  return ref;
}

}  // namespace ipdx::model
