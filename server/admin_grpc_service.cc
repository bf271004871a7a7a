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

void ToProto(const KeyStatusReport& report, adminpb::KeyStatusResponse* out) {
  for (const KeyUsage& usage : report.keys) {
    adminpb::KeyUsage* key = out->add_keys();
    key->set_key_id(usage.key_id);
    key->set_newest(usage.newest);
    key->set_files(usage.files);
    key->set_bytes(usage.bytes);
    key->set_files_rewritten_at_restart(usage.files_rewritten_at_restart);
  }
  out->set_newest_key_id(report.newest_key_id);
  out->set_key_source(report.key_source);
  out->set_can_add_keys(report.can_add_keys);
  out->set_rewrite_running(report.rewrite_running);
  out->set_last_rewrite_error(report.last_rewrite_error);
}

grpc::Status NoEncryption() {
  return ToGrpcStatus(absl::FailedPreconditionError(
      "encryption at rest is switched off (--testing-no-encryption): there are no keys"));
}

}  // namespace

class AdminGrpcServer::Service final : public adminpb::Admin::Service {
 public:
  Service(sampling::RuleSet& rules, EncryptionKeyAdmin* keys) : rules_(rules), keys_(keys) {}

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

  grpc::Status RotateKeys(grpc::ServerContext* context, const adminpb::RotateKeysRequest* request,
                          adminpb::RotateKeysResponse* response) override {
    if (keys_ == nullptr) return NoEncryption();
    auto result = keys_->Rotate(request->rewrite_only());
    if (!result.ok()) return ToGrpcStatus(result.status());
    spdlog::info("encryption keys rotated by {}: new files under key {}{}", context->peer(),
                 result->newest_key_id, result->key_added ? " (added)" : "");
    response->set_newest_key_id(result->newest_key_id);
    response->set_key_added(result->key_added);
    return grpc::Status::OK;
  }

  grpc::Status KeyStatus(grpc::ServerContext*, const adminpb::KeyStatusRequest*,
                         adminpb::KeyStatusResponse* response) override {
    if (keys_ == nullptr) return NoEncryption();
    auto report = keys_->Status();
    if (!report.ok()) return ToGrpcStatus(report.status());
    ToProto(*report, response);
    return grpc::Status::OK;
  }

  grpc::Status RetireKey(grpc::ServerContext* context, const adminpb::RetireKeyRequest* request,
                         adminpb::RetireKeyResponse*) override {
    if (keys_ == nullptr) return NoEncryption();
    absl::Status s = keys_->Retire(request->key_id());
    if (!s.ok()) return ToGrpcStatus(s);
    spdlog::info("encryption key {} retired by {}", request->key_id(), context->peer());
    return grpc::Status::OK;
  }

 private:
  sampling::RuleSet& rules_;
  EncryptionKeyAdmin* const keys_;
};

AdminGrpcServer::AdminGrpcServer(std::string address, sampling::RuleSet& rules,
                                 EncryptionKeyAdmin* keys)
    : address_(std::move(address)), service_(std::make_unique<Service>(rules, keys)) {}

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
