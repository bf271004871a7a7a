// spanvault.admin.v1.Admin: runtime sampling rules (admin:sampling).

#include "absl/strings/str_cat.h"
#include "server/admin_service.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

void ToProto(const sampling::SamplingRule& rule, adminpb::SamplingRule* out) {
  out->set_id(rule.id);
  out->set_attribute_key(rule.attribute_key);
  out->set_attribute_value(rule.attribute_value);
  out->set_created_at_unix_nano(absl::ToUnixNanos(rule.created_at));
  out->set_expires_at_unix_nano(absl::ToUnixNanos(rule.expires_at));
  out->set_reason(rule.reason);
  out->set_created_by(rule.created_by);
}

}  // namespace

grpc::Status AdminService::AddSamplingRule(grpc::ServerContext* context,
                                           const adminpb::AddSamplingRuleRequest* request,
                                           adminpb::SamplingRule* response) {
  AdminCall call{"AddSamplingRule",
                 Action::kAdminSampling,
                 {{"attribute_key", request->attribute_key()},
                  {"attribute_value", request->attribute_value()},
                  {"duration_seconds", request->duration_seconds()},
                  {"reason", request->reason()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) -> absl::Status {
    auto rule = deps_.rules.Add(request->attribute_key(), request->attribute_value(),
                                absl::Seconds(request->duration_seconds()), request->reason(),
                                caller.subject);
    if (!rule.ok()) return rule.status();
    // The rule's value is an identifier the engineer chose to follow, not span data.
    spdlog::info("sampling rule {} added by {}: keep traces with {} for {}", rule->id,
                 caller.subject, request->attribute_key(),
                 absl::FormatDuration(rule->expires_at - rule->created_at));
    ToProto(*rule, response);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListSamplingRules(grpc::ServerContext* context,
                                             const adminpb::ListSamplingRulesRequest*,
                                             adminpb::ListSamplingRulesResponse* response) {
  return auth_.Run(*context, {"ListSamplingRules", Action::kAdminSampling}, [&](const Principal&) {
    for (const auto& rule : deps_.rules.List()) {
      ToProto(rule, response->add_rules());
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminService::RemoveSamplingRule(grpc::ServerContext* context,
                                              const adminpb::RemoveSamplingRuleRequest* request,
                                              adminpb::RemoveSamplingRuleResponse*) {
  AdminCall call{"RemoveSamplingRule", Action::kAdminSampling, {{"id", request->id()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) {
    absl::Status s = deps_.rules.Remove(request->id());
    if (s.ok()) spdlog::info("sampling rule {} removed by {}", request->id(), caller.subject);
    return s;
  });
}

}  // namespace spanvault
