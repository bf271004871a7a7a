#include "server/config.h"

#include <filesystem>
#include <fstream>
#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/markdown.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace spanvault {
namespace {

using ::spanvault::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;

absl::StatusOr<ServerConfig> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "spanvault");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::string help;
  return ParseServerConfig(static_cast<int>(argv.size()), argv.data(), &help);
}

TEST(ConfigTest, DefaultsMatchDesign) {
  auto c = Parse({});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_EQ(c->otlp_grpc_addr, "0.0.0.0:4317");
  EXPECT_EQ(c->otlp_http_addr, "0.0.0.0:4318");
  EXPECT_EQ(c->query_http_addr, "0.0.0.0:16686");
  EXPECT_EQ(c->admin_http_addr, "127.0.0.1:14269");
  EXPECT_EQ(c->max_request_bytes, 16u << 20);
  EXPECT_THAT(c->indexed_attributes, Contains("order_id"));
  EXPECT_THAT(c->indexed_attributes, Contains("messaging.destination"));
}

// Every ```yaml block of README.md and docs/*.md that is spanvault's configuration loads as its
// --config: an example that does not load is worse than none. Left out: policy list items
// (starting "- ", loaded by sampling_test's RecommendedConfigDocsTest) and other programs'
// configuration, whose block starts with a comment naming it ("# Jaeger v2 ...").
TEST(ConfigTest, EveryConfigExampleInTheDocsLoads) {
  const std::filesystem::path root(SPANVAULT_SOURCE_DIR);
  std::vector<std::filesystem::path> files = {root / "README.md"};
  for (const auto& entry : std::filesystem::directory_iterator(root / "docs")) {
    if (entry.path().extension() == ".md") files.push_back(entry.path());
  }
  spanvault::testing::TempDir dir;
  const std::string path = dir.path() + "/example.yaml";
  int loaded = 0;
  for (const auto& file : files) {
    auto blocks = spanvault::testing::YamlBlocks(file.string());
    SV_ASSERT_OK(blocks);
    for (const std::string& block : *blocks) {
      if (block.starts_with("- ") || block.starts_with("# Jaeger")) continue;
      std::ofstream(path, std::ios::trunc) << block;
      auto c = Parse({"--config", path});
      EXPECT_TRUE(c.ok()) << file.filename() << ": " << c.status() << "\n" << block;
      ++loaded;
    }
  }
  EXPECT_GE(loaded, 12);
}

TEST(ConfigTest, FlagsWinOverYaml) {
  spanvault::testing::TempDir dir;
  std::string path = dir.path() + "/c.yaml";
  std::ofstream(path) << "data_dir: /from/yaml\notlp_http_addr: 127.0.0.1:1\n"
                      << "indexed_attributes: [a, b]\n";
  auto c = Parse({"--config", path, "--data-dir", "/from/flag"});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->data_dir, "/from/flag");
  EXPECT_EQ(c->otlp_http_addr, "127.0.0.1:1");
  EXPECT_EQ(c->indexed_attributes, (std::vector<std::string>{"a", "b"}));
}

TEST(ConfigTest, ByteSizesTakeUnitsInYamlAndFlags) {
  ServerConfig c;
  SV_ASSERT_OK(ApplyYamlConfig("max_request_bytes: 8MiB\nmax_disk_bytes: 2GiB\n", &c));
  EXPECT_EQ(c.max_request_bytes, 8u << 20);
  EXPECT_EQ(c.max_disk_bytes, uint64_t{2} << 30);
  auto flags = Parse({"--max-request-bytes", "4MiB", "--max-disk-bytes", "1073741824",
                      "--memory-limit", "512MiB"});
  SV_ASSERT_OK(flags);
  EXPECT_EQ(flags->max_request_bytes, 4u << 20);
  EXPECT_EQ(flags->max_disk_bytes, uint64_t{1} << 30);
  EXPECT_EQ(flags->memory_limit, uint64_t{512} << 20);
  EXPECT_THAT(Parse({"--max-disk-bytes", "lots"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--max-disk-bytes")));
  EXPECT_THAT(Parse({"--max-request-bytes", "1KB"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--max-request-bytes")));
}

TEST(ConfigTest, RejectsUnknownKeysBadValuesAndFlags) {
  ServerConfig c;
  EXPECT_THAT(
      ApplyYamlConfig("data_dri: x\n", &c),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown config key \"data_dri\"")));
  EXPECT_THAT(ApplyYamlConfig("max_request_bytes: lots\n", &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_request_bytes")));
  EXPECT_THAT(ApplyYamlConfig("[1, 2", &c), StatusIs(absl::StatusCode::kInvalidArgument));
  // Found by fuzz_config: a complex mapping key threw out of the parser.
  EXPECT_THAT(ApplyYamlConfig("sampling:\n  decision_wait: 10s\n? decision_cache_ttl: 1h\n", &c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("config keys must be plain names (line 3)")));
  EXPECT_THAT(ApplyYamlConfig("tls_listeners:\n  ? [otlp_grpc]\n  : {enabled: false}\n", &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config: ")));
  EXPECT_THAT(Parse({"--no-such-flag"}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse({"--log-level", "loud"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log_level")));
  EXPECT_THAT(Parse({"--config", "/no/such/file.yaml"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot read")));
}

TEST(ConfigTest, RetentionAndDiskBudgetFromFlagsOrYaml) {
  auto c = Parse({});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->retention, absl::Hours(168));
  EXPECT_EQ(c->max_disk_bytes, 0u);
  c = Parse({"--retention", "36h", "--max-disk-bytes", "1000000"});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->retention, absl::Hours(36));
  EXPECT_EQ(c->max_disk_bytes, 1000000u);
  ServerConfig yaml;
  SV_ASSERT_OK(ApplyYamlConfig("retention: 0s\nmax_disk_bytes: 5\n", &yaml));
  EXPECT_EQ(yaml.retention, absl::ZeroDuration());
  SV_ASSERT_OK(yaml.Validate());
  EXPECT_THAT(Parse({"--retention", "a week"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--retention")));
  EXPECT_THAT(Parse({"--retention", "500ms"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 1s")));
  EXPECT_THAT(Parse({"--tls-reload-interval", "soon"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-reload-interval")));
}

TEST(ConfigTest, ReadsFlowsAndNamesTheBadFieldWithTheFile) {
  ServerConfig c;
  SV_ASSERT_OK(ApplyYamlConfig(R"(
flows:
  - name: order
    key: order_id
    steps:
      - {name: placed,    service: shop-api, operation: "POST /orders"}
      - {name: published, service: crm-api,  kind: producer, destination: orders, within: 30s}
    final: published
)",
                               &c));
  ASSERT_EQ(c.flows.size(), 1u);
  EXPECT_EQ(c.flows[0].steps[1].within, absl::Seconds(30));
  spanvault::testing::TempDir dir;
  std::string path = dir.path() + "/flows.yaml";
  std::ofstream(path) << "flows:\n  - {name: order, key: order_id, steps: [{name: a}]}\n";
  EXPECT_THAT(Parse({"--config", path}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("flows.yaml: config key \"flows[0].steps[0].service\"")));
}

TEST(ConfigTest, FlowsWithSamplingAddAFlowStatusPolicyUnlessOneIsConfigured) {
  spanvault::testing::TempDir dir;
  std::string flows =
      "flows:\n  - {name: order, key: order_id, steps: [{name: a, service: shop-api}]}\n";
  std::string errors =
      "sampling:\n  policies:\n    - {name: errors, type: status_code, status_code: "
      "{status_codes: [ERROR]}}\n";
  auto load = [&](const std::string& yaml) {
    std::string path = dir.path() + "/c.yaml";
    std::ofstream(path) << yaml;
    return Parse({"--config", path});
  };
  auto with_default = load(flows + errors);
  SV_ASSERT_OK(with_default);
  ASSERT_EQ(with_default->sampling.policies.size(), 2u);
  EXPECT_EQ(with_default->sampling.policies[1].name, "flow_status");
  EXPECT_EQ(with_default->sampling.policies[1].type, sampling::PolicyType::kFlowStatus);
  EXPECT_EQ(with_default->sampling.policies[1].flow_status.statuses,
            (std::vector<std::string>{"stuck", "failed"}));
  auto sampling_off = load(flows);  // every trace is kept: nothing to add
  SV_ASSERT_OK(sampling_off);
  EXPECT_TRUE(sampling_off->sampling.policies.empty());
  auto own = load(flows + errors +
                  "    - {name: failed-orders, type: flow_status, flow_status: {statuses: "
                  "[failed]}}\n");
  SV_ASSERT_OK(own);
  EXPECT_EQ(own->sampling.policies.size(), 2u);
  EXPECT_THAT(load(errors + "    - {name: f, type: flow_status, flow_status: {}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sampling.policies[1]: a flow_status policy needs the flows")));
  EXPECT_THAT(load(flows + errors +
                   "    - {name: f, type: flow_status, flow_status: {flows: [invoice]}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sampling.policies[1].flow_status.flows: unknown flow "
                                 "\"invoice\"")));
  EXPECT_THAT(load(flows + errors +
                   "    - {name: f, type: flow_status, flow_status: {statuses: [lost]}}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("flow_status.statuses[0]: unknown journey status \"lost\"")));
}

TEST(ConfigTest, SinkIsTheStoreUnlessDiscardIsAskedFor) {
  auto c = Parse({});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->sink, "rocksdb");
  c = Parse({"--sink", "discard"});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->sink, "discard");
  EXPECT_THAT(Parse({"--sink", "memory"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sink")));
}

TEST(ConfigTest, EncryptionKeyFileFromFlagOrYamlAndTheHiddenTestingSwitch) {
  auto c = Parse({});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->encryption_key_file, "");
  EXPECT_FALSE(c->testing_no_encryption);
  spanvault::testing::TempDir dir;
  std::string path = dir.path() + "/c.yaml";
  std::ofstream(path) << "encryption_key_file: /run/secrets/spanvault.key\n"
                      << "testing_no_encryption: true\n";
  c = Parse({"--config", path});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->encryption_key_file, "/run/secrets/spanvault.key");
  EXPECT_TRUE(c->testing_no_encryption);
  c = Parse({"--encryption-key-file", "/k", "--testing-no-encryption"});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->encryption_key_file, "/k");
  EXPECT_TRUE(c->testing_no_encryption);
}

TEST(ConfigTest, TestingWriteBufferBytesFromFlagOrYamlZeroOrAtLeast64KiB) {
  auto c = Parse({});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->testing_write_buffer_bytes, 0u);
  spanvault::testing::TempDir dir;
  std::string path = dir.path() + "/c.yaml";
  std::ofstream(path) << "testing_write_buffer_bytes: 131072\n";
  c = Parse({"--config", path});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->testing_write_buffer_bytes, 131072u);
  c = Parse({"--config", path, "--testing-write-buffer-bytes", "65536"});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->testing_write_buffer_bytes, 65536u);
  c = Parse({"--testing-write-buffer-bytes", "0"});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->testing_write_buffer_bytes, 0u);
  EXPECT_THAT(Parse({"--testing-write-buffer-bytes", "65535"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("testing_write_buffer_bytes must be 0")));
  // (CLI11 leaves a hidden option's name out of its message.)
  EXPECT_THAT(Parse({"--testing-write-buffer-bytes", "lots"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Could not convert")));
}

TEST(ConfigTest, TheTestingSwitchIsNotInTheHelp) {
  std::vector<std::string> args = {"spanvault", "--help"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::string help;
  SV_ASSERT_OK(ParseServerConfig(static_cast<int>(argv.size()), argv.data(), &help));
  EXPECT_THAT(help, HasSubstr("--encryption-key-file"));
  EXPECT_THAT(help, ::testing::Not(HasSubstr("testing-no-encryption")));
  EXPECT_THAT(help, ::testing::Not(HasSubstr("testing-write-buffer-bytes")));
}

TEST(ConfigTest, TlsFlagsApplyToEveryListenerWithPerListenerOverrides) {
  spanvault::testing::TempDir dir;
  std::string path = dir.path() + "/c.yaml";
  std::ofstream(path) << "tls_listeners:\n"
                      << "  admin_grpc: {client_ca: /etc/admins-ca.pem}\n"
                      << "  otlp_http: {cert: /etc/otlp.pem, key: /etc/otlp.key, client_ca: ''}\n"
                      << "  admin_http: {enabled: false}\n"
                      << "tls_reload_interval: 30s\n";
  auto c = Parse({"--config", path, "--tls-cert", "/etc/s.pem", "--tls-key", "/etc/s.key",
                  "--tls-client-ca", "/etc/ca.pem"});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->tls_reload_interval, absl::Seconds(30));
  TlsFiles query = c->TlsFor("query_http");
  EXPECT_EQ(query.cert_file, "/etc/s.pem");
  EXPECT_EQ(query.key_file, "/etc/s.key");
  EXPECT_EQ(query.client_ca_file, "/etc/ca.pem");
  EXPECT_EQ(c->TlsFor("admin_grpc").client_ca_file, "/etc/admins-ca.pem");
  EXPECT_EQ(c->TlsFor("admin_grpc").cert_file, "/etc/s.pem");
  TlsFiles otlp = c->TlsFor("otlp_http");
  EXPECT_EQ(otlp.cert_file, "/etc/otlp.pem");
  EXPECT_FALSE(otlp.mutual());
  EXPECT_FALSE(c->TlsFor("admin_http").enabled());

  auto plain = Parse({});
  SV_ASSERT_OK(plain);
  for (const auto& name : ListenerNames()) EXPECT_FALSE(plain->TlsFor(name).enabled()) << name;
}

TEST(ConfigTest, RejectsIncompleteTlsSettingsNamingTheListener) {
  EXPECT_THAT(Parse({"--tls-cert", "/etc/s.pem"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("needs both a certificate (tls_cert) and its key")));
  EXPECT_THAT(Parse({"--tls-client-ca", "/etc/ca.pem"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls_client_ca needs")));
  EXPECT_THAT(Parse({"--tls-reload-interval", "soon"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-reload-interval")));
  ServerConfig c;
  SV_ASSERT_OK(ApplyYamlConfig("tls_listeners: {otlp_grcp: {enabled: false}}\n", &c));
  EXPECT_THAT(c.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("unknown listener \"otlp_grcp\"")));
  EXPECT_THAT(
      ApplyYamlConfig("tls_listeners: {otlp_grpc: {cert_file: x}}\n", &c),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls_listeners.otlp_grpc.cert_file")));
}

TEST(ConfigTest, ReadsClientMetricsWithDefaults) {
  ServerConfig c;
  SV_ASSERT_OK(ApplyYamlConfig(R"(
client_metrics:
  - {service: mes-api, attribute: client_id}
  - {service: shop-api, attribute: tenant, top: 3, window: 1m, max_clients: 50}
)",
                               &c));
  ASSERT_EQ(c.client_metrics.size(), 2u);
  EXPECT_EQ(c.client_metrics[0].service, "mes-api");
  EXPECT_EQ(c.client_metrics[0].attribute, "client_id");
  EXPECT_EQ(c.client_metrics[0].top, 20);
  EXPECT_EQ(c.client_metrics[0].window, absl::Minutes(5));
  EXPECT_EQ(c.client_metrics[0].max_clients, 1000);
  EXPECT_EQ(c.client_metrics[1].top, 3);
  EXPECT_EQ(c.client_metrics[1].window, absl::Minutes(1));
  EXPECT_EQ(c.client_metrics[1].max_clients, 50);
  SV_EXPECT_OK(c.Validate());
  EXPECT_TRUE(ServerConfig{}.client_metrics.empty());
}

TEST(ConfigTest, RejectsBadClientMetricsNamingTheField) {
  ServerConfig c;
  EXPECT_THAT(ApplyYamlConfig("client_metrics: {service: a}\n", &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be a list")));
  EXPECT_THAT(ApplyYamlConfig("client_metrics: [{service: a, atribute: b}]\n", &c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown config key \"client_metrics[0].atribute\"")));
  EXPECT_THAT(ApplyYamlConfig("client_metrics: [{service: a, attribute: b, top: many}]\n", &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client_metrics[0].top")));
  EXPECT_THAT(ApplyYamlConfig("client_metrics: [{service: a, attribute: b, window: soon}]\n", &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client_metrics[0].window")));

  spanvault::testing::TempDir dir;
  auto load = [&](const std::string& entries) {
    std::string path = dir.path() + "/c.yaml";
    std::ofstream(path) << "client_metrics:\n" << entries;
    return Parse({"--config", path});
  };
  SV_EXPECT_OK(load("  - {service: a, attribute: b, top: 200, window: 10s}\n").status());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"  - {attribute: b}\n", "client_metrics[0].service: is required"},
      {"  - {service: a}\n", "client_metrics[0].attribute: is required"},
      {"  - {service: a, attribute: b, top: 0}\n", "client_metrics[0].top: must be between 1"},
      {"  - {service: a, attribute: b, top: 201}\n", "client_metrics[0].top"},
      {"  - {service: a, attribute: b, window: 9s}\n", "client_metrics[0].window"},
      {"  - {service: a, attribute: b, window: 25h}\n", "client_metrics[0].window"},
      {"  - {service: a, attribute: b, top: 30, max_clients: 29}\n",
       "client_metrics[0].max_clients"},
      {"  - {service: a, attribute: b, max_clients: 100001}\n", "client_metrics[0].max_clients"},
      {"  - {service: a, attribute: b}\n  - {service: a, attribute: b, top: 3}\n",
       "client_metrics[1]: service \"a\" with attribute \"b\" is already counted"},
  };
  for (const auto& [entries, message] : bad) {
    EXPECT_THAT(load(entries), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << entries;
  }
}

TEST(ConfigTest, ReadsConnectionLimitsWithProductionDefaults) {
  ServerConfig defaults;
  EXPECT_EQ(defaults.limits.http.header_timeout, absl::Seconds(10));
  EXPECT_EQ(defaults.limits.http.idle_timeout, absl::Seconds(60));
  EXPECT_EQ(defaults.limits.http.max_connections, 4096u);
  EXPECT_EQ(defaults.limits.http.max_connections_per_client, 256u);
  EXPECT_EQ(defaults.limits.grpc.max_concurrent_streams, 100u);
  EXPECT_EQ(defaults.limits.grpc.max_connection_age, absl::Minutes(30));
  EXPECT_TRUE(defaults.limits.grpc.accept_compressed);

  ServerConfig c;
  SV_ASSERT_OK(ApplyYamlConfig(R"(
limits:
  http_idle_timeout: 2m
  http_header_timeout: 5s
  http_body_timeout: 90s
  http_write_timeout: 20s
  max_connections: 100
  max_connections_per_client: 10
  grpc_max_concurrent_streams: 8
  grpc_max_connection_idle: 1m
  grpc_max_connection_age: 0s
  grpc_min_ping_interval: 10s
  grpc_max_metadata_bytes: 8192
  grpc_accept_compressed: false
)",
                               &c));
  SV_EXPECT_OK(c.Validate());
  EXPECT_EQ(c.limits.http.idle_timeout, absl::Minutes(2));
  EXPECT_EQ(c.limits.http.header_timeout, absl::Seconds(5));
  EXPECT_EQ(c.limits.http.body_timeout, absl::Seconds(90));
  EXPECT_EQ(c.limits.http.write_timeout, absl::Seconds(20));
  EXPECT_EQ(c.limits.http.max_connections, 100u);
  EXPECT_EQ(c.limits.http.max_connections_per_client, 10u);
  EXPECT_EQ(c.limits.grpc.max_concurrent_streams, 8u);
  EXPECT_EQ(c.limits.grpc.max_connection_idle, absl::Minutes(1));
  EXPECT_EQ(c.limits.grpc.max_connection_age, absl::ZeroDuration());
  EXPECT_EQ(c.limits.grpc.min_ping_interval, absl::Seconds(10));
  EXPECT_EQ(c.limits.grpc.max_metadata_bytes, 8192u);
  EXPECT_FALSE(c.limits.grpc.accept_compressed);
}

TEST(ConfigTest, RejectsBadConnectionLimitsNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"limits: 5\n", "\"limits\" must be a mapping"},
      {"limits: {max_conections: 5}\n", "unknown config key \"limits.max_conections\""},
      {"limits: {max_connections: -1}\n", "limits.max_connections\" must be between 0"},
      {"limits: {max_connections: 0}\n", "limits.max_connections must be at least 1"},
      {"limits: {max_connections_per_client: many}\n", "limits.max_connections_per_client"},
      {"limits: {http_header_timeout: 0s}\n", "limits.http_header_timeout must be at least 1ms"},
      {"limits: {http_body_timeout: soon}\n", "limits.http_body_timeout"},
      {"limits: {grpc_max_connection_age: -1s}\n", "limits.grpc_max_connection_age\": negative"},
      {"limits: {grpc_max_concurrent_streams: 0}\n", "limits.grpc_max_concurrent_streams"},
      {"limits: {grpc_max_metadata_bytes: 100}\n", "limits.grpc_max_metadata_bytes"},
      {"limits: {grpc_accept_compressed: maybe}\n", "limits.grpc_accept_compressed"},
  };
  for (const auto& [yaml, message] : bad) {
    ServerConfig c;
    absl::Status s = ApplyYamlConfig(yaml, &c);
    if (s.ok()) s = c.Validate();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message))) << yaml;
  }
}

TEST(ConfigTest, ValidationLimitsKeepTheirDefaultsWhenNotConfigured) {
  auto c = Parse({});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->validation.max_attribute_value_bytes, 64u * 1024);
  EXPECT_EQ(c->validation.max_name_bytes, 4u * 1024);
  EXPECT_EQ(c->validation.max_attributes, 1024);
  EXPECT_EQ(c->validation.max_events_per_span, 1024);
  EXPECT_EQ(c->validation.max_links_per_span, 1024);
  EXPECT_EQ(c->validation.max_values_per_span, 16384);

  // A key given alone leaves the others as they were.
  ServerConfig one;
  SV_ASSERT_OK(ApplyYamlConfig("validation: {max_events_per_span: 7}\n", &one));
  EXPECT_EQ(one.validation.max_events_per_span, 7);
  EXPECT_EQ(one.validation.max_attributes, 1024);
  EXPECT_EQ(one.validation.max_attribute_value_bytes, 64u * 1024);
}

TEST(ConfigTest, ReadsValidationLimitsWithByteSizes) {
  spanvault::testing::TempDir dir;
  std::string path = dir.path() + "/c.yaml";
  std::ofstream(path) << R"(
validation:
  max_attribute_value_bytes: 1MiB
  max_name_bytes: 300
  max_attributes: 64
  max_events_per_span: 10
  max_links_per_span: 5
  max_values_per_span: 100000
)";
  auto c = Parse({"--config", path});
  SV_ASSERT_OK(c);
  EXPECT_EQ(c->validation.max_attribute_value_bytes, 1u << 20);
  EXPECT_EQ(c->validation.max_name_bytes, 300u);
  EXPECT_EQ(c->validation.max_attributes, 64);
  EXPECT_EQ(c->validation.max_events_per_span, 10);
  EXPECT_EQ(c->validation.max_links_per_span, 5);
  EXPECT_EQ(c->validation.max_values_per_span, 100000);

  // The bounds themselves are accepted.
  ServerConfig edges;
  SV_ASSERT_OK(ApplyYamlConfig(R"(
validation:
  max_attribute_value_bytes: 16
  max_name_bytes: 2147483647
  max_attributes: 1
  max_events_per_span: 2147483647
  max_links_per_span: 1
  max_values_per_span: 2147483647
)",
                               &edges));
  SV_EXPECT_OK(edges.Validate());
  EXPECT_EQ(edges.validation.max_attribute_value_bytes, 16u);
  EXPECT_EQ(edges.validation.max_name_bytes, 2147483647u);
  EXPECT_EQ(edges.validation.max_attributes, 1);
  EXPECT_EQ(edges.validation.max_events_per_span, 2147483647);
  EXPECT_EQ(edges.validation.max_links_per_span, 1);
  EXPECT_EQ(edges.validation.max_values_per_span, 2147483647);
}

TEST(ConfigTest, RejectsBadValidationLimitsNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"validation: 5\n", "\"validation\" must be a mapping"},
      {"validation: {max_atributes: 5}\n", "unknown config key \"validation.max_atributes\""},
      {"validation: {max_attribute_value_bytes: 15}\n",
       "validation.max_attribute_value_bytes must be between 16 and 2147483647"},
      {"validation: {max_attribute_value_bytes: 2GiB}\n",
       "validation.max_attribute_value_bytes must be between 16 and 2147483647"},
      {"validation: {max_attribute_value_bytes: -1}\n",
       "config key \"validation.max_attribute_value_bytes\": \"-1\" is not a byte size"},
      {"validation: {max_name_bytes: 0}\n",
       "validation.max_name_bytes must be between 16 and 2147483647"},
      {"validation: {max_name_bytes: 4KB}\n",
       "config key \"validation.max_name_bytes\": \"4KB\" is not a byte size"},
      {"validation: {max_attributes: 0}\n",
       "validation.max_attributes must be between 1 and 2147483647"},
      {"validation: {max_attributes: -5}\n",
       "validation.max_attributes must be between 1 and 2147483647"},
      {"validation: {max_attributes: 2147483648}\n",
       "validation.max_attributes must be between 1 and 2147483647"},
      {"validation: {max_attributes: many}\n", "config key \"validation.max_attributes\""},
      {"validation: {max_events_per_span: 0}\n",
       "validation.max_events_per_span must be between 1 and 2147483647"},
      {"validation: {max_events_per_span: 1.5}\n", "config key \"validation.max_events_per_span\""},
      {"validation: {max_links_per_span: 0}\n",
       "validation.max_links_per_span must be between 1 and 2147483647"},
      {"validation: {max_links_per_span: [1]}\n", "config key \"validation.max_links_per_span\""},
      {"validation: {max_values_per_span: 0}\n",
       "validation.max_values_per_span must be between 1 and 2147483647"},
      {"validation: {max_values_per_span: 9223372036854775807}\n",
       "validation.max_values_per_span must be between 1 and 2147483647"},
  };
  for (const auto& [yaml, message] : bad) {
    ServerConfig c;
    EXPECT_THAT(ApplyYamlConfig(yaml, &c),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << yaml;
  }
}

TEST(ConfigTest, ValidateChecksValidationLimitsSetInCode) {
  const std::vector<std::pair<std::function<void(ValidationLimits&)>, std::string>> bad = {
      {[](ValidationLimits& v) { v.max_attribute_value_bytes = 8; },
       "validation.max_attribute_value_bytes must be between 16"},
      {[](ValidationLimits& v) { v.max_name_bytes = size_t{1} << 40; },
       "validation.max_name_bytes must be between 16"},
      {[](ValidationLimits& v) { v.max_attributes = 0; }, "validation.max_attributes"},
      {[](ValidationLimits& v) { v.max_events_per_span = -1; }, "validation.max_events_per_span"},
      {[](ValidationLimits& v) { v.max_links_per_span = 0; }, "validation.max_links_per_span"},
      {[](ValidationLimits& v) { v.max_values_per_span = int64_t{1} << 40; },
       "validation.max_values_per_span"},
  };
  SV_EXPECT_OK(ServerConfig{}.Validate());
  for (const auto& [spoil, message] : bad) {
    ServerConfig c;
    spoil(c.validation);
    EXPECT_THAT(c.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
  }
}

}  // namespace
}  // namespace spanvault
