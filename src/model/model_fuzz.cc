// libFuzzer target for the model parsers: none may crash or hang on any input, and every
// accepted value must be a fixed point of its normaliser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace ipdx::model;
  using ipdx::Result;

  if (Result<std::string> d = ParseSt2Date(in); d.ok()) {
    Result<std::string> again = ParseSt2Date(*d);
    if (!again.ok() || *again != *d) std::abort();
  }
  if (Result<std::string> s = NormalizeIpcSymbol(in); s.ok()) {
    Result<std::string> again = NormalizeIpcSymbol(*s);
    if (!again.ok() || *again != *s) std::abort();
    (void)IpcMainGroup(*s);
  }
  if (Result<PublicationRef> p = ParsePublicationId(in); p.ok()) {
    if (NormalizePublicationNumber(p->office, p->number) != p->number) std::abort();
  }
  const std::string office = NormalizeOfficeCode(in.substr(0, 2));
  (void)LookupSt3(office);
  const std::string kind = NormalizeKindCode(in);
  (void)IsKnownKindForOffice(office, kind);
  (void)NormalizeApplicationNumber(office, in);
  return 0;
}
