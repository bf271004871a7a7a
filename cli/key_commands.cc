#include "cli/key_commands.h"

#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cli/output.h"
#include "nlohmann/json.hpp"

namespace spanvault::cli {
namespace {

std::string HumanBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? absl::StrFormat("%d B", bytes)
                   : absl::StrFormat("%.1f %s", value, units[unit]);
}

nlohmann::json ToJson(const admin::v1::KeyStatusResponse& status) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : status.keys()) {
    keys.push_back({{"key_id", k.key_id()},
                    {"newest", k.newest()},
                    {"files", k.files()},
                    {"bytes", k.bytes()},
                    {"files_rewritten_at_restart", k.files_rewritten_at_restart()}});
  }
  return {{"keys", keys},
          {"newest_key_id", status.newest_key_id()},
          {"key_source", status.key_source()},
          {"can_add_keys", status.can_add_keys()},
          {"rewrite_running", status.rewrite_running()},
          {"last_rewrite_error", status.last_rewrite_error()}};
}

void PrintNotes(const admin::v1::KeyStatusResponse& status) {
  std::cout << "keys from " << status.key_source() << "; new files use key "
            << status.newest_key_id() << "\n";
  std::cout << "rewrite: " << (status.rewrite_running() ? "running" : "idle") << "\n";
  if (!status.last_rewrite_error().empty()) {
    std::cout << "last rewrite failed: " << status.last_rewrite_error() << "\n";
  }
  for (const auto& k : status.keys()) {
    if (k.newest()) continue;
    if (k.files() == 0 && !status.can_add_keys()) {
      std::cout << absl::StrFormat("key %d protects nothing: remove it from %s and restart\n",
                                   k.key_id(), status.key_source());
    } else if (k.files() == 0) {
      std::cout << absl::StrFormat("key %d protects nothing: `spanvaultctl keys retire %d`\n",
                                   k.key_id(), k.key_id());
    } else if (k.files() == k.files_rewritten_at_restart()) {
      std::cout << absl::StrFormat(
          "key %d: its %d remaining files (MANIFEST, CURRENT) are rewritten under key "
          "%d at the next start: restart spanvault, then retire key %d\n",
          k.key_id(), k.files(), status.newest_key_id(), k.key_id());
    }
  }
}

}  // namespace

int RotateKeys(AdminClient& client, bool rewrite_only, bool wait) {
  auto result = client.RotateKeys(rewrite_only);
  if (!result.ok()) return Fail(result.status());
  if (result->key_added()) {
    std::cout << absl::StrFormat("key %d added; new files are encrypted with it\n",
                                 result->newest_key_id());
  }
  std::cout << absl::StrFormat(
      "rewriting every file under an older key with key %d in the background; follow it with "
      "`spanvaultctl keys status`\n",
      result->newest_key_id());
  if (!wait) return 0;
  while (true) {
    auto status = client.KeyStatus();
    if (!status.ok()) return Fail(status.status());
    if (!status->rewrite_running()) {
      ShowKeyStatus(client, /*json=*/false);
      return status->last_rewrite_error().empty() ? 0 : 1;
    }
    absl::SleepFor(absl::Seconds(1));
  }
}

int ShowKeyStatus(AdminClient& client, bool json) {
  auto status = client.KeyStatus();
  if (!status.ok()) return Fail(status.status());
  if (json) {
    std::cout << ToJson(*status).dump(2) << "\n";
    return 0;
  }
  std::cout << absl::StrFormat("%-8s %-7s %8s %12s  %s\n", "KEY", "NEWEST", "FILES", "BYTES",
                               "REWRITTEN AT RESTART");
  for (const auto& k : status->keys()) {
    std::cout << absl::StrFormat("%-8d %-7s %8d %12s  %d\n", k.key_id(), k.newest() ? "yes" : "",
                                 k.files(), HumanBytes(k.bytes()), k.files_rewritten_at_restart());
  }
  PrintNotes(*status);
  return 0;
}

int RetireKey(AdminClient& client, uint32_t id) {
  absl::Status s = client.RetireKey(id);
  if (!s.ok()) return Fail(s);
  std::cout << absl::StrFormat("key %d retired: removed from the key file\n", id);
  return 0;
}

void AddKeyCommands(CLI::App& app, CommandContext& context) {
  struct KeyFlags {
    bool rewrite_only = false;
    bool wait = false;
    bool json = false;
    uint32_t key_id = 0;
  };
  auto flags = std::make_shared<KeyFlags>();
  // Runs `command` with the connected client.
  auto with_client = [&context](std::function<int(AdminClient&)> command) {
    context.run = [&context, command] {
      auto client = context.client();
      if (!client.ok()) return Fail(client.status());
      return command(**client);
    };
  };
  auto* keys = app.add_subcommand("keys", "encryption key rotation (docs/encryption.md)");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate", "add a new key for new files and rewrite every file under an older key");
  rotate->add_flag("--rewrite-only", flags->rewrite_only,
                   "add no key; only rewrite the files under older keys with the newest");
  rotate->add_flag("--wait", flags->wait, "wait for the rewrite to finish, then show the status");
  rotate->callback([with_client, flags] {
    with_client(
        [flags](AdminClient& c) { return RotateKeys(c, flags->rewrite_only, flags->wait); });
  });
  auto* status = keys->add_subcommand("status", "how many files and bytes each key protects");
  status->add_flag("--json", flags->json, "print JSON (as -o json)");
  status->callback([with_client, flags, &context] {
    with_client([flags, &context](AdminClient& c) {
      return ShowKeyStatus(c, flags->json || context.json);
    });
  });
  auto* retire = keys->add_subcommand("retire", "remove a key that protects nothing any more");
  retire->add_option("ID", flags->key_id, "the key's id (see keys status)")->required();
  retire->callback([with_client, flags] {
    with_client([flags](AdminClient& c) { return RetireKey(c, flags->key_id); });
  });
}

}  // namespace spanvault::cli
