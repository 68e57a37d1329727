// The [server] section of ipdx.toml.
#include <toml++/toml.h>

#include <filesystem>
#include <set>

#include "api/api.h"

namespace ipdx::api {
namespace {

std::string Where(const std::string& path, const toml::node& node, std::string_view key) {
  const auto& src = node.source().begin;
  return path + ":" + std::to_string(src.line) + ": [server] " + std::string(key);
}

}  // namespace

Status ReadServerConfig(const std::string& path, ServerConfig* config) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Status::FailedPrecondition(path + ":" + std::to_string(where.line) + ":" +
                                      std::to_string(where.column) + ": " +
                                      std::string(e.description()));
  } catch (const std::exception& e) {
    return Status::FailedPrecondition(path + ": " + e.what());
  }
  const toml::node* section = table.get("server");
  if (section == nullptr) return Status::Ok();
  const toml::table* server = section->as_table();
  if (server == nullptr) return Status::FailedPrecondition(path + ": server must be a table");

  for (const auto& [key_node, value] : *server) {
    const std::string key(key_node.str());
    auto wrong = [&](std::string_view what) {
      return Status::FailedPrecondition(Where(path, value, key) + " must be " + std::string(what));
    };
    auto get_string = [&](std::string* out) -> Status {
      auto v = value.value<std::string>();
      if (!v || !value.is_string()) return wrong("a string");
      *out = *v;
      return Status::Ok();
    };
    auto get_strings = [&](std::vector<std::string>* out) -> Status {
      const toml::array* arr = value.as_array();
      if (arr == nullptr) return wrong("an array of strings");
      out->clear();
      for (const auto& el : *arr) {
        auto v = el.value<std::string>();
        if (!v || !el.is_string()) return wrong("an array of strings");
        out->push_back(*v);
      }
      return Status::Ok();
    };
    auto get_number = [&](double* out) -> Status {
      if (!value.is_number()) return wrong("a number");
      *out = *value.value<double>();
      return Status::Ok();
    };
    auto get_int = [&](int64_t* out) -> Status {
      if (!value.is_integer()) return wrong("an integer");
      *out = *value.value<int64_t>();
      return Status::Ok();
    };
    if (key == "listen") {
      IPDX_RETURN_IF_ERROR(get_string(&config->listen));
    } else if (key == "public_reads") {
      if (!value.is_boolean()) return wrong("true or false");
      config->public_reads = *value.value<bool>();
    } else if (key == "cors_origins") {
      IPDX_RETURN_IF_ERROR(get_strings(&config->cors_origins));
    } else if (key == "rate_limit") {
      IPDX_RETURN_IF_ERROR(get_number(&config->rate_limit));
    } else if (key == "rate_burst") {
      IPDX_RETURN_IF_ERROR(get_number(&config->rate_burst));
    } else if (key == "max_body_bytes") {
      int64_t v = 0;
      IPDX_RETURN_IF_ERROR(get_int(&v));
      if (v <= 0) return wrong("a positive integer");
      config->max_body_bytes = static_cast<uint64_t>(v);
    } else if (key == "request_timeout_s") {
      int64_t v = 0;
      IPDX_RETURN_IF_ERROR(get_int(&v));
      if (v <= 0 || v > 3600) return wrong("an integer from 1 to 3600");
      config->request_timeout_s = static_cast<int>(v);
    } else if (key == "threads") {
      int64_t v = 0;
      IPDX_RETURN_IF_ERROR(get_int(&v));
      if (v <= 0 || v > 1024) return wrong("an integer from 1 to 1024");
      config->threads = static_cast<int>(v);
    } else if (key == "tls_cert") {
      IPDX_RETURN_IF_ERROR(get_string(&config->tls_cert));
    } else if (key == "tls_key") {
      IPDX_RETURN_IF_ERROR(get_string(&config->tls_key));
    } else if (key == "tls_client_ca") {
      IPDX_RETURN_IF_ERROR(get_string(&config->tls_client_ca));
    } else if (key == "access_log") {
      IPDX_RETURN_IF_ERROR(get_string(&config->access_log));
    } else if (key == "audit_log") {
      IPDX_RETURN_IF_ERROR(get_string(&config->audit_log));
    } else if (key == "peer_keys") {
      IPDX_RETURN_IF_ERROR(get_strings(&config->peer_keys));
    } else if (key == "feed") {
      IPDX_RETURN_IF_ERROR(get_string(&config->feed));
      if (config->feed != "public" && config->feed != "peers")
        return wrong("\"public\" or \"peers\"");
    } else {
      return Status::FailedPrecondition(Where(path, value, key) + ": unknown setting");
    }
  }
  return Status::Ok();
}

Status ValidateServerConfig(const ServerConfig& config) {
  size_t colon = config.listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == config.listen.size()) {
    return Status::InvalidArgument("listen address '" + config.listen +
                                   "' must be ADDR:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:0)");
  }
  const std::string port = config.listen.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    return Status::InvalidArgument("listen port '" + port + "' is not a number from 0 to 65535");
  }
  if (config.rate_limit < 0 || config.rate_burst < 1) {
    return Status::InvalidArgument("rate_limit must be >= 0 and rate_burst >= 1");
  }
  if (config.max_body_bytes == 0) return Status::InvalidArgument("max_body_bytes must be > 0");
  if (config.request_timeout_s <= 0) {
    return Status::InvalidArgument("request_timeout_s must be > 0");
  }
  if (config.threads <= 0) return Status::InvalidArgument("threads must be > 0");
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return Status::InvalidArgument("tls_cert and tls_key must be given together");
  }
  if (!config.tls_client_ca.empty() && config.tls_cert.empty()) {
    return Status::InvalidArgument("tls_client_ca needs tls_cert and tls_key");
  }
  for (const std::string* f : {&config.tls_cert, &config.tls_key, &config.tls_client_ca}) {
    std::error_code ec;
    if (!f->empty() && !std::filesystem::is_regular_file(*f, ec)) {
      return Status::InvalidArgument("TLS file " + *f + " does not exist");
    }
  }
  if (config.feed != "public" && config.feed != "peers") {
    return Status::InvalidArgument("feed must be \"public\" or \"peers\", not '" + config.feed +
                                   "'");
  }
  std::set<std::string> names;
  for (const std::string& vkey : config.peer_keys) {
    auto key = ledger::VerifierKey::Parse(vkey);
    if (!key.ok()) {
      return Status::InvalidArgument("peer key '" + vkey + "': " + key.status().message());
    }
    if (key->type() != ledger::KeyType::kEd25519) {
      return Status::InvalidArgument("peer key '" + key->name() + "' is not an Ed25519 key");
    }
    if (!names.insert(key->name()).second) {
      return Status::InvalidArgument("peer key name '" + key->name() + "' appears twice");
    }
  }
  return Status::Ok();
}

}  // namespace ipdx::api
