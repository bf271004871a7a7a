#include "common/otlp_json.h"

namespace spanvault {

absl::Status DecodeOtlpJson(std::string_view json, ExportRequest* out) {
  return absl::UnimplementedError("DecodeOtlpJson");
}

nlohmann::json TracesDataToJson(const otlp::TracesData& data) { return nlohmann::json::object(); }

std::string ExportResponseToJson(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse& response) {
  return "{}";
}

std::string RpcStatusToJson(const google::rpc::Status& status) { return "{}"; }

}  // namespace spanvault
