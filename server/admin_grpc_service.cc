#include "server/admin_grpc_service.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_server.h"
#include "common/wire_status.h"
#include "grpcpp/server_context.h"
#include "spanvault/admin/v1/admin.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

namespace adminpb = ::spanvault::admin::v1;

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

class AdminGrpcServer::Service final : public adminpb::Admin::Service {
 public:
  explicit Service(sampling::RuleSet& rules) : rules_(rules) {}

  grpc::Status AddSamplingRule(grpc::ServerContext* context,
                               const adminpb::AddSamplingRuleRequest* request,
                               adminpb::SamplingRule* response) override {
    auto rule =
        rules_.Add(request->attribute_key(), request->attribute_value(),
                   absl::Seconds(request->duration_seconds()), request->reason(), context->peer());
    if (!rule.ok()) return ToGrpcStatus(rule.status());
    // The rule's value is an identifier the engineer chose to follow, not span data.
    spdlog::info("sampling rule {} added by {}: keep traces with {} for {}", rule->id,
                 context->peer(), request->attribute_key(),
                 absl::FormatDuration(rule->expires_at - rule->created_at));
    ToProto(*rule, response);
    return grpc::Status::OK;
  }

  grpc::Status ListSamplingRules(grpc::ServerContext*, const adminpb::ListSamplingRulesRequest*,
                                 adminpb::ListSamplingRulesResponse* response) override {
    for (const auto& rule : rules_.List()) ToProto(rule, response->add_rules());
    return grpc::Status::OK;
  }

  grpc::Status RemoveSamplingRule(grpc::ServerContext* context,
                                  const adminpb::RemoveSamplingRuleRequest* request,
                                  adminpb::RemoveSamplingRuleResponse*) override {
    absl::Status s = rules_.Remove(request->id());
    if (!s.ok()) return ToGrpcStatus(s);
    spdlog::info("sampling rule {} removed by {}", request->id(), context->peer());
    return grpc::Status::OK;
  }

 private:
  sampling::RuleSet& rules_;
};

AdminGrpcServer::AdminGrpcServer(std::string address, sampling::RuleSet& rules)
    : address_(std::move(address)), service_(std::make_unique<Service>(rules)) {}

AdminGrpcServer::~AdminGrpcServer() { Shutdown(absl::ZeroDuration()); }

absl::Status AdminGrpcServer::Start(const std::shared_ptr<grpc::ServerCredentials>& credentials) {
  auto listener = StartGrpcListener(address_, {service_.get()}, 0, credentials);
  if (!listener.ok()) return listener.status();
  server_ = std::move(listener->server);
  bound_ = std::move(listener->bound_address);
  return absl::OkStatus();
}

void AdminGrpcServer::Shutdown(absl::Duration grace) { StopGrpcServer(server_, grace); }

}  // namespace spanvault
