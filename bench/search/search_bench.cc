// ipdx_bench_search: the ipdx side of bench/run-search (see bench/README.md). Opens a node and runs
// a list of queries through service::Search / service::Similar, exactly as `ipdx search` and the
// HTTP API do, and writes one line per query with its latency and the ids it returned.
//
//   ipdx_bench_search --home NODE --queries FILE --out FILE [--threads N] [--repeat R]
//                     [--limit N]
//
// FILE has one query a line: CLASS <TAB> KIND <TAB> PAYLOAD, where KIND is
//   q  PAYLOAD is a query in the ipdx query language (service::Search, relevance order)
//   s  PAYLOAD is a publication id: similar documents to that stored record (service::Similar)
//   t  PAYLOAD is free text: similar documents to that text (service::Similar)
// Escapes in PAYLOAD: "\t", "\n" and "\\".
//
// Passes: one warm-up pass (not recorded), one timed pass on one thread (latency of each query,
// wall clock, steady_clock), then, with --threads N > 1, a throughput pass: N threads, each with
// its own Node (a Node is externally synchronised), take queries from a shared counter until
// R x all queries are done. OUT gets "INDEX<TAB>CLASS<TAB>MS<TAB>TOTAL<TAB>ID,ID,..." lines;
// stdout gets "qps Q", "threads N", "cpu_seconds S" (process user + system time of all passes).
// A query that fails (unknown id, bad query) is written as "-1<TAB>ERROR message" and the run goes
// on; the driver counts and prints such queries.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "search/search.h"
#include "service/search.h"
#include "service/service.h"

namespace {

struct Query {
  std::string klass;
  char kind = 'q';
  std::string payload;
};

struct Outcome {
  double ms = 0;
  uint64_t total = 0;
  std::vector<std::string> ids;
};

std::string Unescape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char c = s[++i];
      out += c == 't' ? '\t' : c == 'n' ? '\n' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

ipdx::Result<std::vector<Query>> ReadQueries(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ipdx::Status(ipdx::StatusCode::kIOError, "cannot read " + path);
  std::vector<Query> queries;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const size_t a = line.find('\t');
    const size_t b = a == std::string::npos ? a : line.find('\t', a + 1);
    if (b == std::string::npos || b != a + 2) {
      return ipdx::Status(ipdx::StatusCode::kInvalidArgument, "bad query line: " + line);
    }
    queries.push_back({line.substr(0, a), line[a + 1], Unescape(line.substr(b + 1))});
  }
  return queries;
}

ipdx::Result<Outcome> Run(ipdx::service::Node& node, const Query& query, size_t limit) {
  const auto start = std::chrono::steady_clock::now();
  ipdx::Result<ipdx::service::SearchResponse> response =
      ipdx::Status(ipdx::StatusCode::kInternal, "unset");
  ipdx::search::QueryError error;
  if (query.kind == 'q') {
    ipdx::search::SearchRequest request;
    request.query = query.payload;
    request.limit = limit;
    response = ipdx::service::Search(node, request, &error);
  } else {
    ipdx::search::SimilarRequest request;
    (query.kind == 's' ? request.id : request.text) = query.payload;
    request.limit = limit;
    response = ipdx::service::Similar(node, request, &error);
  }
  const auto end = std::chrono::steady_clock::now();
  if (!response.ok()) {
    return response.status().WithContext(query.klass + " query '" + query.payload + "'");
  }
  Outcome outcome;
  outcome.ms = std::chrono::duration<double, std::milli>(end - start).count();
  outcome.total = response->total;
  for (const ipdx::search::Hit& hit : response->hits) outcome.ids.push_back(hit.id);
  return outcome;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int Fail(const ipdx::Status& status) {
  std::cerr << "ipdx_bench_search: " << status.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string home, queries_path, out_path;
  size_t threads = 1, repeat = 1, limit = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--home")
      home = value;
    else if (flag == "--queries")
      queries_path = value;
    else if (flag == "--out")
      out_path = value;
    else if (flag == "--threads")
      threads = std::stoul(value);
    else if (flag == "--repeat")
      repeat = std::stoul(value);
    else if (flag == "--limit")
      limit = std::stoul(value);
    else {
      std::cerr << "ipdx_bench_search: unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (home.empty() || queries_path.empty() || out_path.empty() || threads == 0 || limit == 0) {
    std::cerr << "usage: ipdx_bench_search --home NODE --queries FILE --out FILE [--threads N] "
                 "[--repeat R] [--limit N]\n";
    return 2;
  }
  auto queries = ReadQueries(queries_path);
  if (!queries.ok()) return Fail(queries.status());
  auto node = ipdx::service::Node::Open(home);
  if (!node.ok()) return Fail(node.status());

  // Warm-up: brings the index in step (never needed after ingest; a notice would say so) and the
  // pages into the cache, so the timed pass measures queries, not the first open.
  for (const Query& query : *queries) (void)Run(**node, query, limit);
  std::ofstream out(out_path);
  for (size_t i = 0; i < queries->size(); ++i) {
    auto outcome = Run(**node, (*queries)[i], limit);
    if (!outcome.ok()) {  // reported, not fatal: the driver counts failed queries
      std::string message = outcome.status().ToString();
      for (char& c : message) c = (c == '\t' || c == '\n') ? ' ' : c;
      out << i << '\t' << (*queries)[i].klass << "\t-1\tERROR " << message << "\t\n";
      continue;
    }
    out << i << '\t' << (*queries)[i].klass << '\t' << outcome->ms << '\t' << outcome->total
        << '\t';
    for (size_t k = 0; k < outcome->ids.size(); ++k) out << (k ? "," : "") << outcome->ids[k];
    out << '\n';
  }
  out.close();
  if (!out) return Fail(ipdx::Status(ipdx::StatusCode::kIOError, "cannot write " + out_path));

  if (threads > 1) {
    std::vector<std::unique_ptr<ipdx::service::Node>> nodes;
    for (size_t t = 0; t < threads; ++t) {
      auto opened = ipdx::service::Node::Open(home);
      if (!opened.ok()) return Fail(opened.status());
      nodes.push_back(std::move(*opened));
      // Opens and verifies this node's index before the clock starts.
      if (!queries->empty()) (void)Run(*nodes.back(), queries->front(), limit);
    }
    const size_t jobs = repeat * queries->size();
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    const auto start = std::chrono::steady_clock::now();
    for (size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (size_t j = next++; j < jobs; j = next++) {
          (void)Run(*nodes[t], (*queries)[j % queries->size()], limit);
        }
      });
    }
    for (std::thread& thread : pool) thread.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("qps %.3f\nthreads %zu\n", static_cast<double>(jobs) / seconds, threads);
  }
  std::printf("cpu_seconds %.3f\n", CpuSeconds());
  return 0;
}
