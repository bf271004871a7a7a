#pragma once

// ServerConfig: everything `spanvault` is configured with, from the YAML file and the flags.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/otlp_validate.h"
#include "common/connection_limits.h"
#include "common/tls.h"
#include "journeys/flow.h"
#include "sampling/sampling_config.h"
#include "server/auth_config.h"
#include "spanmetrics/client_metrics.h"

namespace spanvault {

// Attribute keys indexed for search by default: the order pipeline's ids and both generations
// of the HTTP and messaging semantic conventions.
std::vector<std::string> DefaultIndexedAttributes();

// The listeners, by the names the ports file, the logs and `tls_listeners` use.
const std::vector<std::string>& ListenerNames();

// A listener's own TLS settings in `tls_listeners`; unset fields fall back to the global ones.
struct ListenerTls {
  std::optional<std::string> cert;
  std::optional<std::string> key;
  std::optional<std::string> client_ca;  // "" turns mutual TLS off for this listener
  bool enabled = true;                   // false: plaintext on this listener
};

struct ServerConfig {
  std::string data_dir = "./data";
  std::string otlp_grpc_addr = "0.0.0.0:4317";
  std::string otlp_http_addr = "0.0.0.0:4318";
  std::string query_http_addr = "0.0.0.0:16686";
  std::string query_grpc_addr = "0.0.0.0:16685";
  std::string remote_storage_addr = "127.0.0.1:17271";
  std::string admin_http_addr = "127.0.0.1:14269";
  std::string admin_grpc_addr = "127.0.0.1:14270";
  std::string ui_dir;
  std::string ports_file;
  bool insecure_no_auth = false;
  // Require credentials whose roles grant `ingest` on the OTLP receivers (a bearer token in the
  // exporters' headers). Default: off.
  bool ingest_auth = false;
  std::string log_level = "info";

  // Largest OTLP request accepted, after decompression. Default: 16 MiB.
  uint64_t max_request_bytes = 16 << 20;
  // Attribute keys with a search index (span and resource attributes).
  std::vector<std::string> indexed_attributes = DefaultIndexedAttributes();
  // fsync the write-ahead log before acknowledging (survives power loss, not only a crash).
  bool sync_writes = false;
  // How long spans are kept, by start time (whole time buckets of a seventh of it go at once;
  // archived traces stay). Zero: forever. Default: 168h.
  absl::Duration retention = absl::Hours(168);
  // Disk budget of the trace store: over it, the oldest time buckets go (not the newest).
  // 0: none. Default: 0.
  uint64_t max_disk_bytes = 0;
  // The memory budget of the process: ingest admission keeps resident memory under it (exports
  // get "retry later" above 85 % of it, or when the requests in flight weigh a quarter of it),
  // and RocksDB's memtables (a quarter) and block cache (an eighth) are sized from it. 0: no
  // limit. Default: 1 GiB.
  uint64_t memory_limit = uint64_t{1} << 30;
  // Largest number of spans waiting to be written before ingest answers "retry later".
  // Default: 200,000.
  uint64_t max_pending_spans = 200000;
  // Timeouts and connection caps of every listener (the `limits` section).
  ConnectionLimits limits;
  // What the OTLP receivers truncate and drop in each export (the `validation` section; defaults
  // in collector/otlp_validate.h). Byte limits 16 to 2147483647, counts 1 to 2147483647.
  ValidationLimits validation;
  // Key file for encryption at rest (format in storage/crypto/key_file.h). Empty: the
  // SPANVAULT_ENCRYPTION_KEY variable, else the default key file beside the data directory.
  std::string encryption_key_file;
  // Tests only (hidden flag --testing-no-encryption): store in plaintext. Default: false.
  bool testing_no_encryption = false;
  // Tests only (hidden flag --testing-write-buffer-bytes): every RocksDB memtable this size, so
  // flushes and compactions come within seconds of load (the crash torture). 0: the
  // production sizes. At least 65536 otherwise. Default: 0.
  uint64_t testing_write_buffer_bytes = 0;
  // Where received spans go: "rocksdb" (the store) or "discard" (benchmark-only: the receivers
  // decode and validate, then drop; see collector/discard_sink.h). Default: "rocksdb".
  std::string sink = "rocksdb";

  // TLS for every listener (PEM files): --tls-cert and --tls-key, and --tls-client-ca to require
  // client certificates (mutual TLS). Empty: plaintext.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Per-listener overrides, by listener name (see ListenerNames()).
  std::map<std::string, ListenerTls> tls_listeners;
  // How often changed certificate files are picked up without a SIGHUP. Default: 10 s.
  absl::Duration tls_reload_interval = absl::Seconds(10);

  // The TLS files of listener `name`: the global ones with its overrides applied.
  TlsFiles TlsFor(const std::string& name) const;

  // Trusted networks: per listener (by name), the source addresses (CIDR blocks) it serves;
  // connections from elsewhere are refused and audited. A listener not named serves everyone.
  std::map<std::string, std::vector<std::string>> allowed_cidrs;

  // Authentication (the `auth` section; see server/auth_config.h).
  AuthConfig auth;

  // Tail sampling (the `sampling` section, in the Collector's tail_sampling syntax). Default:
  // no policies, so every trace is kept and searchable at once.
  sampling::SamplingConfig sampling;

  // Business flows (the `flows` section; journeys/flow_config.h): the order journeys the
  // journey tap follows and /api/orders answers. Default: none.
  std::vector<journeys::Flow> flows;

  // Per-client request rate and error ratio gauges on /metrics (the `client_metrics` section;
  // docs/client_metrics.md). Default: none.
  std::vector<spanmetrics::ClientMetricsSpec> client_metrics;

  // Checks every field; the message names the bad one.
  absl::Status Validate() const;
};

// Builds the configuration from the command line: defaults, then the YAML file named by
// --config, then the flags given explicitly. Returns kInvalidArgument with a message naming
// the bad flag, key or value. `help` is set (and the config left default) for --help.
absl::StatusOr<ServerConfig> ParseServerConfig(int argc, char** argv, std::string* help);

// Loads YAML text over `config`. Unknown keys are errors (a typo must not pass silently).
absl::Status ApplyYamlConfig(const std::string& yaml_text, ServerConfig* config);

// The name of the flow_status policy added by default.
inline constexpr char kFlowStatusPolicy[] = "flow_status";

// With flows and sampling policies but no flow_status policy (and none named
// kFlowStatusPolicy), appends one keeping the traces of stuck and failed journeys (docs/
// sampling.md); ParseServerConfig calls it after Validate.
void AddDefaultFlowStatusPolicy(ServerConfig& config);

}  // namespace spanvault
