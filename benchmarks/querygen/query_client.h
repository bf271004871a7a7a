#pragma once

// A Jaeger query API client for the benchmarks: plain HTTP/1.1 GETs on one keep-alive
// connection (Boost.Beast, synchronous), the way one UI tab or script asks.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace spanvault::bench {

struct QueryClientOptions {
  // Loopback "ip:port" of spanvault's query_http listener (target.h checks it).
  std::string target;
  // The Authorization header's value ("Bearer svt_...", "Basic ..."); empty: none sent.
  std::string authorization;
  // Deadline of one request, connecting included. Default: 10 s.
  absl::Duration timeout = absl::Seconds(10);
};

// One GET's answer. `status` 0 with `transport` set when no answer came.
struct QueryAnswer {
  int status = 0;
  std::string body;
  std::string transport;
};

// Not thread-safe; owned by one thread (one connection).
class QueryClient {
 public:
  virtual ~QueryClient() = default;
  // GETs `path_and_query`; reconnects after a transport failure or a "Connection: close".
  virtual QueryAnswer Get(const std::string& path_and_query) = 0;
};

// Connected; kInvalidArgument for a target that is not an IP and port, kUnavailable when it
// cannot be reached.
absl::StatusOr<std::unique_ptr<QueryClient>> NewQueryClient(const QueryClientOptions& options);

}  // namespace spanvault::bench
