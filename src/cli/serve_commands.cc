// `ipdx serve`: run the node's HTTP API (src/api/api.h, docs/api/README.md).
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <thread>

#include "api/api.h"
#include "cli/context.h"

namespace ipdx::cli {
namespace {

struct ServeArgs {
  api::ServerConfig flags;  // values of the flags given; which ones were given is asked of CLI11
  std::string public_reads;
};

}  // namespace

void RegisterServeCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve the node's HTTP API under /ipdx/v1 (OpenAPI document at /ipdx/v1/openapi.json).\n"
      "Settings come from the [server] section of HOME/ipdx.toml; each flag overrides its "
      "setting. The first line on stdout is 'listening on URL'. SIGTERM or SIGINT stops the "
      "server after in-flight requests finish.");
  api::ServerConfig& f = args->flags;
  cmd->add_option("--listen", f.listen,
                  "ADDR:PORT to listen on; port 0 picks a free port "
                  "[server] listen (default 127.0.0.1:8080)");
  cmd->add_option("--public-reads", args->public_reads,
                  "true: reads need no token; false: reads need scope read "
                  "[server] public_reads (default true)")
      ->check(CLI::IsMember({"true", "false"}));
  cmd->add_option("--cors-origin", f.cors_origins,
                  "Browser origin allowed by CORS, repeatable; * allows any "
                  "[server] cors_origins (default none)");
  cmd->add_option("--rate-limit", f.rate_limit,
                  "Requests per second per client (token or IP); 0 disables "
                  "[server] rate_limit (default 50)");
  cmd->add_option("--rate-burst", f.rate_burst,
                  "Burst size of the per-client token bucket [server] rate_burst (default 100)");
  cmd->add_option("--max-body-bytes", f.max_body_bytes,
                  "Largest request body; larger ones get 413 [server] max_body_bytes "
                  "(default 67108864)");
  cmd->add_option("--request-timeout", f.request_timeout_s,
                  "Seconds a request (headers and body) may take to arrive; slower clients get "
                  "408 or are disconnected [server] request_timeout_s (default 30)");
  cmd->add_option("--threads", f.threads,
                  "Worker threads = connections served at once [server] threads (default 64)");
  cmd->add_option("--tls-cert", f.tls_cert, "PEM certificate chain: serve HTTPS [server] tls_cert");
  cmd->add_option("--tls-key", f.tls_key, "PEM private key of --tls-cert [server] tls_key");
  cmd->add_option("--tls-client-ca", f.tls_client_ca,
                  "PEM CA bundle: require client certificates signed by it [server] "
                  "tls_client_ca");
  cmd->add_option("--access-log", f.access_log,
                  "Access log (JSON lines); - for stderr [server] access_log (default "
                  "HOME/logs/access.log)");
  cmd->add_option("--audit-log", f.audit_log,
                  "Audit log of writes and refused requests (JSON lines) [server] audit_log "
                  "(default HOME/logs/audit.log)");
  cmd->add_option("--peer-key", f.peer_keys,
                  "Pinned peer verifier key (name+hexid+base64) allowed to sign requests "
                  "(RFC 9421), repeatable [server] peer_keys");
  cmd->add_option("--feed", f.feed,
                  "Who may read the change feed: public, or peers (requests signed by a pinned "
                  "peer key, or an admin token) [server] feed (default public)")
      ->check(CLI::IsMember({"public", "peers"}));

  cmd->callback([&ctx, args, cmd] {
    api::ServerConfig config;
    Status st = api::ReadServerConfig(ctx.home + "/ipdx.toml", &config);
    if (!st.ok()) return ctx.Fail(st);
    const api::ServerConfig& f = args->flags;
    auto given = [cmd](const char* name) { return cmd->count(name) > 0; };
    if (given("--listen")) config.listen = f.listen;
    if (given("--public-reads")) config.public_reads = args->public_reads == "true";
    if (given("--cors-origin")) config.cors_origins = f.cors_origins;
    if (given("--rate-limit")) config.rate_limit = f.rate_limit;
    if (given("--rate-burst")) config.rate_burst = f.rate_burst;
    if (given("--max-body-bytes")) config.max_body_bytes = f.max_body_bytes;
    if (given("--request-timeout")) config.request_timeout_s = f.request_timeout_s;
    if (given("--threads")) config.threads = f.threads;
    if (given("--tls-cert")) config.tls_cert = f.tls_cert;
    if (given("--tls-key")) config.tls_key = f.tls_key;
    if (given("--tls-client-ca")) config.tls_client_ca = f.tls_client_ca;
    if (given("--access-log")) config.access_log = f.access_log;
    if (given("--audit-log")) config.audit_log = f.audit_log;
    if (given("--peer-key")) config.peer_keys = f.peer_keys;
    if (given("--feed")) config.feed = f.feed;

    // A client that drops a TLS connection makes OpenSSL's next write raise SIGPIPE, which would
    // end the whole server; the write's error is handled per connection instead.
    std::signal(SIGPIPE, SIG_IGN);

    // SIGTERM and SIGINT are taken by a waiting thread, not a handler: blocked here, before any
    // server thread starts, so every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    auto server = api::Server::Create(ctx.home, config);
    if (!server.ok()) return ctx.Fail(server.status());
    auto url = (*server)->Bind();
    if (!url.ok()) return ctx.Fail(url.status());
    fmt::print("listening on {}\n", *url);
    std::fflush(stdout);

    std::atomic<bool> done{false};
    api::Server* srv = server->get();
    std::thread waiter([&done, srv, stop_signals] {
      const timespec tick{0, 200 * 1000 * 1000};
      while (!done.load()) {
        int sig = sigtimedwait(&stop_signals, nullptr, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
          fmt::print(stderr, "ipdx serve: {} received, finishing in-flight requests\n",
                     sig == SIGTERM ? "SIGTERM" : "SIGINT");
          srv->Stop();
          return;
        }
      }
    });
    Status run = srv->Run();
    done.store(true);
    waiter.join();
    if (!run.ok()) return ctx.Fail(run);
    fmt::print(stderr, "ipdx serve: stopped\n");
  });
}

}  // namespace ipdx::cli
