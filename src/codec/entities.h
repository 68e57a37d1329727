#pragma once
// Internal to codec/: the named character entities ipdx resolves without reading any DTD.
//
// The table is compiled in at build time from data/entities/ (the USPTO's html-entities.dtd and
// the ISO 8879 sets shipped with the EPO DOCDB DTD, see data/entities/PROVENANCE.md), so named
// references such as &lsqb; &ldquo; &minus; &lgr; &PHgr; in USPTO, EPO and DOCDB documents
// resolve to Unicode. Pure functions over an immutable table; thread-safe.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ipdx::codec::internal {

// The UTF-8 replacement text of the entity `name` (without '&' and ';'), or nullopt when ipdx
// does not know it. Names are case-sensitive ("Dgr" is not "dgr"). The five XML predefined
// entities (lt gt amp quot apos) are in the table too, mapped to their characters.
std::optional<std::string> LookupNamedEntity(std::string_view name);

// Number of entities in the compiled table (for tests and `ipdx rules`).
size_t NamedEntityCount();

// Appends the UTF-8 encoding of `code_point` to `out`. Returns false (appending nothing) for
// values that are not Unicode scalar values (surrogates, > U+10FFFF).
bool AppendUtf8(char32_t code_point, std::string* out);

}  // namespace ipdx::codec::internal
