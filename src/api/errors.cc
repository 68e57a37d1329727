// Status -> HTTP status and the one ST.90 error body shape.
#include <nlohmann/json.hpp>

#include "api/api.h"

namespace ipdx::api {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ErrorCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalidArgument";
    case StatusCode::kNotFound:
      return "notFound";
    case StatusCode::kAlreadyExists:
      return "alreadyExists";
    case StatusCode::kFailedPrecondition:
      return "failedPrecondition";
    case StatusCode::kCorruption:
      return "internal";  // details of stored data stay in the server's logs
    case StatusCode::kIOError:
      return "internal";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kPermissionDenied:
      return "forbidden";
    case StatusCode::kInternal:
      return "internal";
  }
  return "internal";
}

std::string ErrorBody(std::string_view code, std::string_view message,
                      std::string_view details_json) {
  // The details object is built by our own code; it is spliced in as text so that callers can
  // pass any JSON object without this module parsing JSON.
  nlohmann::ordered_json j;
  j["code"] = code;
  j["message"] = message;
  std::string out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.pop_back();  // '}'
  out += ",\"details\":";
  out += details_json.empty() ? std::string_view("{}") : details_json;
  out += "}";
  return out;
}

}  // namespace ipdx::api
