#pragma once

// Server: the composition root. The only place that knows every concrete class.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/http.h"
#include "common/metrics.h"
#include "sampling/flow_status_policy.h"
#include "server/config.h"
#include "server/http_server.h"

namespace spanvault {

class AdminGrpcServer;
class AuditLog;
class Authenticator;
class IdentityStore;
class JwksProvider;
class JwtVerifier;
class AdminHandler;
class HttpTlsContext;
class IngestMetrics;
class MemoryLimiter;
class JaegerHttpApi;
class OtlpGrpcReceiver;
class OtlpHttpReceiver;
class QueryGrpcServer;
class QueryService;
class RemoteStorageServer;
class RetentionLoop;
class TraceStore;
namespace spanmetrics {
class ClientMetricsTap;
class SpanMetricsTap;
}  // namespace spanmetrics
namespace journeys {
class JourneyTap;
}  // namespace journeys
namespace sampling {
class PolicySet;
class RuleSet;
class TailSampler;
}  // namespace sampling

// Builds the store, the receivers and the query API from a ServerConfig and owns them. Not
// thread-safe; driven by main().
class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();

  // Opens the store, starts every listener, then writes the ports file. On error the caller
  // still calls Shutdown().
  absl::Status Start();
  // Stops the receivers (answering requests in flight) and the query gRPC and remote-storage
  // listeners (their calls in flight finish), drains and closes the store, then stops the query
  // HTTP and admin listeners. Idempotent.
  void Shutdown();
  // Reloads the HTTP listeners' TLS certificates now (SIGHUP); the gRPC listeners pick up
  // changed files within tls_reload_interval. A failed reload keeps the old certificate.
  void ReloadTls();

 private:
  absl::Status StartStore();
  // The OIDC signing keys: a file, or fetched from the issuer (server/https_get.h).
  absl::Status StartJwks(const OidcConfig& oidc);
  absl::Status StartAuth();
  absl::Status WriteInitialAdminPassword(const std::string& password);
  absl::Status StartSampler();
  absl::Status KeepLeftoverPendingTraces();
  absl::Status StartReceivers();
  absl::Status StartQuery();
  absl::Status StartAdminGrpc();
  absl::Status StartRemoteStorage();
  absl::Status StartQueryGrpc();
  absl::Status StartHttp(const std::string& name, const std::string& address, size_t max_body_bytes,
                         HttpHandler& handler);
  void StopHttp(const std::string& name);
  // Who listener `name` serves (config allowed_cidrs): null for everyone, else a check that
  // also audits each refused address. kInvalidArgument naming the listener for a bad block.
  absl::StatusOr<std::function<bool(const std::string&)>> AdmitFor(const std::string& name);
  // The OTLP receivers' check with --ingest-auth (failed logins audited); null without it.
  std::function<absl::Status(std::string_view, const std::string&)> MakeIngestAuthorizer();

  const ServerConfig config_;
  MetricsRegistry metrics_;
  HttpConnectionMetrics http_connections_{metrics_};
  std::atomic<bool> ready_{false};
  std::unique_ptr<TraceStore> store_;
  std::unique_ptr<RetentionLoop> retention_;
  std::unique_ptr<IdentityStore> identities_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<JwksProvider> jwks_;
  std::unique_ptr<JwtVerifier> jwt_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<sampling::RuleSet> rules_;
  // flow_status reads the journey tap, which is built after the sampler it feeds.
  sampling::JourneySource journey_source_;
  std::unique_ptr<sampling::PolicySet> policies_;
  std::unique_ptr<sampling::TailSampler> sampler_;
  std::unique_ptr<journeys::JourneyTap> journeys_;
  std::unique_ptr<spanmetrics::SpanMetricsTap> span_metrics_;
  std::unique_ptr<spanmetrics::ClientMetricsTap> client_metrics_;
  std::unique_ptr<IngestMetrics> ingest_metrics_;
  std::unique_ptr<MemoryLimiter> memory_;
  std::unique_ptr<OtlpGrpcReceiver> otlp_grpc_;
  std::unique_ptr<OtlpHttpReceiver> otlp_http_;
  std::unique_ptr<QueryService> query_service_;
  std::unique_ptr<HttpHandler> ui_;
  std::unique_ptr<JaegerHttpApi> jaeger_api_;
  std::unique_ptr<QueryGrpcServer> query_grpc_;
  std::unique_ptr<RemoteStorageServer> remote_storage_;
  std::unique_ptr<AdminHandler> admin_handler_;
  std::unique_ptr<AdminGrpcServer> admin_grpc_;
  std::map<std::string, std::unique_ptr<HttpServer>> http_servers_;
  std::map<std::string, std::shared_ptr<HttpTlsContext>> http_tls_;
  std::map<std::string, std::string> bound_;
};

}  // namespace spanvault
