#include "server/server.h"

#include "absl/strings/str_cat.h"
#include "collector/ingest_metrics.h"
#include "collector/otlp_grpc_receiver.h"
#include "collector/otlp_http_receiver.h"
#include "query/jaeger_http_api.h"
#include "query/query_service.h"
#include "query/ui_handler.h"
#include "server/admin_handler.h"
#include "server/http_server.h"
#include "server/ports_file.h"
#include "spdlog/spdlog.h"
#include "storage/trace_store.h"

namespace spanvault {
namespace {
constexpr absl::Duration kShutdownGrace = absl::Seconds(10);
}  // namespace

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

void Server::StopHttp(const std::string& name) {
  auto it = http_servers_.find(name);
  if (it != http_servers_.end()) it->second->Shutdown(kShutdownGrace);
}

absl::Status Server::StartStore() {
  TraceStoreOptions options;
  options.path = config_.data_dir + "/traces";
  options.indexed_attributes = config_.indexed_attributes;
  options.sync_writes = config_.sync_writes;
  options.max_pending_spans = config_.max_pending_spans;
  auto store = OpenRocksDbTraceStore(options);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  spdlog::info("trace store open in {}", options.path);
  TraceStore* raw = store_.get();
  metrics_.AddGauge("spanvault_storage_bytes", "Bytes the trace store occupies on disk.",
                    [raw] { return static_cast<double>(raw->BytesOnDisk()); });
  return absl::OkStatus();
}

absl::Status Server::StartReceivers() {
  ingest_metrics_ = std::make_unique<IngestMetrics>(metrics_);
  if (!config_.otlp_grpc_addr.empty()) {
    OtlpGrpcReceiverOptions options;
    options.address = config_.otlp_grpc_addr;
    options.max_request_bytes = static_cast<int>(config_.max_request_bytes);
    otlp_grpc_ = std::make_unique<OtlpGrpcReceiver>(options, *store_, *ingest_metrics_);
    absl::Status s = otlp_grpc_->Start();
    if (!s.ok()) return s;
    bound_["otlp_grpc"] = otlp_grpc_->bound_address();
    spdlog::info("otlp_grpc listening on {}", bound_["otlp_grpc"]);
  }
  OtlpHttpReceiverOptions http_options;
  http_options.max_request_bytes = config_.max_request_bytes;
  otlp_http_ = std::make_unique<OtlpHttpReceiver>(http_options, *store_, *ingest_metrics_);
  // The raw body may not exceed the decompressed limit either.
  return StartHttp("otlp_http", config_.otlp_http_addr, config_.max_request_bytes, *otlp_http_);
}

absl::Status Server::StartQuery() {
  query_service_ = std::make_unique<QueryService>(QueryServiceOptions{}, *store_);
  if (!config_.ui_dir.empty()) {
    auto ui = UiHandler::Create(config_.ui_dir, UiCapabilities{});
    if (!ui.ok()) return ui.status();
    ui_ = std::move(*ui);
    spdlog::info("serving the Jaeger UI from {}", config_.ui_dir);
  }
  jaeger_api_ = std::make_unique<JaegerHttpApi>(*query_service_, ui_.get());
  spdlog::warn("the query API and UI are served without authentication{}",
               config_.insecure_no_auth ? " (--insecure-no-auth)"
                                        : "; authentication is not implemented yet");
  return StartHttp("query_http", config_.query_http_addr, 1 << 20, *jaeger_api_);
}

absl::Status Server::Start() {
  admin_handler_ = std::make_unique<AdminHandler>(metrics_, [this] {
    return ready_.load() ? absl::OkStatus() : absl::UnavailableError("starting or stopping");
  });
  absl::Status s = StartHttp("admin_http", config_.admin_http_addr, 1 << 16, *admin_handler_);
  if (s.ok()) s = StartStore();
  if (s.ok()) s = StartReceivers();
  if (s.ok()) s = StartQuery();
  if (s.ok() && !config_.ports_file.empty()) s = WritePortsFile(config_.ports_file, bound_);
  if (!s.ok()) return s;
  ready_.store(true);
  spdlog::info("spanvault ready, data in {}", config_.data_dir);
  return absl::OkStatus();
}

void Server::Shutdown() {
  ready_.store(false);
  if (otlp_grpc_) otlp_grpc_->Shutdown(kShutdownGrace);
  StopHttp("otlp_http");
  if (store_) store_->Shutdown();
  StopHttp("query_http");
  StopHttp("admin_http");
}

}  // namespace spanvault
