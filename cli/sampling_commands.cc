#include "cli/sampling_commands.h"

#include <iostream>
#include <memory>

#include "absl/strings/str_format.h"
#include "cli/output.h"
#include "common/duration.h"
#include "nlohmann/json.hpp"

namespace spanvault::cli {
namespace {

struct SamplingFlags {
  std::string attr, duration, reason, id;
  bool json = false;
};

int AddRule(AdminClient& client, const SamplingFlags& flags) {
  size_t eq = flags.attr.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Fail(absl::InvalidArgumentError("--attr must be KEY=VALUE, e.g. order_id=A-1001"));
  }
  auto nanos = ParseGoDurationNanos(flags.duration);
  if (!nanos.ok()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrFormat("--for %s: %s (use a duration such as 30m, 1h, 2h30m)", flags.duration,
                        std::string(nanos.status().message()))));
  }
  auto rule = client.AddSamplingRule(flags.attr.substr(0, eq), flags.attr.substr(eq + 1),
                                     absl::Nanoseconds(*nanos), flags.reason);
  if (!rule.ok()) return Fail(rule.status());
  std::cout << absl::StrFormat("rule %s: keeping every trace with %s=%s until %s\n", rule->id(),
                               rule->attribute_key(), rule->attribute_value(),
                               FormatUnixNanos(rule->expires_at_unix_nano()));
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
                     {"created_at", FormatUnixNanos(r.created_at_unix_nano())},
                     {"expires_at", FormatUnixNanos(r.expires_at_unix_nano())},
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
                                 FormatUnixNanos(r.expires_at_unix_nano()), r.reason());
  }
  return 0;
}

int RemoveRule(AdminClient& client, const std::string& id) {
  absl::Status s = client.RemoveSamplingRule(id);
  if (!s.ok()) return Fail(s);
  std::cout << "rule " << id << " removed\n";
  return 0;
}

}  // namespace

void AddSamplingCommands(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<SamplingFlags>();
  auto* sampling = app.add_subcommand("sampling", "runtime sampling rules");
  sampling->require_subcommand(1);
  auto* add = sampling->add_subcommand("add", "keep every trace with an attribute for a while");
  add->add_option("--attr", flags->attr, "KEY=VALUE, e.g. order_id=A-1001")->required();
  add->add_option("--for", flags->duration, "how long, e.g. 1h")->required();
  add->add_option("--reason", flags->reason, "why, for the audit trail and the next engineer");
  add->callback([&context, flags] {
    context.run = WithClient(context, [flags](AdminClient& c) { return AddRule(c, *flags); });
  });
  auto* list = sampling->add_subcommand("list", "the rules in force");
  list->add_flag("--json", flags->json, "print JSON (as -o json)");
  list->callback([&context, flags] {
    context.run = WithClient(context, [&context, flags](AdminClient& c) {
      return ListRules(c, flags->json || context.json);
    });
  });
  auto* remove = sampling->add_subcommand("remove", "remove a rule before it expires");
  remove->add_option("ID", flags->id, "the rule's id (see list)")->required();
  remove->callback([&context, flags] {
    context.run = WithClient(context, [flags](AdminClient& c) { return RemoveRule(c, flags->id); });
  });
}

}  // namespace spanvault::cli
