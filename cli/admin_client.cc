#include "cli/admin_client.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace spanvault::cli {

AdminClient::AdminClient(const std::string& server,
                         const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                         absl::Duration timeout)
    : server_(server),
      timeout_(timeout),
      stub_(admin::v1::Admin::NewStub(grpc::CreateChannel(server, credentials))) {}

std::unique_ptr<grpc::ClientContext> AdminClient::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout_)));
  if (!authorization_.empty()) context->AddMetadata("authorization", authorization_);
  return context;
}

absl::Status AdminClient::FromGrpc(const grpc::Status& status) const {
  if (status.ok()) return absl::OkStatus();
  auto code = static_cast<absl::StatusCode>(status.error_code());
  if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) {
    return absl::Status(
        code, absl::StrCat(
                  "cannot reach the spanvault admin API at ", server_, ": ", status.error_message(),
                  " (is spanvault running? see --server, and --tls-ca when it serves TLS)"));
  }
  return absl::Status(code, status.error_message());
}

absl::StatusOr<admin::v1::SamplingRule> AdminClient::AddSamplingRule(const std::string& key,
                                                                     const std::string& value,
                                                                     absl::Duration duration,
                                                                     const std::string& reason) {
  admin::v1::AddSamplingRuleRequest request;
  request.set_attribute_key(key);
  request.set_attribute_value(value);
  request.set_duration_seconds(absl::ToInt64Seconds(duration));
  request.set_reason(reason);
  admin::v1::SamplingRule rule;
  absl::Status s = FromGrpc(stub_->AddSamplingRule(Context().get(), request, &rule));
  if (!s.ok()) return s;
  return rule;
}

absl::StatusOr<std::vector<admin::v1::SamplingRule>> AdminClient::ListSamplingRules() {
  admin::v1::ListSamplingRulesResponse response;
  absl::Status s = FromGrpc(
      stub_->ListSamplingRules(Context().get(), admin::v1::ListSamplingRulesRequest(), &response));
  if (!s.ok()) return s;
  return std::vector<admin::v1::SamplingRule>(response.rules().begin(), response.rules().end());
}

absl::Status AdminClient::RemoveSamplingRule(const std::string& id) {
  admin::v1::RemoveSamplingRuleRequest request;
  request.set_id(id);
  admin::v1::RemoveSamplingRuleResponse response;
  return FromGrpc(stub_->RemoveSamplingRule(Context().get(), request, &response));
}

absl::StatusOr<admin::v1::RotateKeysResponse> AdminClient::RotateKeys(bool rewrite_only) {
  admin::v1::RotateKeysRequest request;
  request.set_rewrite_only(rewrite_only);
  admin::v1::RotateKeysResponse response;
  absl::Status s = FromGrpc(stub_->RotateKeys(Context().get(), request, &response));
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<admin::v1::KeyStatusResponse> AdminClient::KeyStatus() {
  admin::v1::KeyStatusResponse response;
  absl::Status s =
      FromGrpc(stub_->KeyStatus(Context().get(), admin::v1::KeyStatusRequest(), &response));
  if (!s.ok()) return s;
  return response;
}

absl::Status AdminClient::RetireKey(uint32_t id) {
  admin::v1::RetireKeyRequest request;
  request.set_key_id(id);
  admin::v1::RetireKeyResponse response;
  return FromGrpc(stub_->RetireKey(Context().get(), request, &response));
}

absl::Status AdminClient::ExportAudit(
    const std::function<void(const admin::v1::AuditEntry&)>& visit) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!authorization_.empty()) context->AddMetadata("authorization", authorization_);
  auto reader = stub_->ExportAudit(context.get(), admin::v1::ExportAuditRequest());
  admin::v1::AuditEntry entry;
  while (reader->Read(&entry)) visit(entry);
  return FromGrpc(reader->Finish());
}

}  // namespace spanvault::cli
