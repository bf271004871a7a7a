#include "server/server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "auth/audit_log.h"
#include "auth/audit_records.h"
#include "auth/authenticator.h"
#include "auth/cidr.h"
#include "auth/identity_store.h"
#include "auth/jwt.h"
#include "auth/remote_jwks.h"
#include "collector/discard_sink.h"
#include "collector/ingest_metrics.h"
#include "collector/otlp_grpc_receiver.h"
#include "collector/otlp_http_receiver.h"
#include "journeys/journey_tap.h"
#include "query/jaeger_http_api.h"
#include "query/query_service.h"
#include "query/ui_handler.h"
#include "sampling/tail_sampler.h"
#include "server/admin_grpc_service.h"
#include "server/admin_handler.h"
#include "server/http_auth.h"
#include "server/http_server.h"
#include "server/https_get.h"
#include "server/listener_tls.h"
#include "server/ports_file.h"
#include "server/query_grpc_server.h"
#include "server/remote_storage_server.h"
#include "spanmetrics/client_metrics.h"
#include "spanmetrics/span_metrics_tap.h"
#include "spdlog/spdlog.h"
#include "storage/crypto/key_file.h"
#include "storage/retention_loop.h"
#include "storage/trace_store.h"

namespace spanvault {
namespace {
constexpr absl::Duration kShutdownGrace = absl::Seconds(10);
// Queries answered at once on the query HTTP listener (more wait for a thread).
constexpr int kQueryHandlerThreads = 8;

// Sets the store's encryption: the keys from --encryption-key-file, SPANVAULT_ENCRYPTION_KEY
// or the default key file, or plaintext for tests.
absl::Status ConfigureEncryption(const ServerConfig& config, TraceStoreOptions* options) {
  if (config.testing_no_encryption) {
    spdlog::warn("--testing-no-encryption: the trace store is written in PLAINTEXT (tests only)");
    options->testing_no_encryption = true;
    return absl::OkStatus();
  }
  KeySources sources;
  sources.key_file = config.encryption_key_file;
  if (const char* env = std::getenv(kKeyEnvVariable)) sources.env_value = env;
  sources.default_key_file = DefaultKeyFile(config.data_dir);
  sources.store_path = options->path;
  auto loaded = LoadKeys(sources);
  if (sources.env_value.has_value()) Wipe(*sources.env_value);
  if (!loaded.ok()) return loaded.status();
  const KeyRing& keys = *loaded->keys;
  if (loaded->created_default) {
    spdlog::warn(
        "no encryption key configured: created {} (mode 0600) for the data in {}; back it up, "
        "the data cannot be read without it. Production keys belong in a secret store: "
        "--encryption-key-file on a secret mount, or {}",
        sources.default_key_file, config.data_dir, kKeyEnvVariable);
  }
  spdlog::info("trace store encrypted (AES-256-CTR), new files under key id {} from {}",
               keys.newest_id(), keys.source());
  options->encryption_keys = std::move(loaded->keys);
  options->encryption_key_file = loaded->key_file;
  return absl::OkStatus();
}

// Security headers for the UI listener. HSTS only over TLS: a browser would ignore it on
// plaintext, and sending it there could lock users out once TLS is off again.
std::vector<std::pair<std::string, std::string>> BrowserHeaders(bool tls) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "SAMEORIGIN"},
      {"Content-Security-Policy", "frame-ancestors 'self'"},
      {"Referrer-Policy", "same-origin"},
  };
  if (tls) headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
  return headers;
}

}  // namespace

void Server::ReloadTls() {
  for (const auto& [name, tls] : http_tls_) {
    absl::Status s = tls->Reload();
    if (s.ok()) {
      spdlog::info("{}: TLS certificate reloaded from {}", name, tls->files().cert_file);
    } else {
      spdlog::error("{}: cannot reload TLS, keeping the previous certificate: {}", name,
                    std::string(s.message()));
    }
  }
  spdlog::info("gRPC listeners pick up changed certificate files within {}",
               absl::FormatDuration(config_.tls_reload_interval));
}

Server::Server(ServerConfig config) : config_(std::move(config)) {}

Server::~Server() { Shutdown(); }

absl::StatusOr<std::function<bool(const std::string&)>> Server::AdmitFor(const std::string& name) {
  auto it = config_.allowed_cidrs.find(name);
  if (it == config_.allowed_cidrs.end()) return std::function<bool(const std::string&)>();
  auto allowed = CidrSet::Parse(it->second);
  if (!allowed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("allowed_cidrs for ", name, ": ", allowed.status().message()));
  }
  return std::function<bool(const std::string&)>(
      [this, name, allowed = *std::move(allowed)](const std::string& remote) {
        if (allowed.Contains(remote)) return true;
        spdlog::warn("{}: refused a connection from {} (not in allowed_cidrs)", name, remote);
        if (audit_ != nullptr) {
          AuditRecord record;
          record.remote_address = remote;
          record.api = absl::StrCat(name, " connection");
          record.action = "connect";
          record.allowed = false;
          record.detail = "address not in allowed_cidrs";
          audit_->AppendRefusal(std::move(record)).IgnoreError();  // a failure is logged by the log
        }
        return false;
      });
}

absl::Status Server::StartHttp(const std::string& name, const std::string& address,
                               size_t max_body_bytes, HttpHandler& handler) {
  if (address.empty()) return absl::OkStatus();
  auto tls = HttpListenerTls(config_, name);
  if (!tls.ok()) return tls.status();
  auto admit = AdmitFor(name);
  if (!admit.ok()) return admit.status();
  HttpServerOptions options;
  options.admit = *std::move(admit);
  options.address = address;
  options.name = name;
  options.max_body_bytes = max_body_bytes;
  options.limits = config_.limits.http;
  options.metrics = &http_connections_;
  options.tls = *tls;
  if (name == "query_http") {
    options.response_headers = BrowserHeaders(*tls != nullptr);
    // Searches may take seconds; the UI's files and the other queries go on meanwhile.
    options.handler_threads = kQueryHandlerThreads;
  }
  auto server = std::make_unique<HttpServer>(options, handler);
  absl::Status s = server->Start();
  if (!s.ok()) return s;
  bound_[name] = server->bound_address();
  spdlog::info("{} listening on {} ({})", name, bound_[name], DescribeTls(config_.TlsFor(name)));
  if (*tls) http_tls_[name] = *tls;
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
  options.retention = config_.retention;
  options.memory_budget_bytes = config_.memory_limit;
  options.testing_write_buffer_bytes = config_.testing_write_buffer_bytes;
  options.metrics = &metrics_;
  absl::Status encryption = ConfigureEncryption(config_, &options);
  if (!encryption.ok()) return encryption;
  auto store = OpenRocksDbTraceStore(options);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  spdlog::info("trace store open in {}", options.path);
  TraceStore* raw = store_.get();
  metrics_.AddGauge("spanvault_storage_bytes", "Bytes the trace store occupies on disk.",
                    [raw] { return static_cast<double>(raw->BytesOnDisk()); });
  RetentionLoopOptions retention;
  retention.interval = RetentionIntervalFor(config_.retention);
  retention.max_disk_bytes = config_.max_disk_bytes;
  retention_ = std::make_unique<RetentionLoop>(retention, *store_, RealClock::Get(), metrics_);
  retention_->Start();
  spdlog::info(
      "retention {}, disk budget {}",
      config_.retention > absl::ZeroDuration() ? absl::FormatDuration(config_.retention)
                                               : "forever",
      config_.max_disk_bytes > 0 ? absl::StrCat(config_.max_disk_bytes, " bytes") : "none");
  return absl::OkStatus();
}

absl::Status Server::WriteInitialAdminPassword(const std::string& password) {
  std::string path = config_.data_dir + "/initial-admin-password";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0;
  std::string text = password + "\n";
  ok = ok && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
       ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  // Printed once, to the terminal only (never through the log).
  std::cout << "\n  spanvault: first start. User \"admin\", password: " << password
            << "\n  (also in " << path
            << ", mode 0600; change it with spanvaultctl users passwd)\n\n"
            << std::flush;
  spdlog::warn("first start: created user \"admin\"; its password is in {} (mode 0600)", path);
  return absl::OkStatus();
}

absl::Status Server::StartJwks(const OidcConfig& oidc) {
  if (!oidc.jwks_file.empty()) {
    auto keys = StaticJwksProvider::FromFile(oidc.jwks_file);
    if (!keys.ok()) return keys.status();
    jwks_ = std::move(*keys);
    return absl::OkStatus();
  }
  RemoteJwksOptions options;
  options.issuer = oidc.issuer;
  options.jwks_url = oidc.jwks_url;
  options.refresh_interval = oidc.jwks_refresh;
  options.min_fetch_interval = oidc.jwks_min_interval;
  HttpsGetOptions get;
  get.ca_file = oidc.ca_file;
  auto keys = RemoteJwksProvider::Create(
      options, [get](const std::string& url) { return HttpsGet(url, get); }, RealClock::Get(),
      [](std::string_view note) { spdlog::warn("oidc: {}", note); });
  if (!keys.ok()) return keys.status();
  // The issuer may be down at start: JWTs are refused until its keys arrive.
  if (auto first = (*keys)->Keys(); !first.ok()) {
    spdlog::error(
        "oidc: cannot fetch the signing keys yet ({}); bearer JWTs are refused until "
        "they arrive",
        std::string(first.status().message()));
  } else {
    spdlog::info("oidc: {} signing keys fetched for issuer {}", (*first)->size(), oidc.issuer);
  }
  jwks_ = std::move(*keys);
  return absl::OkStatus();
}

absl::Status Server::StartAuth() {
  auto identities = IdentityStore::Open(store_->Identities(), RealClock::Get());
  if (!identities.ok()) return identities.status();
  identities_ = std::move(*identities);
  auto password = identities_->Bootstrap();
  if (!password.ok()) return password.status();
  if (password->has_value()) {
    absl::Status written = WriteInitialAdminPassword(**password);
    if (!written.ok()) return written;
  }
  audit_ = std::make_unique<AuditLog>(store_->Audit(), RealClock::Get());
  audit_->set_on_write_error([store = store_.get()](const absl::Status& s) {
    // While the store refuses every write (a full disk) it has logged that once; not again
    // for each refused call.
    if (!store->WriteState().ok()) return;
    spdlog::error("cannot write the audit log: {}", std::string(s.message()));
  });
  absl::Status loaded = audit_->Load();
  if (!loaded.ok()) return loaded;
  const AuthConfig& auth = config_.auth;
  if (auth.oidc.enabled()) {
    absl::Status keys = StartJwks(auth.oidc);
    if (!keys.ok()) return keys;
    JwtOptions jwt;
    jwt.issuer = auth.oidc.issuer;
    jwt.audience = auth.oidc.audience;
    jwt.leeway = auth.oidc.leeway;
    jwt.subject_claim = auth.oidc.subject_claim;
    jwt.groups_claim = auth.oidc.groups_claim;
    auto verifier = JwtVerifier::Create(jwt, *jwks_, RealClock::Get());
    if (!verifier.ok()) return verifier.status();
    jwt_ = std::move(*verifier);
  }
  AuthenticatorOptions options;
  options.proxy.user_header = auth.proxy_user_header;
  options.proxy.groups_header = auth.proxy_groups_header;
  options.proxy.trusted_cidrs = auth.proxy_trusted_cidrs;
  options.group_roles = auth.group_roles;
  options.tls_users = auth.tls_users;
  options.on_note = [](std::string_view note) { spdlog::warn("auth: {}", note); };
  auto authenticator =
      Authenticator::Create(std::move(options), *identities_, jwt_.get(), RealClock::Get());
  if (!authenticator.ok()) return authenticator.status();
  authenticator_ = std::move(*authenticator);
  return absl::OkStatus();
}

absl::Status Server::KeepLeftoverPendingTraces() {
  // Traces left undecided by an earlier run that sampled: with sampling off now, keep them.
  auto pending = store_->LoadPending();
  if (!pending.ok()) return pending.status();
  if (pending->empty()) return absl::OkStatus();
  std::vector<SamplingDecision> decisions;
  for (const auto& p : *pending) {
    decisions.push_back({p.trace_id, /*keep=*/true, "sampling off", absl::Now()});
  }
  absl::Notification written;
  absl::Status status;
  store_->Decide(std::move(decisions), [&](absl::Status s) {
    status = s;
    written.Notify();
  });
  written.WaitForNotification();
  if (status.ok()) spdlog::info("kept {} traces left undecided by tail sampling", pending->size());
  return status;
}

absl::Status Server::StartSampler() {
  const sampling::SamplingConfig& config = config_.sampling;
  for (const auto& warning : config.warnings) spdlog::warn("sampling: {}", warning);
  // Runtime rules are managed through the admin API even while sampling is off.
  rules_ = std::make_unique<sampling::RuleSet>(*store_, RealClock::Get());
  absl::Status loaded = rules_->Load();
  if (!loaded.ok()) return loaded;
  if (!config.enabled()) {
    spdlog::info("tail sampling off: every trace is kept and searchable at once");
    return KeepLeftoverPendingTraces();
  }
  auto policies = sampling::BuildPolicySet(config, RealClock::Get(), &journey_source_);
  if (!policies.ok()) return policies.status();
  policies_ = std::move(*policies);
  sampling::TailSamplerOptions options;
  options.sampling = config;
  sampler_ = std::make_unique<sampling::TailSampler>(options, *policies_, rules_.get(), *store_,
                                                     RealClock::Get(), metrics_);
  absl::Status s = sampler_->Start();
  if (!s.ok()) return s;
  spdlog::info("tail sampling on: {} policies, decision_wait {}", config.policies.size(),
               absl::FormatDuration(config.decision_wait));
  return absl::OkStatus();
}

std::function<absl::Status(std::string_view, const std::string&)> Server::MakeIngestAuthorizer() {
  if (!config_.ingest_auth) return nullptr;
  return [this](std::string_view authorization, const std::string& peer) -> absl::Status {
    AuthRequest request;
    request.authorization = std::string(authorization);
    request.remote_address = peer;
    absl::StatusOr<Principal> caller = authenticator_->Authenticate(request);
    if (!caller.ok()) {
      if (authorization.empty()) return caller.status();
      absl::Status written =
          audit_->AppendRefusal(LoginFailureRecord(request, "otlp export", caller.status()));
      return written.ok() ? caller.status() : written;
    }
    if (caller->access->Allows(Action::kIngest)) return absl::OkStatus();
    absl::Status denied =
        absl::PermissionDeniedError(PermissionDeniedMessage(*caller, Action::kIngest));
    caller->api = "otlp export";
    AuditRecord record = RecordOf(*caller);
    record.action = std::string(ActionName(Action::kIngest));
    record.allowed = false;
    record.detail = std::string(denied.message());
    absl::Status written = audit_->Append(std::move(record));
    return written.ok() ? denied : written;
  };
}

absl::Status Server::StartReceivers() {
  ingest_metrics_ = std::make_unique<IngestMetrics>(metrics_);
  if (config_.memory_limit > 0) {
    MemoryLimiterOptions memory;
    memory.limit_bytes = config_.memory_limit;
    memory_ = std::make_unique<MemoryLimiter>(memory, metrics_);
    memory_->Start();
    spdlog::info("memory limit {} MiB", config_.memory_limit >> 20);
  }
  SpanSink* sink = sampler_ ? static_cast<SpanSink*>(sampler_.get()) : store_.get();
  if (config_.sink == "discard") {
    static DiscardSink discard;  // stateless, so one for the process is enough
    sink = &discard;
    spdlog::warn("--sink=discard: received spans are dropped (a benchmark-only mode)");
  } else {
    // Every acknowledged span feeds the order journeys, then the RED metrics and dependency
    // links, before sampling.
    if (!config_.flows.empty()) {
      journeys_ = std::make_unique<journeys::JourneyTap>(journeys::JourneyTapOptions{},
                                                         config_.flows, *sink, store_->Journeys(),
                                                         RealClock::Get(), metrics_);
      absl::Status s = journeys_->Start();
      if (!s.ok()) return s;
      sink = journeys_.get();
      journey_source_.Set(journeys_.get());
      spdlog::info("following {} flow(s) at ingest: /api/orders answers", config_.flows.size());
    }
    span_metrics_ = std::make_unique<spanmetrics::SpanMetricsTap>(
        spanmetrics::SpanMetricsTapOptions{}, *sink, store_->SpanMetrics(), RealClock::Get(),
        metrics_);
    span_metrics_->Start();
    sink = span_metrics_.get();
    if (!config_.client_metrics.empty()) {
      client_metrics_ = std::make_unique<spanmetrics::ClientMetricsTap>(
          config_.client_metrics, *sink, RealClock::Get(), metrics_);
      sink = client_metrics_.get();
      spdlog::info("counting requests per client for {} service(s) on /metrics",
                   config_.client_metrics.size());
    }
  }
  if (!config_.otlp_grpc_addr.empty()) {
    OtlpGrpcReceiverOptions options;
    options.address = config_.otlp_grpc_addr;
    options.max_request_bytes = static_cast<int>(config_.max_request_bytes);
    options.limits = config_.validation;
    auto credentials = GrpcListenerCredentials(config_, "otlp_grpc");
    if (!credentials.ok()) return credentials.status();
    options.credentials = *credentials;
    auto admit = AdmitFor("otlp_grpc");
    if (!admit.ok()) return admit.status();
    options.admit = *std::move(admit);
    options.authorize = MakeIngestAuthorizer();
    options.connection_limits = config_.limits.grpc;
    options.memory = memory_.get();
    otlp_grpc_ = std::make_unique<OtlpGrpcReceiver>(options, *sink, *ingest_metrics_);
    absl::Status s = otlp_grpc_->Start();
    if (!s.ok()) return s;
    bound_["otlp_grpc"] = otlp_grpc_->bound_address();
    spdlog::info("otlp_grpc listening on {} ({})", bound_["otlp_grpc"],
                 DescribeTls(config_.TlsFor("otlp_grpc")));
  }
  OtlpHttpReceiverOptions http_options;
  http_options.max_request_bytes = config_.max_request_bytes;
  http_options.limits = config_.validation;
  http_options.memory = memory_.get();
  http_options.authorize = MakeIngestAuthorizer();
  if (config_.ingest_auth)
    spdlog::info("ingest authentication on: OTLP exports need the ingest action");
  otlp_http_ = std::make_unique<OtlpHttpReceiver>(http_options, *sink, *ingest_metrics_);
  // The raw body may not exceed the decompressed limit either.
  return StartHttp("otlp_http", config_.otlp_http_addr, config_.max_request_bytes, *otlp_http_);
}

absl::Status Server::StartQuery() {
  query_service_ =
      std::make_unique<QueryService>(QueryServiceOptions{}, *store_, audit_.get(),
                                     span_metrics_.get(), store_.get(), journeys_.get());
  if (!config_.ui_dir.empty()) {
    UiCapabilities capabilities;
    capabilities.archive_storage = true;
    capabilities.dependencies = span_metrics_ != nullptr;
    capabilities.metrics_storage = span_metrics_ != nullptr;
    auto ui = UiHandler::Create(config_.ui_dir, capabilities);
    if (!ui.ok()) return ui.status();
    ui_ = std::move(*ui);
    spdlog::info("serving the Jaeger UI from {}", config_.ui_dir);
  }
  JaegerHttpApi::CallerOf caller_of;
  if (config_.insecure_no_auth) {
    spdlog::warn(
        "--insecure-no-auth: the query API and UI are served WITHOUT AUTHENTICATION; anyone who "
        "reaches {} reads every trace",
        config_.query_http_addr);
  } else {
    caller_of = MakeHttpCallerOf(*authenticator_, *audit_, "query_http");
  }
  jaeger_api_ = std::make_unique<JaegerHttpApi>(*query_service_, ui_.get(), std::move(caller_of));
  return StartHttp("query_http", config_.query_http_addr, 1 << 20, *jaeger_api_);
}

absl::Status Server::StartAdminGrpc() {
  if (config_.admin_grpc_addr.empty()) return absl::OkStatus();
  auto credentials = GrpcListenerCredentials(config_, "admin_grpc");
  if (!credentials.ok()) return credentials.status();
  auto admit = AdmitFor("admin_grpc");
  if (!admit.ok()) return admit.status();
  admin_grpc_ = std::make_unique<AdminGrpcServer>(config_.admin_grpc_addr, *rules_,
                                                  store_->key_admin(), *authenticator_, *audit_,
                                                  *identities_, *query_service_, *std::move(admit));
  absl::Status s = admin_grpc_->Start(*credentials, config_.limits.grpc);
  if (!s.ok()) return s;
  bound_["admin_grpc"] = admin_grpc_->bound_address();
  spdlog::info("admin_grpc listening on {} ({})", bound_["admin_grpc"],
               DescribeTls(config_.TlsFor("admin_grpc")));
  return absl::OkStatus();
}

// jaeger-query's storage: the end user's token it forwards ("bearer.token") identifies the
// caller; without one, its own credentials or client certificate do.
absl::Status Server::StartRemoteStorage() {
  if (config_.remote_storage_addr.empty()) return absl::OkStatus();
  auto credentials = GrpcListenerCredentials(config_, "remote_storage");
  if (!credentials.ok()) return credentials.status();
  auto admit = AdmitFor("remote_storage");
  if (!admit.ok()) return admit.status();
  Authenticator* authenticator = config_.insecure_no_auth ? nullptr : authenticator_.get();
  if (authenticator == nullptr) {
    spdlog::warn(
        "--insecure-no-auth: the remote storage API on {} is served WITHOUT "
        "AUTHENTICATION",
        config_.remote_storage_addr);
  }
  remote_storage_ = std::make_unique<RemoteStorageServer>(
      config_.remote_storage_addr, *query_service_,
      MakeQueryGrpcCallerOf(authenticator, *audit_, *std::move(admit),
                            {.listener = "remote_storage", .forwarded_bearer_token = true}));
  absl::Status s = remote_storage_->Start(*credentials, config_.limits.grpc);
  if (!s.ok()) return s;
  bound_["remote_storage"] = remote_storage_->bound_address();
  spdlog::info("remote_storage listening on {} ({})", bound_["remote_storage"],
               DescribeTls(config_.TlsFor("remote_storage")));
  return absl::OkStatus();
}

// Started last: it turns on gRPC server reflection for the servers built after it.
absl::Status Server::StartQueryGrpc() {
  if (config_.query_grpc_addr.empty()) return absl::OkStatus();
  auto credentials = GrpcListenerCredentials(config_, "query_grpc");
  if (!credentials.ok()) return credentials.status();
  auto admit = AdmitFor("query_grpc");
  if (!admit.ok()) return admit.status();
  Authenticator* authenticator = config_.insecure_no_auth ? nullptr : authenticator_.get();
  if (authenticator == nullptr) {
    spdlog::warn("--insecure-no-auth: the query gRPC API on {} is served WITHOUT AUTHENTICATION",
                 config_.query_grpc_addr);
  }
  query_grpc_ = std::make_unique<QueryGrpcServer>(
      config_.query_grpc_addr, *query_service_,
      MakeQueryGrpcCallerOf(authenticator, *audit_, *std::move(admit)));
  absl::Status s = query_grpc_->Start(*credentials, config_.limits.grpc);
  if (!s.ok()) return s;
  bound_["query_grpc"] = query_grpc_->bound_address();
  spdlog::info("query_grpc listening on {} ({})", bound_["query_grpc"],
               DescribeTls(config_.TlsFor("query_grpc")));
  return absl::OkStatus();
}

absl::Status Server::Start() {
  admin_handler_ = std::make_unique<AdminHandler>(metrics_, [this] {
    if (!ready_.load()) return absl::UnavailableError("starting or stopping");
    return store_->WriteState();  // "disk full: ..." while the store refuses writes
  });
  absl::Status s = StartHttp("admin_http", config_.admin_http_addr, 1 << 16, *admin_handler_);
  if (s.ok()) s = StartStore();
  if (s.ok()) s = StartAuth();
  if (s.ok()) s = StartSampler();
  if (s.ok()) s = StartReceivers();
  if (s.ok()) s = StartQuery();
  if (s.ok()) s = StartAdminGrpc();
  if (s.ok()) s = StartRemoteStorage();
  if (s.ok()) s = StartQueryGrpc();
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
  if (memory_) memory_->Shutdown();
  // Before the store closes: its calls in flight read from it.
  if (query_grpc_) query_grpc_->Shutdown(kShutdownGrace);
  if (remote_storage_) remote_storage_->Shutdown(kShutdownGrace);
  if (sampler_) sampler_->Shutdown();
  if (retention_) retention_->Shutdown();
  if (store_) store_->Shutdown();
  // After the store has answered every batch (the store's column families stay open until it
  // is destroyed): the last aggregates are written.
  if (span_metrics_) {
    absl::Status s = span_metrics_->Shutdown();
    if (!s.ok()) spdlog::error("cannot write the span metrics: {}", std::string(s.message()));
  }
  if (journeys_) {
    absl::Status s = journeys_->Shutdown();
    if (!s.ok()) spdlog::error("cannot write the journeys: {}", std::string(s.message()));
  }
  StopHttp("query_http");
  if (admin_grpc_) admin_grpc_->Shutdown(kShutdownGrace);
  StopHttp("admin_http");
}

}  // namespace spanvault
