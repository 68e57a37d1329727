// Offline bundles: a tar of zstd batches and bundle.json (docs/formats/exchange.md §4), written and
// read with libarchive; OpenBundle serves the batches as a PeerTransport.
#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

#include "exchange/exchange.h"
#include "exchange/json_util.h"

namespace ipdx::exchange {
namespace {

constexpr const char* kManifestName = "bundle.json";

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

class TarBundleWriter final : public BundleWriter {
 public:
  TarBundleWriter(std::string path, std::unique_ptr<archive, ArchiveWriteFree> a)
      : path_(std::move(path)), a_(std::move(a)) {}
  ~TarBundleWriter() override {
    if (!finished_) {
      a_.reset();
      std::error_code ec;
      std::filesystem::remove(path_ + ".tmp", ec);
    }
  }

  Status Add(const std::string& name, std::string_view bytes) override {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return Fail("writing " + name);
    if (!bytes.empty() && archive_write_data(a_.get(), bytes.data(), bytes.size()) !=
                              static_cast<la_ssize_t>(bytes.size())) {
      return Fail("writing " + name);
    }
    bytes_ += bytes.size();
    return Status::Ok();
  }

  Status Finish(const BundleManifest& manifest) override {
    IPDX_RETURN_IF_ERROR(Add(kManifestName, FormatBundleManifest(manifest)));
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return Fail("closing");
    a_.reset();
    std::error_code ec;
    std::filesystem::rename(path_ + ".tmp", path_, ec);
    if (ec) return Status::IOError("cannot rename " + path_ + ".tmp: " + ec.message());
    finished_ = true;
    return Status::Ok();
  }

  uint64_t bytes_written() const override { return bytes_; }

 private:
  Status Fail(const std::string& what) {
    const char* msg = a_ ? archive_error_string(a_.get()) : nullptr;
    return Status::IOError("bundle " + path_ + ": " + what + ": " + (msg ? msg : "unknown error"));
  }
  std::string path_;
  std::unique_ptr<archive, ArchiveWriteFree> a_;
  uint64_t bytes_ = 0;
  bool finished_ = false;
};

// Reads every member of the archive into memory (members are compressed batches; the bundle's
// size is what the operator chose to carry).
Result<std::map<std::string, std::string>> ReadMembers(const std::string& path) {
  std::unique_ptr<archive, ArchiveReadFree> a(archive_read_new());
  if (!a) return Status::Internal("libarchive: cannot allocate a reader");
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return Status::InvalidArgument("bundle " + path + ": " + archive_error_string(a.get()));
  }
  std::map<std::string, std::string> out;
  for (;;) {
    archive_entry* e = nullptr;
    const int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) {
      return Status::InvalidArgument("bundle " + path + ": " + archive_error_string(a.get()));
    }
    const char* name = archive_entry_pathname(e);
    if (name == nullptr || archive_entry_filetype(e) != AE_IFREG) continue;
    const la_int64_t size = archive_entry_size(e);
    if (size < 0 || static_cast<uint64_t>(size) > kMaxBundleMemberBytes) {
      return Status::InvalidArgument("bundle " + path + ": member " + name + " is too large");
    }
    std::string data(static_cast<size_t>(size), '\0');
    size_t done = 0;
    while (done < data.size()) {
      const la_ssize_t n = archive_read_data(a.get(), data.data() + done, data.size() - done);
      if (n <= 0) {
        return Status::InvalidArgument("bundle " + path + ": member " + name + " is truncated");
      }
      done += static_cast<size_t>(n);
    }
    if (!out.emplace(name, std::move(data)).second) {
      return Status::InvalidArgument("bundle " + path + ": member " + name + " appears twice");
    }
  }
  return out;
}

class BundleTransport final : public PeerTransport {
 public:
  BundleTransport(BundleManifest manifest, std::map<std::string, std::string> members,
                  uint64_t bytes)
      : manifest_(std::move(manifest)), members_(std::move(members)), bytes_(bytes) {}

  Result<NodeInfo> GetNodeInfo() override {
    NodeInfo info;
    info.origin = manifest_.origin;
    info.log_vkey = manifest_.log_vkey;
    return info;
  }

  Result<std::string> GetChanges(const ChangeRequest& request) override {
    if (request.after < manifest_.from) {
      return Status::FailedPrecondition("bundle of " + manifest_.origin + " starts at leaf " +
                                        std::to_string(manifest_.from) +
                                        " but this node has only " + std::to_string(request.after) +
                                        " leaves of that log: a gap (ask for a bundle --since " +
                                        std::to_string(request.after) + ")");
    }
    if (request.after > manifest_.to) {
      return Status::FailedPrecondition("bundle of " + manifest_.origin + " ends at leaf " +
                                        std::to_string(manifest_.to) + ", the cursor is " +
                                        std::to_string(request.after));
    }
    // The batch holding `after`; for after == to, the last batch (its entries all dropped).
    for (size_t i = 0; i < manifest_.batches.size(); ++i) {
      auto it = members_.find(manifest_.batches[i]);
      if (it == members_.end()) {
        return Status::InvalidArgument("bundle: member " + manifest_.batches[i] + " is missing");
      }
      IPDX_ASSIGN_OR_RETURN(std::string json, ZstdDecompress(it->second, kMaxBatchBytes));
      IPDX_ASSIGN_OR_RETURN(ChangeBatch b, ParseChangeBatch(json));
      const bool last = i + 1 == manifest_.batches.size();
      if (!(b.after <= request.after && (request.after < b.next || last))) continue;
      if (request.after > b.next) {
        return Status::InvalidArgument("bundle: its batches end at leaf " + std::to_string(b.next) +
                                       ", the manifest says " + std::to_string(manifest_.to));
      }
      // Dropping leading entries keeps every proof valid: they tie `next` to the checkpoint and
      // the receiver's frontier covers what was dropped.
      const uint64_t drop = request.after - b.after;
      if (drop > b.entries.size()) return Status::InvalidArgument("bundle: batch is short");
      b.entries.erase(b.entries.begin(), b.entries.begin() + static_cast<ptrdiff_t>(drop));
      b.after = request.after;
      b.known = 0;
      b.known_consistency.clear();
      if (request.known > 0 && request.known < b.tree_size) {
        if (auto p = manifest_.consistency.find(request.known); p != manifest_.consistency.end()) {
          b.known = request.known;
          b.known_consistency = p->second;
        }
      }
      return FormatChangeBatch(b);
    }
    return Status::InvalidArgument("bundle has no batches");
  }

  Status PostCosignature(std::string_view) override {
    return Status::FailedPrecondition("a bundle cannot take a cosignature back");
  }
  uint64_t bytes_received() const override { return bytes_; }

 private:
  BundleManifest manifest_;
  std::map<std::string, std::string> members_;
  uint64_t bytes_;
};

}  // namespace

std::string FormatBundleManifest(const BundleManifest& m) {
  nlohmann::json j;
  j["format"] = kBundleFormat;
  j["origin"] = m.origin;
  j["logKey"] = m.log_vkey;
  j["from"] = m.from;
  j["to"] = m.to;
  j["checkpoint"] = m.checkpoint;
  nlohmann::json proofs = nlohmann::json::object();
  for (const auto& [size, proof] : m.consistency) {
    nlohmann::json arr = nlohmann::json::array();
    for (const ledger::Hash& h : proof) arr.push_back(ledger::HashToBase64(h));
    proofs[std::to_string(size)] = std::move(arr);
  }
  j["consistency"] = std::move(proofs);
  j["batches"] = m.batches;
  return j.dump(2) + "\n";
}

Result<BundleManifest> ParseBundleManifest(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("bundle.json is not a JSON object");
  }
  internal::Fields f(j, "bundle.json");
  BundleManifest m;
  IPDX_ASSIGN_OR_RETURN(std::string format, f.Text("format"));
  if (format != kBundleFormat) {
    return Status::InvalidArgument("bundle.json: format '" + format + "' is not " +
                                   std::string(kBundleFormat));
  }
  IPDX_ASSIGN_OR_RETURN(m.origin, f.Text("origin"));
  IPDX_ASSIGN_OR_RETURN(m.log_vkey, f.Text("logKey"));
  IPDX_ASSIGN_OR_RETURN(m.from, f.Uint("from"));
  IPDX_ASSIGN_OR_RETURN(m.to, f.Uint("to"));
  IPDX_ASSIGN_OR_RETURN(m.checkpoint, f.Text("checkpoint"));
  if (m.from > m.to) return Status::InvalidArgument("bundle.json: from > to");
  auto proofs = j.find("consistency");
  if (proofs == j.end() || !proofs->is_object()) {
    return Status::InvalidArgument("bundle.json: missing object 'consistency'");
  }
  for (auto it = proofs->begin(); it != proofs->end(); ++it) {
    uint64_t size = 0;
    const std::string& key = it.key();
    if (key.empty() || key.size() > 19 ||
        key.find_first_not_of("0123456789") != std::string::npos) {
      return Status::InvalidArgument("bundle.json: consistency key '" + key + "' is not a size");
    }
    size = std::stoull(key);
    nlohmann::json holder = {{"p", it.value()}};
    IPDX_ASSIGN_OR_RETURN(m.consistency[size], internal::Fields(holder, "bundle.json").Hashes("p"));
  }
  auto batches = j.find("batches");
  if (batches == j.end() || !batches->is_array()) {
    return Status::InvalidArgument("bundle.json: missing array 'batches'");
  }
  for (const nlohmann::json& b : *batches) {
    if (!b.is_string()) return Status::InvalidArgument("bundle.json: a batch name is not a string");
    m.batches.push_back(b.get<std::string>());
  }
  return m;
}

Result<std::unique_ptr<BundleWriter>> BundleWriter::Create(const std::string& path) {
  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  if (!a) return Status::Internal("libarchive: cannot allocate a writer");
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK) {
    return Status::Internal(std::string("libarchive: ") + archive_error_string(a.get()));
  }
  const std::string tmp = path + ".tmp";
  if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) {
    return Status::IOError("cannot create " + tmp + ": " + archive_error_string(a.get()));
  }
  return std::unique_ptr<BundleWriter>(std::make_unique<TarBundleWriter>(path, std::move(a)));
}

Result<std::unique_ptr<PeerTransport>> OpenBundle(const std::string& path,
                                                  BundleManifest* manifest) {
  IPDX_ASSIGN_OR_RETURN(auto members, ReadMembers(path));
  auto it = members.find(kManifestName);
  if (it == members.end()) {
    return Status::InvalidArgument(path + " is not a complete ipdx bundle (no bundle.json)");
  }
  IPDX_ASSIGN_OR_RETURN(BundleManifest m, ParseBundleManifest(it->second));
  uint64_t bytes = 0;
  for (const auto& [name, data] : members) bytes += data.size();
  if (manifest != nullptr) *manifest = m;
  return std::unique_ptr<PeerTransport>(
      std::make_unique<BundleTransport>(std::move(m), std::move(members), bytes));
}

}  // namespace ipdx::exchange
