#include "server/server.h"

#include "absl/strings/str_cat.h"
#include "server/admin_handler.h"
#include "server/http_server.h"
#include "server/ports_file.h"
#include "spdlog/spdlog.h"

namespace spanvault {

Server::Server(ServerConfig config) : config_(std::move(config)) {}

Server::~Server() { Shutdown(); }

absl::Status Server::StartHttp(const std::string& name, const std::string& address,
                               size_t max_body_bytes, HttpHandler& handler) {
  if (address.empty()) return absl::OkStatus();
  HttpServerOptions options;
  options.address = address;
  options.name = name;
  options.max_body_bytes = max_body_bytes;
  auto server = std::make_unique<HttpServer>(options, handler);
  absl::Status s = server->Start();
  if (!s.ok()) return s;
  bound_[name] = server->bound_address();
  spdlog::info("{} listening on {}", name, bound_[name]);
  http_servers_[name] = std::move(server);
  return absl::OkStatus();
}

absl::Status Server::Start() {
  admin_handler_ = std::make_unique<AdminHandler>(metrics_, [] { return absl::OkStatus(); });
  absl::Status s = StartHttp("admin_http", config_.admin_http_addr, 1 << 16, *admin_handler_);
  if (!s.ok()) return s;
  if (!config_.ports_file.empty()) {
    s = WritePortsFile(config_.ports_file, bound_);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void Server::Shutdown() {
  for (auto& [name, server] : http_servers_) server->Shutdown(absl::Seconds(10));
}

}  // namespace spanvault
