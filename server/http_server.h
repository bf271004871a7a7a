#pragma once

// HttpServer: an HTTP/1.1 listener (Boost.Beast) that hands each request to an HttpHandler.
// A HEAD request reaches the handler as GET and is answered with that answer's headers and
// Content-Length, without its body.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/connection_limits.h"
#include "common/http.h"
#include "common/metrics.h"
#include "server/http_tls.h"

namespace spanvault {

class HttpConnectionMetrics;

struct HttpServerOptions {
  // "host:port"; port 0 picks a free port. Required.
  std::string address;
  // Name used in logs, e.g. "otlp_http".
  std::string name = "http";
  // Largest request body accepted; larger ones get 413. Default: 16 MiB.
  size_t max_body_bytes = 16 << 20;
  // Threads running the event loop. Default: 2.
  int threads = 2;
  // Threads that run the handler, apart from the event loop, so that a request that takes long
  // (a search) holds up only itself, not the other connections. 0: the handler runs on the
  // event loop's threads and must not block (it answers later through `respond`).
  int handler_threads = 0;
  // Timeouts and connection caps (a TLS handshake must finish within the header timeout).
  HttpConnectionLimits limits;
  // Where connection counts and drops are counted; null: nowhere. Must outlive the server.
  HttpConnectionMetrics* metrics = nullptr;
  // TLS on every connection; null: plaintext.
  std::shared_ptr<HttpTlsContext> tls;
  // Headers added to every response (security headers for browsers, say).
  std::vector<std::pair<std::string, std::string>> response_headers;
  // Whether a connection from this remote address is served; null: every address. A refused
  // connection gets 403 before anything is read (over TLS it is closed: there is no channel
  // yet to answer on).
  std::function<bool(const std::string& remote_address)> admit;
};

// Open connections of every HTTP listener (`spanvault_http_connections{listener}`) and the
// ones cut off (`spanvault_http_connections_dropped_total{listener,reason}`, reasons
// max_connections, max_connections_per_client, header_timeout, body_timeout, write_timeout,
// accept_error: accepting failed, out of file descriptors say).
// Thread-safe.
class HttpConnectionMetrics {
 public:
  explicit HttpConnectionMetrics(MetricsRegistry& registry);

  void Opened(const std::string& listener) ABSL_LOCKS_EXCLUDED(mu_);
  void Closed(const std::string& listener) ABSL_LOCKS_EXCLUDED(mu_);
  void Dropped(const std::string& listener, const char* reason);

 private:
  CounterFamily& dropped_;
  absl::Mutex mu_;
  std::map<std::string, int64_t> open_ ABSL_GUARDED_BY(mu_);
};

// Serves HTTP/1.1 with keep-alive and chunked bodies; answers 100-continue, oversized bodies
// (413) and unparsable requests (400) itself; connections over the caps get 503 with
// Retry-After (over TLS they are closed), and clients too slow for a timeout are disconnected.
// Thread-safe.
class HttpServer {
 public:
  // `handler` must outlive the server.
  HttpServer(HttpServerOptions options, HttpHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Returns kInvalidArgument for a malformed address and
  // kUnavailable when the address cannot be bound.
  absl::Status Start();
  // The bound "host:port" (with the real port) once Start() succeeded.
  std::string bound_address() const;
  // Stops accepting, waits up to `grace` for requests in flight to be answered, then closes
  // every connection and joins the threads. Idempotent; safe without Start().
  void Shutdown(absl::Duration grace);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" (also "[v6]:port" and ":port"). Returns kInvalidArgument naming the
// problem.
absl::Status SplitHostPort(const std::string& address, std::string* host, uint16_t* port);

}  // namespace spanvault
