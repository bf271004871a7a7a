#pragma once

// Server: the composition root. The only place that knows every concrete class.

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/http.h"
#include "common/metrics.h"
#include "server/config.h"

namespace spanvault {

class HttpServer;
class AdminHandler;

// Builds the store, the receivers and the query API from a ServerConfig and owns them. Not
// thread-safe; driven by main().
class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();

  // Opens the store and starts every listener, then writes the ports file. On error the
  // caller still calls Shutdown().
  absl::Status Start();
  // Stops the listeners (answering requests in flight), flushes and closes the store.
  // Idempotent.
  void Shutdown();

 private:
  absl::Status StartHttp(const std::string& name, const std::string& address,
                         size_t max_body_bytes, HttpHandler& handler);

  const ServerConfig config_;
  MetricsRegistry metrics_;
  std::unique_ptr<AdminHandler> admin_handler_;
  std::map<std::string, std::unique_ptr<HttpServer>> http_servers_;
  std::map<std::string, std::string> bound_;
};

}  // namespace spanvault
