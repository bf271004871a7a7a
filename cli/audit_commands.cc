#include "cli/audit_commands.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cli/output.h"
#include "common/duration.h"
#include "nlohmann/json.hpp"

namespace spanvault::cli {
namespace {

namespace pb = ::spanvault::admin::v1;
using Stub = pb::Admin::Stub;

struct AuditFlags {
  std::string user;
  std::string since;
  bool denied = false;
  uint32_t limit = 1000;
  std::string anchor;  // verify --anchor SEQ:HASH
};

// "SEQ:HASH", as verify prints the head.
absl::StatusOr<pb::VerifyAuditRequest> VerifyRequest(const AuditFlags& flags) {
  pb::VerifyAuditRequest request;
  if (flags.anchor.empty()) return request;
  std::vector<std::string> parts = absl::StrSplit(flags.anchor, ':');
  uint64_t seq = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &seq) || seq == 0 || parts[1].size() != 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--anchor ", flags.anchor, ": use SEQ:HASH as audit verify prints it (head: ...)"));
  }
  request.set_anchor_seq(seq);
  request.set_anchor_hash(parts[1]);
  return request;
}

absl::StatusOr<pb::ListAuditRequest> ListRequest(const AuditFlags& flags) {
  pb::ListAuditRequest request;
  request.set_principal(flags.user);
  request.set_denied_only(flags.denied);
  request.set_limit(flags.limit);
  if (!flags.since.empty()) {
    auto nanos = ParseGoDurationNanos(flags.since);
    if (!nanos.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--since ", flags.since, ": use a duration such as 30m, 1h or 24h"));
    }
    request.set_since_unix_nano(
        static_cast<uint64_t>(absl::ToUnixNanos(absl::Now() - absl::Nanoseconds(*nanos))));
  }
  return request;
}

int ListAudit(CommandContext& context, const AuditFlags& flags) {
  auto request = ListRequest(flags);
  if (!request.ok()) return Fail(request.status());
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  auto listed = (*client)->Unary(&Stub::ListAudit, *request);
  if (!listed.ok()) return Fail(listed.status());
  if (context.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : listed->entries())
      out.push_back(nlohmann::json::parse(e.json(), nullptr, false));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : listed->entries()) {
    rows.push_back({absl::StrCat(e.seq()), FormatUnixNanos(e.time_unix_nano()), e.principal(),
                    e.remote_address(), e.api(), e.action(), e.allowed() ? "allowed" : "DENIED",
                    e.detail()});
  }
  PrintTable(std::cout, {"SEQ", "TIME", "PRINCIPAL", "FROM", "API", "ACTION", "RESULT", "DETAIL"},
             rows);
  return 0;
}

int VerifyAudit(CommandContext& context, const AuditFlags& flags) {
  auto request = VerifyRequest(flags);
  if (!request.ok()) return Fail(request.status());
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  auto result = (*client)->Unary(&Stub::VerifyAudit, *request);
  if (!result.ok()) return Fail(result.status());
  const std::string head = absl::StrCat(result->records(), ":", result->head_hash());
  if (context.json) {
    std::cout << nlohmann::json{{"records", result->records()},
                                {"intact", result->intact()},
                                {"first_bad_seq", result->first_bad_seq()},
                                {"problem", result->problem()},
                                {"head", head}}
                     .dump(2)
              << "\n";
  } else if (result->intact()) {
    std::cout << "audit log intact: " << result->records() << " records, hash chain verified"
              << (flags.anchor.empty() ? "" : ", anchor matches") << "\nhead: " << head
              << "  (keep it off this machine; audit verify --anchor " << head
              << " proves nothing up to it was cut or rewritten)\n";
  }
  if (result->intact()) return 0;
  return Fail(absl::DataLossError(absl::StrCat("audit log broken at record ",
                                               result->first_bad_seq(), ": ", result->problem())));
}

int ExportAudit(CommandContext& context) {
  auto client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::Status s = (*client)->ExportAudit(
      [](const pb::AuditEntry& entry) { std::cout << entry.json() << "\n"; });
  std::cout.flush();
  if (!s.ok()) return Fail(s);
  return 0;
}

}  // namespace

void AddAuditCommands(CLI::App& app, CommandContext& context) {
  auto flags = std::make_shared<AuditFlags>();
  auto* audit = app.add_subcommand("audit", "the audit log (needs admin:audit)");
  audit->require_subcommand(1);
  auto* list = audit->add_subcommand("list", "the newest records, oldest first");
  list->add_option("--user", flags->user, "only this principal");
  list->add_option("--since", flags->since, "only the last DURATION, e.g. 1h");
  list->add_flag("--denied", flags->denied, "only refused calls and failed logins");
  list->add_option("--limit", flags->limit, "at most this many records")->capture_default_str();
  list->callback([&context, flags] {
    context.run = [&context, flags] { return ListAudit(context, *flags); };
  });
  auto* verify =
      audit->add_subcommand("verify", "check the hash chain; fails at the first bad record");
  verify->add_option("--anchor", flags->anchor,
                     "SEQ:HASH from an earlier verify: that record must still be there unchanged");
  verify->callback([&context, flags] {
    context.run = [&context, flags] { return VerifyAudit(context, *flags); };
  });
  audit->add_subcommand("export", "every record as JSON lines on stdout")->callback([&context] {
    context.run = [&context] { return ExportAudit(context); };
  });
}

}  // namespace spanvault::cli
