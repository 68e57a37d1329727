// kill -9 crash test of ingest, against the real `ipdx` binary.
//
// Builds a corpus of a few thousand real documents (the fixtures in src/service/testdata with their
// publication numbers rewritten, concatenated into USPTO-style weekly files, plus not-well-formed
// documents that must become rejects), ingests it once cleanly into one node, then into a second
// node while SIGKILLing `ipdx ingest` at random moments, and finally lets the ingest finish there.
// Both nodes must then hold the same records (same id -> content hash), every id exactly one
// version, the same rejects, no run left "running", and a store that passes PRAGMA
// integrity_check and the store invariants (docs/formats/store.md).
//
// The random moments come from a fixed seed (override with IPDX_CRASH_SEED) so a failure can be
// replayed; the seed is printed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "service/ledger.h"
#include "service/service.h"
#include "store/store.h"

namespace ipdx {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const fs::path kTestdata = fs::path(IPDX_SOURCE_DIR) / "src/service/testdata";
constexpr int kSmallCopies = 2000;  // of the 4.6 KB ICE v4.0 application
constexpr int kLargeCopies = 1000;  // of the 27 KB ICE v4.5 application
constexpr int kBadCopies = 20;      // of the not-well-formed EP application
constexpr int kDocsPerWeeklyFile = 500;
constexpr int kKills = 6;

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

constexpr const char* kXmlDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

std::string WithDeclaration(std::string doc) {
  if (doc.rfind("<?xml", 0) != 0) doc.insert(0, kXmlDecl);
  if (doc.empty() || doc.back() != '\n') doc += '\n';
  return doc;
}

// Rewrites the publication number of a USPTO ICE document: the first <doc-number> after
// <publication-reference>. Keeps the 4-digit year prefix so the number stays consistent with the
// publication date, and puts `serial` in the remaining 7 digits.
std::string RewriteUsPublicationNumber(const std::string& doc, int serial) {
  size_t ref = doc.find("<publication-reference>");
  size_t open = doc.find("<doc-number>", ref);
  size_t start = open + std::string("<doc-number>").size();
  size_t end = doc.find("</doc-number>", start);
  if (ref == std::string::npos || open == std::string::npos || end == std::string::npos) {
    ADD_FAILURE() << "template without a publication doc-number";
    return doc;
  }
  std::string year = doc.substr(start, 4);
  char digits[16];
  std::snprintf(digits, sizeof digits, "%07d", serial);
  return doc.substr(0, start) + year + digits + doc.substr(end);
}

struct ProcessResult {
  bool killed = false;  // ended by our SIGKILL
  int exit_code = -1;   // when it exited by itself
  long max_rss_kb = 0;
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ipdx_crash_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    corpus_ = root_ / "corpus";
    BuildCorpus();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(root_);
  }

  void BuildCorpus() {
    const std::string small = Slurp(kTestdata / "us-application-v4-0-A1.xml");
    const std::string large = Slurp(kTestdata / "us-application-v4-5-A2.xml");
    const std::string bad = Slurp(kTestdata / "ep-application-v1-4-A1-1-not-well-formed.xml");
    ASSERT_FALSE(small.empty());
    ASSERT_FALSE(large.empty());
    ASSERT_FALSE(bad.empty());
    fs::create_directories(corpus_ / "weekly");
    fs::create_directories(corpus_ / "bad");

    // Interleave the templates into weekly files, as USPTO ships them: many documents, each with
    // its own XML declaration, concatenated.
    int small_left = kSmallCopies, large_left = kLargeCopies, serial = 9000000;
    int week = 0, in_week = 0;
    std::ofstream out;
    while (small_left + large_left > 0) {
      if (in_week == 0) {
        char name[32];
        std::snprintf(name, sizeof name, "ipa%02d.xml", ++week);
        out = std::ofstream(corpus_ / "weekly" / name, std::ios::binary);
      }
      bool take_large = large_left > 0 && (small_left == 0 || serial % 3 == 0);
      const std::string& tmpl = take_large ? large : small;
      (take_large ? large_left : small_left)--;
      out << WithDeclaration(RewriteUsPublicationNumber(tmpl, ++serial));
      if (++in_week == kDocsPerWeeklyFile) {
        out.close();
        in_week = 0;
      }
    }
    out.close();
    expected_documents_ += kSmallCopies + kLargeCopies;

    // Distinct bad documents (a comment makes each copy's bytes, and so its reject, unique).
    for (int i = 0; i < kBadCopies; ++i) {
      std::string doc = bad;
      if (doc.rfind("<?xml", 0) != 0)
        doc.insert(0, "<!-- ipdx crash test copy " + std::to_string(i) + " -->\n");
      std::ofstream(corpus_ / "bad" / ("ep-bad-" + std::to_string(i) + ".xml"), std::ios::binary)
          << doc;
      ++expected_documents_;
    }
    // And the EP application once, unchanged.
    fs::copy_file(kTestdata / "ep-application-v1-5-A2.xml", corpus_ / "ep-application-v1-5-A2.xml");
    ++expected_documents_;
  }

  // Runs the real binary with `args`; kills it with SIGKILL after `kill_after` if given.
  ProcessResult Run(const std::vector<std::string>& args,
                    std::optional<std::chrono::milliseconds> kill_after = std::nullopt) {
    const std::string log = (root_ / "ipdx.log").string();
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> argv;
      static std::string binary = IPDX_BINARY;
      argv.push_back(binary.data());
      std::vector<std::string> copy = args;
      for (std::string& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    ProcessResult result;
    if (pid < 0) {
      ADD_FAILURE() << "fork failed";
      return result;
    }
    if (kill_after) {
      std::this_thread::sleep_for(*kill_after);
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    result.max_rss_kb = usage.ru_maxrss;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      result.killed = true;
    } else if (WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
    }
    return result;
  }

  // What the node holds, read through the library.
  struct Snapshot {
    std::map<std::string, std::string> hashes;              // id -> current content hash
    std::set<std::pair<std::string, std::string>> rejects;  // (source sha256, rule)
    uint64_t count = 0;
    bool one_version_each = true;
    std::vector<store::IngestRun> runs;
    uint64_t versions = 0;     // stored record versions
    uint64_t leaves = 0;       // log leaves
    uint64_t signed_size = 0;  // tree size of the latest signed checkpoint
  };
  Snapshot Read(const std::string& home) {
    Snapshot s;
    auto node = service::Node::Open(home);
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    if (!node.ok()) return s;
    store::Store& st = (*node)->store();
    Status integrity = st.CheckIntegrity();
    EXPECT_TRUE(integrity.ok()) << integrity.ToString();
    s.count = *st.CountRecords();
    std::string after;
    for (;;) {
      auto page = st.ListRecords(after, 500);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) break;
      for (const auto& r : *page) {
        s.hashes[r.Id()] = r.hash;
        if (r.version != 1) s.one_version_each = false;
      }
      after = page->back().Id();
    }
    for (const auto& [id, hash] : s.hashes) {
      auto v = st.ListVersions(id);
      if (!v.ok() || v->size() != 1) s.one_version_each = false;
      if (v.ok()) s.versions += v->size();
    }
    // The log and the store agree: one leaf per stored version, every hash and signed
    // checkpoint recomputes from the stored entries, and no checkpoint covers a missing leaf.
    s.leaves = *st.Log().TreeSize();
    auto log_check = service::CheckLog(**node);
    EXPECT_TRUE(log_check.ok()) << log_check.status().ToString();
    if (log_check.ok()) {
      EXPECT_EQ(log_check->counts.record_versions, s.versions);
      EXPECT_EQ(log_check->records_checked, s.versions);
      if (log_check->latest) s.signed_size = log_check->latest->checkpoint.tree_size;
    }
    auto rejects = st.ListRejects(std::nullopt, 1000000);
    EXPECT_TRUE(rejects.ok());
    if (rejects.ok()) {
      for (const auto& r : *rejects) s.rejects.insert({r.source_sha256, r.rule});
    }
    s.runs = *st.ListRuns(1000);
    return s;
  }

  fs::path root_;
  fs::path corpus_;
  uint64_t expected_documents_ = 0;
};

TEST_F(CrashTest, KillNineAtRandomMomentsThenFinishGivesTheCleanResult) {
  unsigned seed = 20240501;
  if (const char* env = std::getenv("IPDX_CRASH_SEED"))
    seed = static_cast<unsigned>(std::atoi(env));
  std::cout << "crash test seed " << seed << " (IPDX_CRASH_SEED to replay)\n";
  std::mt19937 rng(seed);

  // 1. The clean run.
  const std::string clean = (root_ / "clean").string();
  ASSERT_EQ(Run({"--home", clean, "init", "--office", "US"}).exit_code, 0);
  const auto t0 = Clock::now();
  ProcessResult r = Run({"--home", clean, "ingest", "--batch", "100", corpus_.string()});
  const auto clean_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  // 3 = some documents rejected (the bad copies), per the CLI's exit codes.
  ASSERT_EQ(r.exit_code, 3) << Slurp(root_ / "ipdx.log");
  std::cout << "clean ingest of " << expected_documents_ << " documents: " << clean_ms
            << " ms, peak RSS " << r.max_rss_kb / 1024 << " MiB\n";
  const Snapshot want = Read(clean);
  ASSERT_GT(want.count, 0u);
  EXPECT_EQ(want.count, want.hashes.size());
  EXPECT_TRUE(want.one_version_each);
  EXPECT_EQ(want.rejects.size(), static_cast<size_t>(kBadCopies));
  ASSERT_EQ(want.runs.size(), 1u);
  EXPECT_EQ(want.runs[0].documents, expected_documents_);
  EXPECT_EQ(want.runs[0].accepted + want.runs[0].rejected, expected_documents_);

  // 2. The same ingest, killed at random moments. The first kill comes very early (start-up,
  // StartRun), the others anywhere in the clean run's duration.
  const std::string crash = (root_ / "crash").string();
  ASSERT_EQ(Run({"--home", crash, "init", "--office", "US"}).exit_code, 0);
  int real_kills = 0, partial_states = 0;
  uint64_t before_final = 0;
  for (int k = 0; k < kKills; ++k) {
    // Each re-run skips what earlier runs committed (unchanged), so it finishes sooner: aim the
    // kill inside the part of the clean run's duration that is still left to do.
    const double left = 1.0 - static_cast<double>(before_final) / static_cast<double>(want.count);
    const long upper = std::max<long>(clean_ms / 10, static_cast<long>(clean_ms * left * 0.8));
    std::uniform_int_distribution<long> moment(std::min<long>(clean_ms / 20, upper / 2), upper);
    std::chrono::milliseconds delay(k == 0 ? 5 : moment(rng));
    ProcessResult killed =
        Run({"--home", crash, "ingest", "--batch", "100", corpus_.string()}, delay);
    if (killed.killed) ++real_kills;
    // Consistent after every kill, whatever was running.
    Snapshot mid = Read(crash);
    EXPECT_TRUE(mid.one_version_each) << "after kill " << k;
    EXPECT_EQ(mid.leaves, mid.versions) << "log leaves == stored versions after kill " << k;
    for (const auto& [id, hash] : mid.hashes) {
      auto it = want.hashes.find(id);
      ASSERT_NE(it, want.hashes.end()) << "unexpected record " << id << " after kill " << k;
      EXPECT_EQ(it->second, hash) << id;
    }
    if (mid.count > 0 && mid.count < want.count) ++partial_states;
    before_final = mid.count;
    for (const auto& run : mid.runs) EXPECT_NE(run.status, "running");
    std::cout << "kill " << k << " after " << delay.count()
              << " ms: " << (killed.killed ? "killed" : "had already finished") << ", " << mid.count
              << " records stored\n";
  }
  EXPECT_GE(real_kills, kKills - 1) << "most kills must land while ingest runs";
  EXPECT_GE(partial_states, 1) << "at least one kill should leave a partly done ingest";

  // 3. Finish the job.
  ProcessResult last = Run({"--home", crash, "ingest", "--batch", "100", corpus_.string()});
  ASSERT_EQ(last.exit_code, 3) << Slurp(root_ / "ipdx.log");
  const Snapshot got = Read(crash);
  EXPECT_EQ(got.count, want.count);
  EXPECT_EQ(got.hashes, want.hashes);
  EXPECT_EQ(got.leaves, got.versions);
  EXPECT_EQ(got.leaves, want.leaves);
  EXPECT_EQ(got.signed_size, got.leaves) << "the finishing run signs over every leaf";
  EXPECT_EQ(want.signed_size, want.leaves);
  EXPECT_TRUE(got.one_version_each);
  EXPECT_EQ(got.rejects, want.rejects);
  ASSERT_FALSE(got.runs.empty());
  EXPECT_EQ(got.runs.front().status, "finished");
  EXPECT_EQ(got.runs.front().documents, expected_documents_);
  // The finishing run finds what the killed runs committed unchanged and adds exactly the rest.
  EXPECT_EQ(got.runs.front().updated, 0u);
  EXPECT_EQ(got.runs.front().unchanged, before_final);
  EXPECT_EQ(got.runs.front().accepted, want.count - before_final);
}

}  // namespace
}  // namespace ipdx
