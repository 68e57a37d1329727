// The OpenAPI document, embedded from openapi.json at build time (src/api/CMakeLists.txt).
#include "api/api.h"

namespace ipdx::api {

std::string_view OpenApiDocument() {
  static constexpr std::string_view kDocument =
#include "api/openapi.inc"
      ;
  return kDocument;
}

}  // namespace ipdx::api
