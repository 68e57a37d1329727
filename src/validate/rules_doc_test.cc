// docs/validation-rules.md must document every rule of AllRules(), with its severity, and must
// not document rules that do not exist.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "validate/validate.h"

namespace ipdx::validate {
namespace {

TEST(RulesDoc, EveryRuleIsDocumentedAndNoOther) {
  const std::string path = std::string(IPDX_SOURCE_DIR) + "/docs/validation-rules.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path;
  // Table rows: "| `ID` | standard | severity | ... |".
  const std::regex row(R"(^\|\s*`([A-Z0-9*-]+)`\s*\|[^|]*\|\s*([a-z /()]+?)\s*\|)");
  std::set<std::string> documented;
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    const std::string id = m[1];
    const std::string severity = m[2];
    documented.insert(id);
    const RuleInfo* rule = FindRule(id);
    ASSERT_NE(rule, nullptr) << "docs/validation-rules.md documents unknown rule " << id;
    EXPECT_EQ(rule->id, id);
    const std::string expected = rule->severity == model::Severity::kError ? "error" : "warning";
    EXPECT_EQ(severity.substr(0, expected.size()), expected) << id << ": '" << severity << "'";
  }
  for (const RuleInfo& r : AllRules()) {
    EXPECT_EQ(documented.count(r.id), 1u) << r.id << " is missing from docs/validation-rules.md";
  }
}

}  // namespace
}  // namespace ipdx::validate
