// ipdx_bench_ledger: the transparency-log benchmark behind bench/run-ledger (see bench/README.md).
//
//   ipdx_bench_ledger --dir DIR [--leaves N] [--batch B] [--proofs P] [--checkpoints C]
//                     [--hashes H] [--json FILE] [--reuse]
//
// Everything runs in one process, one thread, in this order, on a fresh SQLite store in DIR
// (store::Store::OpenSqlite: WAL, synchronous = FULL, the schema and pragmas `ipdx` uses):
//
//   1. SHA-256 ceiling: H node hashes (SHA-256 of 0x01 || left || right, 65 bytes) through
//      ledger::NodeHash, and the same bytes through OpenSSL's EVP interface with the digest fetched
//      once and the context reused (the machine's raw rate).
//   2. Durable appends: N record-version entries (as ingest writes them: EncodeEntry, then
//      ledger::Append on the store's LogStorage), B per transaction (Begin ... Commit; every
//      commit is an fsync of the WAL). Wall time around the whole run, including every commit.
//   3. Checkpoints: C times SignCheckpoint (root from the store, Ed25519, stored durably) and C
//      times the verification a reader does (OpenNote with the log key, ParseCheckpoint, the root
//      folded from the store compared with the signed one).
//   4. P inclusion proofs (random leaves against the full tree) and P consistency proofs (random
//      old sizes to the full tree) from the store, then the verification of each (RFC 9162). The
//      store's cache of upper tree levels starts nearly empty (every commit, the last stored
//      checkpoint's included, empties it; only the root reads of step 3 refill a few chunks) and
//      fills as the proofs read, as in a node after an ingest batch; the WAL the appends left is
//      read as it is. Leaves are drawn at random, so proofs repeat only by chance.
//
// --reuse keeps the store of an earlier run of the same --leaves and measures all but the appends
// (for profiling the read side without waiting for a million appends again).
//
// Prints one table to stdout (operation, count, seconds, rate, goal, reference) and, with --json,
// the same numbers as JSON. Every proof is verified, so a fast but wrong log cannot pass: any
// failure ends the run with exit code 1.
#include <openssl/evp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace {

using ipdx::Result;
using ipdx::Status;
namespace ledger = ipdx::ledger;

struct Options {
  std::string dir;
  uint64_t leaves = 1'000'000;
  uint64_t batch = 500;
  uint64_t proofs = 100'000;
  uint64_t checkpoints = 50;
  uint64_t hashes = 2'000'000;
  std::string json;
  bool reuse = false;  // keep a store left by an earlier run with --leaves N and skip the appends
};

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall and CPU time of one timed section.
class Timer {
 public:
  Timer() : wall0_(std::chrono::steady_clock::now()), cpu0_(CpuSeconds()) {}
  double wall() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0_).count();
  }
  double cpu() const { return CpuSeconds() - cpu0_; }

 private:
  std::chrono::steady_clock::time_point wall0_;
  double cpu0_;
};

struct Row {
  std::string what;
  uint64_t count = 0;
  double wall_s = 0;
  double cpu_s = 0;
  std::string unit;  // "/s" rate or "ms" per operation
  double goal = 0;   // same unit; 0 = none
  std::string reference;
};

double Rate(const Row& r) { return r.wall_s > 0 ? static_cast<double>(r.count) / r.wall_s : 0; }
double MsEach(const Row& r) {
  return r.count > 0 ? r.wall_s * 1000.0 / static_cast<double>(r.count) : 0;
}

[[noreturn]] void Die(const std::string& what, const Status& st) {
  std::cerr << "ipdx_bench_ledger: " << what << ": " << st.ToString() << "\n";
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return std::move(r).value();
}

void Must(const Status& st, const std::string& what) {
  if (!st.ok()) Die(what, st);
}

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
    auto num = [&]() -> uint64_t {
      const std::string v = next();
      return v.empty() ? 0 : std::stoull(v);
    };
    if (a == "--dir") {
      o.dir = next();
    } else if (a == "--leaves") {
      o.leaves = num();
    } else if (a == "--batch") {
      o.batch = num();
    } else if (a == "--proofs") {
      o.proofs = num();
    } else if (a == "--checkpoints") {
      o.checkpoints = num();
    } else if (a == "--hashes") {
      o.hashes = num();
    } else if (a == "--json") {
      o.json = next();
    } else if (a == "--reuse") {
      o.reuse = true;
    } else {
      std::cerr << "ipdx_bench_ledger: unknown argument " << a << "\n";
      return false;
    }
  }
  if (o.dir.empty() || o.leaves < 2 || o.batch == 0 || o.proofs == 0 || o.checkpoints == 0 ||
      o.hashes == 0) {
    std::cerr << "usage: ipdx_bench_ledger --dir DIR [--leaves N>=2] [--batch B] [--proofs P] "
                 "[--checkpoints C] [--hashes H] [--json FILE] [--reuse]\n";
    return false;
  }
  return true;
}

// The entry ingest would log for leaf i: a record-version entry of a US grant.
ledger::Entry MakeEntry(uint64_t i) {
  ledger::Entry e;
  e.type = ledger::EntryType::kRecordVersion;
  e.publisher = "US";
  e.record_id = "US-" + std::to_string(10'000'000 + i) + "-B2";
  e.record_version = 1;
  e.content_hash = ipdx::Sha256(e.record_id);
  e.recorded_at = "2026-11-25T12:00:00Z";
  return e;
}

// Keeps a result alive so the timed loop cannot be optimised away.
void Sink(uint8_t v) {
  static volatile uint8_t sink = 0;
  sink = sink ^ v;
}

// SHA-256 of 65-byte node inputs with the digest fetched once and one reused context: what the
// machine can do, without any per-call set-up.
Row RawNodeHashRate(uint64_t n) {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  uint8_t buf[65] = {0x01};
  uint8_t out[32] = {};
  Timer t;
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(buf + 1, out, 32);  // chain, so the work cannot be hoisted
    unsigned int len = 0;
    EVP_DigestInit_ex2(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, buf, sizeof buf);
    EVP_DigestFinal_ex(ctx, out, &len);
  }
  Row r{"SHA-256 node hash, raw (EVP, fetched once)",
        n,
        t.wall(),
        t.cpu(),
        "/s",
        0,
        "the machine's ceiling"};
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  Sink(out[0]);
  return r;
}

Row LedgerNodeHashRate(uint64_t n) {
  ledger::Hash h{};
  const ledger::Hash left = ipdx::Sha256("left");
  Timer t;
  for (uint64_t i = 0; i < n; ++i) h = ledger::NodeHash(left, h);
  Row r{"SHA-256 node hash, ledger::NodeHash", n, t.wall(), t.cpu(), "/s", 0, ""};
  Sink(h[0]);
  return r;
}

std::string Machine() {
  std::string cpu = "unknown CPU";
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ": " + cpu + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) +
         " cores";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, o)) return 2;
  std::filesystem::create_directories(o.dir);
  const std::string db_path = o.dir + "/ledger-bench.db";
  if (!o.reuse) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
  }

  std::cout << "ipdx ledger benchmark\n"
            << "machine: " << Machine() << "\n"
            << "load average before the run: " << LoadAverage()
            << " (above 0.5 the machine was busy: rates are noisy, CPU seconds less so)\n"
            << "store: " << db_path << " (SQLite, WAL, synchronous=FULL: every commit is durable)\n"
            << "leaves: " << o.leaves << ", " << o.batch << " per transaction; proofs: " << o.proofs
            << " of each kind; one thread\n\n";

  std::vector<Row> rows;
  rows.push_back(RawNodeHashRate(o.hashes));
  rows.push_back(LedgerNodeHashRate(o.hashes));

  std::unique_ptr<ipdx::store::Store> store =
      Must(ipdx::store::Store::OpenSqlite(db_path), "opening the store");
  ledger::LogStorage& log = store->Log();

  // 2. Durable appends, batched as ingest batches them.
  std::vector<ledger::Hash> leaf_hashes;
  leaf_hashes.reserve(o.leaves);
  if (o.reuse && Must(log.TreeSize(), "tree size") == o.leaves) {
    std::cout << "(--reuse: the store of an earlier run holds the leaves; appends not measured)\n";
  } else {
    Timer t;
    for (uint64_t start = 0; start < o.leaves; start += o.batch) {
      const uint64_t end = std::min(o.leaves, start + o.batch);
      Must(store->Begin(), "begin");
      for (uint64_t i = start; i < end; ++i) {
        const std::string bytes = Must(ledger::EncodeEntry(MakeEntry(i)), "encoding an entry");
        const uint64_t leaf = Must(ledger::Append(log, bytes), "appending");
        if (leaf != i) Die("append", Status::Internal("unexpected leaf index"));
      }
      Must(store->Commit(), "commit");
    }
    rows.push_back({"durable appends (" + std::to_string(o.batch) + " a transaction)", o.leaves,
                    t.wall(), t.cpu(), "/s", 50'000, "~10,000/s published"});
  }
  const uint64_t n = Must(log.TreeSize(), "tree size");
  if (n != o.leaves) Die("tree size", Status::Internal("tree size differs from leaves appended"));
  for (uint64_t i = 0; i < n; ++i) {
    leaf_hashes.push_back(ledger::LeafHash(Must(ledger::EncodeEntry(MakeEntry(i)), "encoding")));
  }
  const ledger::Hash root = ledger::RootFromLeafHashes(leaf_hashes);
  if (Must(ledger::TreeRoot(log, n), "tree root") != root) {
    Die("tree root", Status::Corruption("stored root differs from the recomputed root"));
  }

  // 3. Checkpoints.
  // A fixed throwaway seed, so a --reuse run verifies the checkpoints an earlier run stored.
  const std::array<uint8_t, 32> seed{0x1d, 0x9e, 0x42};
  const ledger::SignerKey key = Must(
      ledger::SignerKey::FromSeed(ledger::DefaultOrigin("US"), ledger::KeyType::kEd25519, seed),
      "key");
  const std::vector<ledger::VerifierKey> trusted{key.verifier()};
  std::string note;
  {
    Timer t;
    for (uint64_t i = 0; i < o.checkpoints; ++i) note = Must(SignCheckpoint(log, key), "signing");
    rows.push_back({"checkpoint sign (root, Ed25519, durable store)", o.checkpoints, t.wall(),
                    t.cpu(), "ms", 0, ""});
  }
  {
    Timer t;
    for (uint64_t i = 0; i < o.checkpoints; ++i) {
      const ledger::VerifiedNote v = Must(ledger::OpenNote(note, trusted), "opening the note");
      const ledger::Checkpoint cp = Must(ledger::ParseCheckpoint(v.note.text), "parsing");
      if (cp.tree_size != n || cp.root != Must(ledger::TreeRoot(log, cp.tree_size), "root")) {
        Die("checkpoint", Status::Corruption("checkpoint does not match the stored tree"));
      }
    }
    rows.push_back({"checkpoint verify (signature, root vs store)", o.checkpoints, t.wall(),
                    t.cpu(), "ms", 0, ""});
  }

  // 4. Proofs and their verification.
  std::mt19937_64 rng(1);
  std::vector<uint64_t> leaves(o.proofs);
  std::vector<uint64_t> old_sizes(o.proofs);
  for (uint64_t i = 0; i < o.proofs; ++i) {
    leaves[i] = rng() % n;
    old_sizes[i] = 1 + rng() % n;
  }
  std::vector<std::vector<ledger::Hash>> inclusion(o.proofs);
  std::vector<std::vector<ledger::Hash>> consistency(o.proofs);
  {
    Timer t;
    for (uint64_t i = 0; i < o.proofs; ++i) {
      inclusion[i] = Must(ledger::InclusionProof(log, leaves[i], n), "inclusion proof");
    }
    rows.push_back(
        {"inclusion proofs from the store", o.proofs, t.wall(), t.cpu(), "/s", 100'000, ""});
  }
  {
    Timer t;
    for (uint64_t i = 0; i < o.proofs; ++i) {
      consistency[i] = Must(ledger::ConsistencyProof(log, old_sizes[i], n), "consistency proof");
    }
    rows.push_back(
        {"consistency proofs from the store", o.proofs, t.wall(), t.cpu(), "/s", 100'000, ""});
  }
  {
    Timer t;
    for (uint64_t i = 0; i < o.proofs; ++i) {
      Must(ledger::VerifyInclusion(leaves[i], n, leaf_hashes[leaves[i]], inclusion[i], root),
           "verifying an inclusion proof");
    }
    rows.push_back(
        {"inclusion proof verifications", o.proofs, t.wall(), t.cpu(), "/s", 100'000, ""});
  }
  {
    // Old roots (untimed), folded from the leaf hashes in one pass, independently of the store.
    std::vector<uint64_t> order(o.proofs);
    for (uint64_t i = 0; i < o.proofs; ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint64_t a, uint64_t b) { return old_sizes[a] < old_sizes[b]; });
    std::vector<ledger::Hash> old_roots(o.proofs);
    std::vector<std::pair<int, ledger::Hash>> stack;  // compact range of [0, size)
    uint64_t size = 0;
    for (uint64_t i : order) {
      for (; size < old_sizes[i]; ++size) {
        std::pair<int, ledger::Hash> cur{0, leaf_hashes[size]};
        while (!stack.empty() && stack.back().first == cur.first) {
          cur = {cur.first + 1, ledger::NodeHash(stack.back().second, cur.second)};
          stack.pop_back();
        }
        stack.push_back(cur);
      }
      ledger::Hash r = stack.back().second;
      for (size_t j = stack.size() - 1; j-- > 0;) r = ledger::NodeHash(stack[j].second, r);
      old_roots[i] = r;
    }
    Timer t;
    for (uint64_t i = 0; i < o.proofs; ++i) {
      Must(ledger::VerifyConsistency(old_sizes[i], n, old_roots[i], root, consistency[i]),
           "verifying a consistency proof");
    }
    rows.push_back(
        {"consistency proof verifications", o.proofs, t.wall(), t.cpu(), "/s", 100'000, ""});
  }

  // The table. Rates are given by wall time and by the process's CPU time: on a shared machine
  // the wall rate measures the other load as much as ipdx; the CPU rate does not (for durable
  // appends the wall rate also holds the fsync waits, which take no CPU).
  std::printf("%-48s %8s %8s %8s %12s %12s %11s  %s\n", "operation", "count", "wall s", "CPU s",
              "by wall", "by CPU", "goal", "verdict (wall / CPU); reference");
  std::string json = "{\"leaves\": " + std::to_string(o.leaves) +
                     ", \"batch\": " + std::to_string(o.batch) + ", \"rows\": [";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const bool rate = r.unit == "/s";
    const double count = static_cast<double>(r.count);
    const double by_wall = rate ? Rate(r) : MsEach(r);
    const double by_cpu = rate ? (r.cpu_s > 0 ? count / r.cpu_s : 0) : r.cpu_s * 1000.0 / count;
    char wall_text[32], cpu_text[32], goal[32] = "";
    if (rate) {
      std::snprintf(wall_text, sizeof wall_text, "%.0f/s", by_wall);
      std::snprintf(cpu_text, sizeof cpu_text, "%.0f/s", by_cpu);
      if (r.goal > 0) std::snprintf(goal, sizeof goal, ">= %.0f/s", r.goal);
    } else {
      std::snprintf(wall_text, sizeof wall_text, "%.3f ms", by_wall);
      std::snprintf(cpu_text, sizeof cpu_text, "%.3f ms", by_cpu);
    }
    std::string verdict;
    if (r.goal > 0) {
      verdict = std::string(by_wall >= r.goal ? "met" : "NOT met") + " / " +
                (by_cpu >= r.goal ? "met" : "NOT met");
    }
    if (!r.reference.empty()) verdict += (verdict.empty() ? "" : "; ") + r.reference;
    std::printf("%-48s %8" PRIu64 " %8.3f %8.3f %12s %12s %11s  %s\n", r.what.c_str(), r.count,
                r.wall_s, r.cpu_s, wall_text, cpu_text, goal, verdict.c_str());
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s{\"operation\": \"%s\", \"count\": %" PRIu64
                  ", \"wall_s\": %.6f, \"cpu_s\": %.6f, \"%s\": %.6f, \"%s_cpu\": %.6f, "
                  "\"goal\": %.0f}",
                  i ? ", " : "", r.what.c_str(), r.count, r.wall_s, r.cpu_s,
                  rate ? "per_s" : "ms_each", by_wall, rate ? "per_s" : "ms_each", by_cpu, r.goal);
    json += buf;
  }
  json += "]}\n";
  const double ceiling = rows[0].cpu_s > 0 ? static_cast<double>(rows[0].count) / rows[0].cpu_s : 0;
  std::printf(
      "\nceiling: at %.0f node hashes per CPU second an append needs ~2 hashes (leaf + completed "
      "nodes, "
      "amortised): <= %.0f appends/s;\nan inclusion verification at this size hashes ~%d "
      "times: <= %.0f verifications/s.\n",
      ceiling, ceiling / 2, static_cast<int>(std::bit_width(n)) + 1,
      ceiling / (std::bit_width(n) + 1));
  auto file_mb = [](const std::string& path) {
    std::error_code ec;
    const uintmax_t bytes = std::filesystem::file_size(path, ec);
    return ec ? 0.0 : static_cast<double>(bytes) / 1e6;
  };
  std::printf("store after the run: %.1f MB database + %.1f MB WAL\n", file_mb(db_path),
              file_mb(db_path + "-wal"));
  if (!o.json.empty()) std::ofstream(o.json) << json;
  return 0;
}
