#include "server/config.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <tuple>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/byte_size.h"
#include "common/duration.h"
#include "journeys/flow_config.h"
#include "server/yaml_read.h"
#include "yaml-cpp/yaml.h"

namespace spanvault {

std::vector<std::string> DefaultIndexedAttributes() {
  return {"order_id", "user_id", "client_id", "error", "http.response.status_code",
          "http.request.method", "http.route", "url.path", "messaging.system",
          "messaging.destination.name",
          // Older semantic-convention names that instrumentations still emit.
          "messaging.destination", "http.method", "http.status_code", "http.url", "http.target"};
}

const std::vector<std::string>& ListenerNames() {
  static const std::vector<std::string> kNames = {"otlp_grpc",  "otlp_http",      "query_http",
                                                  "query_grpc", "remote_storage", "admin_http",
                                                  "admin_grpc"};
  return kNames;
}

TlsFiles ServerConfig::TlsFor(const std::string& name) const {
  TlsFiles files{tls_cert, tls_key, tls_client_ca};
  auto it = tls_listeners.find(name);
  if (it == tls_listeners.end()) return files;
  const ListenerTls& own = it->second;
  if (!own.enabled) return TlsFiles{};
  if (own.cert) files.cert_file = *own.cert;
  if (own.key) files.key_file = *own.key;
  if (own.client_ca) files.client_ca_file = *own.client_ca;
  return files;
}

namespace {

// kInvalidArgument when a key of `by_listener` (config key `key`) names no listener.
template <typename Map>
absl::Status CheckListenerNames(const std::string& key, const Map& by_listener) {
  const auto& names = ListenerNames();
  for (const auto& [name, unused] : by_listener) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          key, ": unknown listener \"", name, "\" (one of ", absl::StrJoin(names, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTls(const ServerConfig& c) {
  absl::Status names = CheckListenerNames("tls_listeners", c.tls_listeners);
  if (!names.ok()) return names;
  for (const auto& name : ListenerNames()) {
    TlsFiles files = c.TlsFor(name);
    if (files.cert_file.empty() != files.key_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TLS for ", name, " needs both a certificate (tls_cert) and its key (tls_key)"));
    }
    if (!files.enabled() && files.mutual()) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS for ", name, ": tls_client_ca needs tls_cert and tls_key too"));
    }
  }
  if (c.tls_reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("tls_reload_interval must be at least 1s");
  }
  return absl::OkStatus();
}

}  // namespace

// Every flow a flow_status policy names is configured.
absl::Status ValidateFlowStatus(const ServerConfig& c) {
  std::set<std::string> flows;
  for (const auto& flow : c.flows) flows.insert(flow.name);
  for (size_t i = 0; i < c.sampling.policies.size(); ++i) {
    const auto& policy = c.sampling.policies[i];
    if (policy.type != sampling::PolicyType::kFlowStatus) continue;
    std::string path = absl::StrCat("sampling.policies[", i, "]");
    if (flows.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": a flow_status policy needs the flows section"));
    }
    for (const std::string& flow : policy.flow_status.flows) {
      if (!flows.contains(flow)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".flow_status.flows: unknown flow \"", flow, "\""));
      }
    }
  }
  return absl::OkStatus();
}

namespace {

// Each entry is in range, and no (service, attribute) pair is counted twice.
absl::Status ValidateClientMetrics(const ServerConfig& c) {
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < c.client_metrics.size(); ++i) {
    const auto& spec = c.client_metrics[i];
    std::string path = absl::StrCat("client_metrics[", i, "]");
    absl::Status s = spanmetrics::ValidateClientMetricsSpec(spec, path);
    if (!s.ok()) return s;
    if (!seen.insert({spec.service, spec.attribute}).second) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": service \"", spec.service,
                                                     "\" with attribute \"", spec.attribute,
                                                     "\" is already counted"));
    }
  }
  return absl::OkStatus();
}

// The bounds of the `validation` section. Below 16 bytes a truncated value or name says nothing
// (and a cut at a UTF-8 boundary backs off up to 3 bytes). Above 2^31 - 1 nothing is ever cut
// or dropped: protobuf parses no message over 2 GiB, so no value, name or list can be longer;
// and the counts are `int`s.
constexpr uint64_t kMinValidationBytes = 16;
constexpr uint64_t kMaxValidationLimit = INT32_MAX;

// The keys of the `validation` section with their values in `v` and their smallest values.
// Negative counts wrap to huge values and fail the upper bound.
std::vector<std::tuple<const char*, uint64_t, uint64_t>> ValidationFields(
    const ValidationLimits& v) {
  return {
      {"max_attribute_value_bytes", v.max_attribute_value_bytes, kMinValidationBytes},
      {"max_name_bytes", v.max_name_bytes, kMinValidationBytes},
      {"max_attributes", static_cast<uint64_t>(v.max_attributes), 1},
      {"max_events_per_span", static_cast<uint64_t>(v.max_events_per_span), 1},
      {"max_links_per_span", static_cast<uint64_t>(v.max_links_per_span), 1},
      {"max_values_per_span", static_cast<uint64_t>(v.max_values_per_span), 1},
  };
}

absl::Status CheckValidationLimit(const std::string& key, uint64_t value, uint64_t min) {
  if (value >= min && value <= kMaxValidationLimit) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("validation.", key, " must be between ", min, " and ", kMaxValidationLimit));
}

absl::Status ValidateValidationLimits(const ValidationLimits& v) {
  for (const auto& [key, value, min] : ValidationFields(v)) {
    absl::Status s = CheckValidationLimit(key, value, min);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ServerConfig::Validate() const {
  if (data_dir.empty()) return absl::InvalidArgumentError("data_dir must not be empty");
  if (max_request_bytes < 1024) {
    return absl::InvalidArgumentError("max_request_bytes must be at least 1024");
  }
  if (memory_limit != 0 && memory_limit < (uint64_t{64} << 20)) {
    return absl::InvalidArgumentError("memory_limit must be at least 64MiB (0: no limit)");
  }
  if (max_pending_spans < 1) {
    return absl::InvalidArgumentError("max_pending_spans must be at least 1");
  }
  if (testing_write_buffer_bytes != 0 && testing_write_buffer_bytes < 65536) {
    // RocksDB would silently raise it to 64 KiB.
    return absl::InvalidArgumentError(
        "testing_write_buffer_bytes must be 0 (production sizes) or at least 65536");
  }
  if (retention < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("retention must not be negative (0 keeps spans forever)");
  }
  if (retention > absl::ZeroDuration() && retention < absl::Seconds(1)) {
    return absl::InvalidArgumentError("retention must be at least 1s (0 keeps spans forever)");
  }
  if (sink != "rocksdb" && sink != "discard") {
    return absl::InvalidArgumentError(
        absl::StrCat("sink \"", sink, "\" is not one of rocksdb|discard"));
  }
  absl::Status connection_limits = limits.Validate();
  if (!connection_limits.ok()) return connection_limits;
  absl::Status validation_limits = ValidateValidationLimits(validation);
  if (!validation_limits.ok()) return validation_limits;
  absl::Status tls = ValidateTls(*this);
  if (!tls.ok()) return tls;
  absl::Status flow_status = ValidateFlowStatus(*this);
  if (!flow_status.ok()) return flow_status;
  absl::Status clients = ValidateClientMetrics(*this);
  if (!clients.ok()) return clients;
  absl::Status cidrs = CheckListenerNames("allowed_cidrs", allowed_cidrs);
  if (!cidrs.ok()) return cidrs;
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!kLevels.count(log_level)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "log_level \"", log_level, "\" is not one of trace|debug|info|warn|error|off"));
  }
  return absl::OkStatus();
}

namespace {

// The `limits` section (common/connection_limits.h): flat keys, durations as Go durations.
absl::Status ReadLimits(const YAML::Node& node, ConnectionLimits* out) {
  if (!node.IsMap()) return absl::InvalidArgumentError("config key \"limits\" must be a mapping");
  const std::map<std::string, absl::Duration*> durations = {
      {"http_idle_timeout", &out->http.idle_timeout},
      {"http_header_timeout", &out->http.header_timeout},
      {"http_body_timeout", &out->http.body_timeout},
      {"http_write_timeout", &out->http.write_timeout},
      {"grpc_max_connection_idle", &out->grpc.max_connection_idle},
      {"grpc_max_connection_age", &out->grpc.max_connection_age},
      {"grpc_min_ping_interval", &out->grpc.min_ping_interval},
  };
  const std::map<std::string, uint32_t*> counts = {
      {"max_connections", &out->http.max_connections},
      {"max_connections_per_client", &out->http.max_connections_per_client},
      {"grpc_max_concurrent_streams", &out->grpc.max_concurrent_streams},
      {"grpc_max_metadata_bytes", &out->grpc.max_metadata_bytes},
  };
  for (const auto& field : node) {
    std::string key = field.first.as<std::string>();
    std::string path = absl::StrCat("limits.", key);
    absl::Status s;
    if (key == "grpc_accept_compressed") {
      s = ReadScalar(field.second, path, &out->grpc.accept_compressed);
    } else if (auto d = durations.find(key); d != durations.end()) {
      s = ReadDuration(field.second, path, d->second);
    } else if (auto c = counts.find(key); c != counts.end()) {
      int64_t n = 0;
      s = ReadScalar(field.second, path, &n);
      if (s.ok() && (n < 0 || n > INT32_MAX)) {
        s = absl::InvalidArgumentError(
            absl::StrCat("config key \"", path, "\" must be between 0 and ", INT32_MAX));
      }
      if (s.ok()) *c->second = static_cast<uint32_t>(n);
    } else {
      s = absl::InvalidArgumentError(absl::StrCat("unknown config key \"", path, "\""));
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// The `validation` section (collector/otlp_validate.h): flat keys, byte sizes as memory_limit
// takes them ("64KiB"), counts as whole numbers. Each value is range-checked here, before it is
// narrowed to its field's type, and again by Validate.
absl::Status ReadValidation(const YAML::Node& node, ValidationLimits* out) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError("config key \"validation\" must be a mapping");
  }
  const std::map<std::string, size_t*> byte_sizes = {
      {"max_attribute_value_bytes", &out->max_attribute_value_bytes},
      {"max_name_bytes", &out->max_name_bytes},
  };
  // Setters, since the counts are not all of one type.
  const std::map<std::string, std::function<void(int64_t)>> counts = {
      {"max_attributes", [out](int64_t n) { out->max_attributes = static_cast<int>(n); }},
      {"max_events_per_span", [out](int64_t n) { out->max_events_per_span = static_cast<int>(n); }},
      {"max_links_per_span", [out](int64_t n) { out->max_links_per_span = static_cast<int>(n); }},
      {"max_values_per_span", [out](int64_t n) { out->max_values_per_span = n; }},
  };
  for (const auto& field : node) {
    std::string key = field.first.as<std::string>();
    std::string path = absl::StrCat("validation.", key);
    absl::Status s;
    if (auto b = byte_sizes.find(key); b != byte_sizes.end()) {
      uint64_t bytes = 0;
      s = ReadByteSize(field.second, path, &bytes);
      if (s.ok()) s = CheckValidationLimit(key, bytes, kMinValidationBytes);
      if (s.ok()) *b->second = static_cast<size_t>(bytes);
    } else if (auto c = counts.find(key); c != counts.end()) {
      int64_t n = 0;
      s = ReadScalar(field.second, path, &n);
      // A negative count wraps to a huge one, which the check refuses.
      if (s.ok()) s = CheckValidationLimit(key, static_cast<uint64_t>(n), 1);
      if (s.ok()) c->second(n);
    } else {
      s = absl::InvalidArgumentError(absl::StrCat("unknown config key \"", path, "\""));
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// tls_listeners: {NAME: {cert: F, key: F, client_ca: F, enabled: BOOL}}.
absl::Status ReadListenerTls(const YAML::Node& node, std::map<std::string, ListenerTls>* out) {
  if (!node.IsMap())
    return absl::InvalidArgumentError("config key \"tls_listeners\" must be a mapping");
  for (const auto& listener : node) {
    std::string name = listener.first.as<std::string>();
    std::string where = absl::StrCat("tls_listeners.", name);
    if (!listener.second.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config key \"", where, "\" must be a mapping"));
    }
    ListenerTls tls;
    for (const auto& field : listener.second) {
      std::string key = field.first.as<std::string>();
      std::string path = absl::StrCat(where, ".", key);
      absl::Status s;
      std::string text;
      if (key == "enabled") {
        s = ReadScalar(field.second, path, &tls.enabled);
      } else if (key == "cert" || key == "key" || key == "client_ca") {
        s = ReadScalar(field.second, path, &text);
        (key == "cert" ? tls.cert : key == "key" ? tls.key : tls.client_ca) = text;
      } else {
        s = absl::InvalidArgumentError(absl::StrCat("unknown config key \"", path,
                                                    "\" (one of cert, key, client_ca, enabled)"));
      }
      if (!s.ok()) return s;
    }
    (*out)[name] = tls;
  }
  return absl::OkStatus();
}

absl::Status ReadClientMetricsField(const std::string& key, const YAML::Node& value,
                                    const std::string& path, spanmetrics::ClientMetricsSpec* spec) {
  if (key == "service") return ReadScalar(value, path, &spec->service);
  if (key == "attribute") return ReadScalar(value, path, &spec->attribute);
  if (key == "top") return ReadScalar(value, path, &spec->top);
  if (key == "max_clients") return ReadScalar(value, path, &spec->max_clients);
  if (key == "window") return ReadDuration(value, path, &spec->window);
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown config key \"", path, "\" (one of service, attribute, top, window, max_clients)"));
}

// client_metrics: [{service: S, attribute: A, top: N, window: D, max_clients: M}, ...].
// Ranges are checked by Validate.
absl::Status ReadClientMetrics(const YAML::Node& node,
                               std::vector<spanmetrics::ClientMetricsSpec>* out) {
  if (!node.IsSequence()) {
    return absl::InvalidArgumentError("config key \"client_metrics\" must be a list");
  }
  out->clear();
  for (size_t i = 0; i < node.size(); ++i) {
    std::string where = absl::StrCat("client_metrics[", i, "]");
    if (!node[i].IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config key \"", where, "\" must be a mapping"));
    }
    spanmetrics::ClientMetricsSpec spec;
    for (const auto& field : node[i]) {
      std::string key = field.first.as<std::string>();
      absl::Status s =
          ReadClientMetricsField(key, field.second, absl::StrCat(where, ".", key), &spec);
      if (!s.ok()) return s;
    }
    out->push_back(std::move(spec));
  }
  return absl::OkStatus();
}

absl::Status ApplyKey(const std::string& key, const YAML::Node& value, ServerConfig* c) {
  std::map<std::string, std::string*> strings = {
      {"data_dir", &c->data_dir},
      {"otlp_grpc_addr", &c->otlp_grpc_addr},
      {"otlp_http_addr", &c->otlp_http_addr},
      {"query_http_addr", &c->query_http_addr},
      {"query_grpc_addr", &c->query_grpc_addr},
      {"remote_storage_addr", &c->remote_storage_addr},
      {"admin_http_addr", &c->admin_http_addr},
      {"admin_grpc_addr", &c->admin_grpc_addr},
      {"ui_dir", &c->ui_dir},
      {"ports_file", &c->ports_file},
      {"log_level", &c->log_level},
      {"encryption_key_file", &c->encryption_key_file},
      {"sink", &c->sink},
      {"tls_cert", &c->tls_cert},
      {"tls_key", &c->tls_key},
      {"tls_client_ca", &c->tls_client_ca},
  };
  if (auto it = strings.find(key); it != strings.end()) return ReadScalar(value, key, it->second);
  if (key == "insecure_no_auth") return ReadScalar(value, key, &c->insecure_no_auth);
  if (key == "sync_writes") return ReadScalar(value, key, &c->sync_writes);
  if (key == "ingest_auth") return ReadScalar(value, key, &c->ingest_auth);
  if (key == "testing_no_encryption") return ReadScalar(value, key, &c->testing_no_encryption);
  if (key == "testing_write_buffer_bytes") {
    return ReadScalar(value, key, &c->testing_write_buffer_bytes);
  }
  if (key == "max_request_bytes") return ReadByteSize(value, key, &c->max_request_bytes);
  if (key == "max_pending_spans") return ReadScalar(value, key, &c->max_pending_spans);
  if (key == "memory_limit") return ReadByteSize(value, key, &c->memory_limit);
  if (key == "retention") return ReadDuration(value, key, &c->retention);
  if (key == "max_disk_bytes") return ReadByteSize(value, key, &c->max_disk_bytes);
  if (key == "indexed_attributes") return ReadScalar(value, key, &c->indexed_attributes);
  if (key == "tls_listeners") return ReadListenerTls(value, &c->tls_listeners);
  if (key == "limits") return ReadLimits(value, &c->limits);
  if (key == "validation") return ReadValidation(value, &c->validation);
  if (key == "auth") return ParseAuthConfig(value, &c->auth);
  if (key == "allowed_cidrs") return ReadScalar(value, key, &c->allowed_cidrs);
  if (key == "tls_reload_interval") return ReadDuration(value, key, &c->tls_reload_interval);
  if (key == "client_metrics") return ReadClientMetrics(value, &c->client_metrics);
  if (key == "flows") {
    auto flows = journeys::ParseFlows(value);
    if (!flows.ok()) return flows.status();
    c->flows = std::move(*flows);
    return absl::OkStatus();
  }
  if (key == "sampling") {
    auto sampling = sampling::ParseSamplingConfig(value);
    if (!sampling.ok()) return sampling.status();
    c->sampling = std::move(*sampling);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown config key \"", key, "\""));
}

}  // namespace

absl::Status ApplyYamlConfig(const std::string& yaml_text, ServerConfig* config) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config is not valid YAML: ", e.what()));
  }
  if (root.IsNull()) return absl::OkStatus();
  if (!root.IsMap()) return absl::InvalidArgumentError("config must be a YAML mapping");
  try {
    for (const auto& entry : root) {
      // A complex key (`? {a: b}`) is valid YAML but no config key.
      if (!entry.first.IsScalar()) {
        return absl::InvalidArgumentError(absl::StrCat("config keys must be plain names (line ",
                                                       entry.first.Mark().line + 1, ")"));
      }
      absl::Status s = ApplyKey(entry.first.Scalar(), entry.second, config);
      if (!s.ok()) return s;
    }
  } catch (const YAML::Exception& e) {
    // Every reader checks node types first; this guards the rest (a complex key deeper down).
    return absl::InvalidArgumentError(absl::StrCat("config: ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> ParseServerConfig(int argc, char** argv, std::string* help) {
  ServerConfig defaults;
  ServerConfig flags;
  std::string config_file;
  CLI::App app{"spanvault: OTLP trace collector and store with a Jaeger-compatible query API"};
  app.footer("Subcommand: spanvault keygen --out FILE writes a new encryption key file (0600).");
  app.add_option("--config", config_file, "YAML config file (flags win over it)");
  app.add_option("--data-dir", flags.data_dir, "data directory")->capture_default_str();
  app.add_option("--otlp-grpc-addr", flags.otlp_grpc_addr,
                 "OTLP/gRPC listen address; empty disables");
  app.add_option("--otlp-http-addr", flags.otlp_http_addr,
                 "OTLP/HTTP listen address; empty disables");
  app.add_option("--query-http-addr", flags.query_http_addr, "Jaeger HTTP API and UI address");
  app.add_option("--query-grpc-addr", flags.query_grpc_addr,
                 "Jaeger gRPC query address (api_v2, api_v3); empty disables");
  app.add_option("--remote-storage-addr", flags.remote_storage_addr,
                 "Jaeger remote storage gRPC API for jaeger-query; empty disables");
  app.add_option("--admin-http-addr", flags.admin_http_addr, "/metrics, /healthz, /readyz address");
  app.add_option("--admin-grpc-addr", flags.admin_grpc_addr, "admin API address (spanvaultctl)");
  app.add_option("--ui-dir", flags.ui_dir, "serve the Jaeger UI bundle from this directory");
  app.add_option("--ports-file", flags.ports_file, "write the bound addresses here as JSON");
  app.add_flag("--insecure-no-auth", flags.insecure_no_auth,
               "serve queries without authentication");
  app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error|off");
  std::string max_request_bytes;
  app.add_option("--max-request-bytes", max_request_bytes,
                 "largest OTLP request after decompression, e.g. 16MiB (default)");
  app.add_flag("--sync-writes", flags.sync_writes, "fsync the WAL before acknowledging");
  app.add_flag("--ingest-auth", flags.ingest_auth,
               "OTLP receivers require credentials with the ingest action");
  app.add_option("--encryption-key-file", flags.encryption_key_file,
                 "key file for encryption at rest (mode 0600; see `spanvault keygen`)");
  // Tests only, so not in --help: the plaintext hunt's negative control.
  app.add_flag("--testing-no-encryption", flags.testing_no_encryption)->group("");
  // Tests only: tiny memtables, so the crash torture's kills land mid-flush and mid-compaction.
  app.add_option("--testing-write-buffer-bytes", flags.testing_write_buffer_bytes)->group("");
  app.add_option("--sink", flags.sink,
                 "rocksdb, or discard (benchmarks only: drop what is received)");
  app.add_option("--tls-cert", flags.tls_cert, "TLS certificate chain (PEM) for every listener");
  app.add_option("--tls-key", flags.tls_key, "the certificate's private key (PEM, mode 0600)");
  app.add_option("--tls-client-ca", flags.tls_client_ca,
                 "require client certificates signed by these CAs (PEM): mutual TLS");
  std::string retention;
  app.add_option("--retention", retention,
                 "how long spans are kept, e.g. 168h (default; 0: forever; archived traces stay)");
  std::string max_disk_bytes;
  app.add_option("--max-disk-bytes", max_disk_bytes,
                 "disk budget of the trace store, e.g. 50GiB; over it the oldest spans go "
                 "(default 0: none)");
  std::string memory_limit;
  app.add_option(
      "--memory-limit", memory_limit,
      "memory budget, e.g. 1GiB (default); exports get \"retry later\" near it; 0: none");
  std::string reload_interval;
  app.add_option("--tls-reload-interval", reload_interval,
                 "how often changed certificate files are picked up (default 10s; SIGHUP: now)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    *help = app.help();
    return defaults;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }

  ServerConfig config;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read --config file ", config_file));
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::Status s = ApplyYamlConfig(text.str(), &config);
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(config_file, ": ", s.message()));
  }
  auto given = [&app](const char* name) { return app.count(name) > 0; };
  if (given("--data-dir")) config.data_dir = flags.data_dir;
  if (given("--otlp-grpc-addr")) config.otlp_grpc_addr = flags.otlp_grpc_addr;
  if (given("--otlp-http-addr")) config.otlp_http_addr = flags.otlp_http_addr;
  if (given("--query-http-addr")) config.query_http_addr = flags.query_http_addr;
  if (given("--query-grpc-addr")) config.query_grpc_addr = flags.query_grpc_addr;
  if (given("--remote-storage-addr")) config.remote_storage_addr = flags.remote_storage_addr;
  if (given("--admin-http-addr")) config.admin_http_addr = flags.admin_http_addr;
  if (given("--admin-grpc-addr")) config.admin_grpc_addr = flags.admin_grpc_addr;
  if (given("--ui-dir")) config.ui_dir = flags.ui_dir;
  if (given("--ports-file")) config.ports_file = flags.ports_file;
  if (given("--insecure-no-auth")) config.insecure_no_auth = flags.insecure_no_auth;
  if (given("--log-level")) config.log_level = flags.log_level;
  if (given("--sync-writes")) config.sync_writes = flags.sync_writes;
  if (given("--ingest-auth")) config.ingest_auth = flags.ingest_auth;
  if (given("--encryption-key-file")) config.encryption_key_file = flags.encryption_key_file;
  if (given("--testing-no-encryption")) config.testing_no_encryption = flags.testing_no_encryption;
  if (given("--testing-write-buffer-bytes")) {
    config.testing_write_buffer_bytes = flags.testing_write_buffer_bytes;
  }
  if (given("--sink")) config.sink = flags.sink;
  if (given("--tls-cert")) config.tls_cert = flags.tls_cert;
  if (given("--tls-key")) config.tls_key = flags.tls_key;
  if (given("--tls-client-ca")) config.tls_client_ca = flags.tls_client_ca;
  for (auto [name, text, out] :
       {std::tuple{"--max-request-bytes", &max_request_bytes, &config.max_request_bytes},
        std::tuple{"--max-disk-bytes", &max_disk_bytes, &config.max_disk_bytes},
        std::tuple{"--memory-limit", &memory_limit, &config.memory_limit}}) {
    if (!given(name)) continue;
    auto bytes = ParseByteSize(*text);
    if (!bytes.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", bytes.status().message()));
    }
    *out = *bytes;
  }
  for (auto [name, text, out] :
       {std::tuple{"--retention", &retention, &config.retention},
        std::tuple{"--tls-reload-interval", &reload_interval, &config.tls_reload_interval}}) {
    if (!given(name)) continue;
    auto nanos = ParseGoDurationNanos(*text);
    if (!nanos.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", nanos.status().message()));
    }
    *out = absl::Nanoseconds(*nanos);
  }
  absl::Status valid = config.Validate();
  if (!valid.ok()) return valid;
  AddDefaultFlowStatusPolicy(config);
  return config;
}

void AddDefaultFlowStatusPolicy(ServerConfig& config) {
  auto& policies = config.sampling.policies;
  if (config.flows.empty() || policies.empty()) return;
  for (const auto& policy : policies) {
    if (policy.type == sampling::PolicyType::kFlowStatus || policy.name == kFlowStatusPolicy) {
      return;
    }
  }
  sampling::PolicySpec spec;
  spec.name = kFlowStatusPolicy;
  spec.type = sampling::PolicyType::kFlowStatus;
  policies.push_back(std::move(spec));
}

}  // namespace spanvault
