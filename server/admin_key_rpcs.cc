// spanvault.admin.v1.Admin: encryption key rotation (admin:keys).

#include "server/admin_service.h"
#include "spdlog/spdlog.h"

namespace spanvault {
namespace {

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

absl::Status NoEncryption() {
  return absl::FailedPreconditionError(
      "encryption at rest is switched off (--testing-no-encryption): there are no keys");
}

}  // namespace

grpc::Status AdminService::RotateKeys(grpc::ServerContext* context,
                                      const adminpb::RotateKeysRequest* request,
                                      adminpb::RotateKeysResponse* response) {
  AdminCall call{"RotateKeys", Action::kAdminKeys, {{"rewrite_only", request->rewrite_only()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) -> absl::Status {
    if (deps_.keys == nullptr) return NoEncryption();
    auto result = deps_.keys->Rotate(request->rewrite_only());
    if (!result.ok()) return result.status();
    spdlog::info("encryption keys rotated by {}: new files under key {}{}", caller.subject,
                 result->newest_key_id, result->key_added ? " (added)" : "");
    response->set_newest_key_id(result->newest_key_id);
    response->set_key_added(result->key_added);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::KeyStatus(grpc::ServerContext* context, const adminpb::KeyStatusRequest*,
                                     adminpb::KeyStatusResponse* response) {
  return auth_.Run(*context, {"KeyStatus", Action::kAdminKeys},
                   [&](const Principal&) -> absl::Status {
                     if (deps_.keys == nullptr) return NoEncryption();
                     auto report = deps_.keys->Status();
                     if (!report.ok()) return report.status();
                     ToProto(*report, response);
                     return absl::OkStatus();
                   });
}

grpc::Status AdminService::RetireKey(grpc::ServerContext* context,
                                     const adminpb::RetireKeyRequest* request,
                                     adminpb::RetireKeyResponse*) {
  AdminCall call{"RetireKey", Action::kAdminKeys, {{"key_id", request->key_id()}}};
  return auth_.Run(*context, std::move(call), [&](const Principal& caller) -> absl::Status {
    if (deps_.keys == nullptr) return NoEncryption();
    absl::Status s = deps_.keys->Retire(request->key_id());
    if (s.ok()) spdlog::info("encryption key {} retired by {}", request->key_id(), caller.subject);
    return s;
  });
}

}  // namespace spanvault
