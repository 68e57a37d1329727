#pragma once
// ipdx::validate: WIPO Standards rules over a mapped Record.
//
// Each rule has a stable id (ST3-1, ST16-1, ST2-1, IPC-1, NUM-US-PUB, ...), the standard it
// comes from and a message template. Validate() appends findings: errors reject the document,
// warnings are kept on the record. Pure functions over immutable tables; thread-safe.
#include <string>
#include <string_view>
#include <vector>

#include "model/record.h"

namespace ipdx::validate {

struct RuleInfo {
  std::string id;        // "ST16-1"
  std::string standard;  // "ST.16"
  model::Severity severity = model::Severity::kError;
  std::string description;  // one line, for `ipdx rules` and docs
};

// Every rule ipdx checks, in a stable order (readers' XML-* and MAP-* rules included, so the
// list documents every rule id a reject can carry).
const std::vector<RuleInfo>& AllRules();

// The rule with this id, or nullptr. Reader mapping ids ("MAP-...") resolve to the "MAP-*" family
// entry. The pointer is valid for the life of the program.
const RuleInfo* FindRule(std::string_view id);

// Checks `record` and appends findings.
void Validate(const model::Record& record, std::vector<model::Finding>* findings);

// True when any finding is an error.
bool HasErrors(const std::vector<model::Finding>& findings);

}  // namespace ipdx::validate
