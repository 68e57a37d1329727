#pragma once
// Internal to codec/: the per-format mappers that Decode() dispatches to, and the safe XML
// parsing they share. Not part of the module contract; see codec.h.
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "model/record.h"

namespace ipdx::codec::internal {

// What a mapper gets: a parsed document (entities already resolved, safety checks passed).
struct MapInput {
  const pugi::xml_document* doc = nullptr;
  std::string_view doctype;  // the DOCTYPE declaration text (may be empty)
};

// Each mapper fills `record` (identity, dates, texts, parties, classifications, citations) and
// appends findings for anything it could not map (rule ids "MAP-..."). It sets
// record->source.format to the precise format name including version.
void MapUsptoGrantOrApplication(const MapInput& in, model::Record* record,
                                std::vector<model::Finding>* findings);
void MapEpPatentDocument(const MapInput& in, model::Record* record,
                         std::vector<model::Finding>* findings);
void MapDocdbExchangeDocument(const MapInput& in, model::Record* record,
                              std::vector<model::Finding>* findings);
void MapSt96PatentPublication(const MapInput& in, model::Record* record,
                              std::vector<model::Finding>* findings);
// Generic ST.36 and its office variants; roots accepted: WIPO ST.36 <patent-document>, CNIPA
// <cn-patent-document> (old DTD), CNIPA <business:PatentDocumentAndRelated> (new XSD, namespace
// http://www.sipo.gov.cn/XMLSchema/business) and JPO <jp-official-gazette>. Format names
// "st36-patent-document[-v<dtd-version>]", "st36-cn", "st36-cn-xsd-<xsdVersion>",
// "st36-jp-v<dtd-version>".
void MapSt36PatentDocument(const MapInput& in, model::Record* record,
                           std::vector<model::Finding>* findings);

}  // namespace ipdx::codec::internal
