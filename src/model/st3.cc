// ST.3 lookups over the table generated from data/codes/st3_codes_from_st96_v6_xsd.tsv.
#include <string_view>

#include "model/model.h"
#include "model/text_util.h"

namespace ipdx::model {

namespace {

struct St3Entry {
  std::string_view code;
  std::string_view name;
  St3Status status;
};

// 242 rows (233 current + 9 former codes, ST.96 V6_0 WIPOST3CodeType + WIPOFormerST3CodeType).
// A linear scan over two-byte keys is cheaper than building an index for a table this small.
constexpr St3Entry kSt3Table[] = {
#include "model/st3_table.inc"
};

const St3Entry* Find(std::string_view code) {
  if (code.size() != 2) return nullptr;
  for (const St3Entry& e : kSt3Table) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

St3Status LookupSt3(std::string_view code) {
  const St3Entry* e = Find(code);
  return e == nullptr ? St3Status::kUnknown : e->status;
}

std::string_view St3Name(std::string_view code) {
  const St3Entry* e = Find(code);
  return e == nullptr ? std::string_view() : e->name;
}

std::string NormalizeOfficeCode(std::string_view raw) { return internal::TrimUpper(raw); }

}  // namespace ipdx::model
