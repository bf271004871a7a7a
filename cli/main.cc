// spanvaultctl: the admin command line for spanvault.
//
//   spanvaultctl [--server HOST:PORT] sampling add --attr KEY=VALUE --for DURATION [--reason R]
//   spanvaultctl [--server HOST:PORT] sampling list [--json]
//   spanvaultctl [--server HOST:PORT] sampling remove ID
//   spanvaultctl [--server HOST:PORT] keys rotate [--rewrite-only] [--wait]
//   spanvaultctl [--server HOST:PORT] keys status [--json]
//   spanvaultctl [--server HOST:PORT] keys retire ID
//
// Over TLS: --tls-ca CA.pem (and --tls-cert/--tls-key for mutual TLS).

#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cli/admin_client.h"
#include "cli/client_tls.h"
#include "cli/key_commands.h"
#include "common/duration.h"
#include "nlohmann/json.hpp"

namespace spanvault::cli {
namespace {

std::string FormatTime(uint64_t unix_nano) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixNanos(static_cast<int64_t>(unix_nano)),
                          absl::UTCTimeZone());
}

int Fail(const absl::Status& status) {
  std::cerr << "spanvaultctl: " << status.message() << "\n";
  return 1;
}

int AddRule(AdminClient& client, const std::string& attr, const std::string& duration,
            const std::string& reason) {
  size_t eq = attr.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Fail(absl::InvalidArgumentError("--attr must be KEY=VALUE, e.g. order_id=A-1001"));
  }
  auto nanos = ParseGoDurationNanos(duration);
  if (!nanos.ok()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrFormat("--for %s: %s (use a duration such as 30m, 1h, 2h30m)", duration,
                        std::string(nanos.status().message()))));
  }
  auto rule = client.AddSamplingRule(attr.substr(0, eq), attr.substr(eq + 1),
                                     absl::Nanoseconds(*nanos), reason);
  if (!rule.ok()) return Fail(rule.status());
  std::cout << absl::StrFormat("rule %s: keeping every trace with %s=%s until %s\n", rule->id(),
                               rule->attribute_key(), rule->attribute_value(),
                               FormatTime(rule->expires_at_unix_nano()));
  return 0;
}

int ListRules(AdminClient& client, bool json) {
  auto rules = client.ListSamplingRules();
  if (!rules.ok()) return Fail(rules.status());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *rules) {
      out.push_back({{"id", r.id()},
                     {"attribute", r.attribute_key() + "=" + r.attribute_value()},
                     {"created_at", FormatTime(r.created_at_unix_nano())},
                     {"expires_at", FormatTime(r.expires_at_unix_nano())},
                     {"reason", r.reason()},
                     {"created_by", r.created_by()}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << absl::StrFormat("%-14s %-32s %-22s %s\n", "ID", "ATTRIBUTE", "EXPIRES", "REASON");
  for (const auto& r : *rules) {
    std::cout << absl::StrFormat("%-14s %-32s %-22s %s\n", r.id(),
                                 r.attribute_key() + "=" + r.attribute_value(),
                                 FormatTime(r.expires_at_unix_nano()), r.reason());
  }
  return 0;
}

int Run(int argc, char** argv) {
  CLI::App app{"spanvaultctl: manage a running spanvault through its admin API"};
  std::string server = "127.0.0.1:14270";
  app.add_option("--server", server, "admin API address (spanvault --admin-grpc-addr)")
      ->capture_default_str();
  ClientTls tls;
  app.add_option("--tls-ca", tls.ca_file, "verify the server's TLS certificate with these CAs");
  app.add_option("--tls-cert", tls.cert_file, "client certificate (PEM), for mutual TLS");
  app.add_option("--tls-key", tls.key_file, "the client certificate's private key (PEM)");
  app.require_subcommand(1);
  auto* sampling = app.add_subcommand("sampling", "runtime sampling rules");
  sampling->require_subcommand(1);
  std::string attr, duration, reason, id;
  bool json = false;
  auto* add = sampling->add_subcommand("add", "keep every trace with an attribute for a while");
  add->add_option("--attr", attr, "KEY=VALUE, e.g. order_id=A-1001")->required();
  add->add_option("--for", duration, "how long, e.g. 1h")->required();
  add->add_option("--reason", reason, "why, for the audit trail and the next engineer");
  auto* list = sampling->add_subcommand("list", "the rules in force");
  list->add_flag("--json", json, "print JSON");
  auto* remove = sampling->add_subcommand("remove", "remove a rule before it expires");
  remove->add_option("ID", id, "the rule's id (see list)")->required();
  auto* keys = app.add_subcommand("keys", "encryption key rotation (docs/encryption.md)");
  keys->require_subcommand(1);
  bool rewrite_only = false;
  bool wait = false;
  uint32_t key_id = 0;
  auto* rotate = keys->add_subcommand(
      "rotate", "add a new key for new files and rewrite every file under an older key");
  rotate->add_flag("--rewrite-only", rewrite_only,
                   "add no key; only rewrite the files under older keys with the newest");
  rotate->add_flag("--wait", wait, "wait for the rewrite to finish, then show the status");
  auto* status = keys->add_subcommand("status", "how many files and bytes each key protects");
  status->add_flag("--json", json, "print JSON");
  auto* retire = keys->add_subcommand("retire", "remove a key that protects nothing any more");
  retire->add_option("ID", key_id, "the key's id (see keys status)")->required();
  CLI11_PARSE(app, argc, argv);

  auto credentials = ChannelCredentials(tls);
  if (!credentials.ok()) return Fail(credentials.status());
  AdminClient client(server, *credentials, absl::Seconds(10));
  if (rotate->parsed()) return RotateKeys(client, rewrite_only, wait);
  if (status->parsed()) return ShowKeyStatus(client, json);
  if (retire->parsed()) return RetireKey(client, key_id);
  if (add->parsed()) return AddRule(client, attr, duration, reason);
  if (list->parsed()) return ListRules(client, json);
  absl::Status s = client.RemoveSamplingRule(id);
  if (!s.ok()) return Fail(s);
  std::cout << "rule " << id << " removed\n";
  return 0;
}

}  // namespace
}  // namespace spanvault::cli

int main(int argc, char** argv) { return spanvault::cli::Run(argc, argv); }
