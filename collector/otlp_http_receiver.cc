#include "collector/otlp_http_receiver.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/gzip.h"
#include "common/otlp_json.h"
#include "common/protobuf_parse.h"
#include "common/wire_status.h"

namespace spanvault {
namespace {

using ExportResponse = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

constexpr char kReceiver[] = "otlp_http";
constexpr char kProtobuf[] = "application/x-protobuf";
constexpr char kJson[] = "application/json";

using Encoding = OtlpHttpReceiver::Encoding;

Encoding EncodingOf(std::string_view content_type) {
  std::string type =
      absl::AsciiStrToLower(std::string(content_type.substr(0, content_type.find(';'))));
  absl::StripAsciiWhitespace(&type);
  if (type == kProtobuf) return Encoding::kProtobuf;
  if (type == kJson) return Encoding::kJson;
  return Encoding::kUnsupported;
}

// The body in the request's encoding, or the google.rpc.Status of `status`.
HttpResponse Respond(Encoding encoding, int http_status, std::string body) {
  HttpResponse r;
  r.status = http_status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", encoding == Encoding::kJson ? kJson : kProtobuf);
  return r;
}

HttpResponse ErrorResponse(Encoding encoding, int http_status, const absl::Status& status) {
  google::rpc::Status body;
  body.set_code(static_cast<int>(status.code()));
  body.set_message(std::string(status.message()));
  HttpResponse r =
      Respond(encoding, http_status,
              encoding == Encoding::kJson ? RpcStatusToJson(body) : body.SerializeAsString());
  if (http_status == 429 || http_status == 503) {
    r.AddHeader("Retry-After", absl::StrCat(absl::ToInt64Seconds(kRetryAfter)));
  }
  return r;
}

HttpResponse SuccessResponse(Encoding encoding, const ValidationResult& validation) {
  ExportResponse response;
  if (!validation.message.empty()) {
    response.mutable_partial_success()->set_rejected_spans(validation.rejected_spans);
    response.mutable_partial_success()->set_error_message(validation.message);
  }
  return Respond(
      encoding, 200,
      encoding == Encoding::kJson ? ExportResponseToJson(response) : response.SerializeAsString());
}

// The body with any Content-Encoding removed.
absl::StatusOr<std::string> Decompress(std::string_view content_encoding, std::string body,
                                       size_t limit) {
  std::string coding = absl::AsciiStrToLower(std::string(content_encoding));
  absl::StripAsciiWhitespace(&coding);
  if (coding.empty() || coding == "identity") return body;
  if (coding == "gzip" || coding == "x-gzip") return Gunzip(body, limit);
  return absl::UnimplementedError(
      absl::StrCat("unsupported Content-Encoding \"", coding, "\"; use gzip or none"));
}

absl::StatusOr<std::unique_ptr<ExportRequest>> Decode(Encoding encoding, const std::string& body) {
  auto request = std::make_unique<ExportRequest>();
  if (encoding == Encoding::kJson) {
    absl::Status s = DecodeOtlpJson(body, request.get());
    if (!s.ok()) return s;
    return request;
  }
  const std::string problem = ProtobufParseProblem([&] { return request->ParseFromString(body); });
  if (!problem.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "body is not a valid ExportTraceServiceRequest in protobuf encoding: ", problem));
  }
  return request;
}

int HttpStatusForBodyError(const absl::Status& status) {
  if (absl::IsResourceExhausted(status)) return 413;
  if (absl::IsUnimplemented(status)) return 415;
  return 400;
}

}  // namespace

void OtlpHttpReceiver::Handle(HttpRequest request, HttpRespond respond) {
  absl::Time started = absl::Now();
  if (request.path != "/v1/traces") {
    std::move(respond)(
        HttpResponse::Text(404, "not found: OTLP/HTTP traces go to POST /v1/traces\n"));
    return;
  }
  if (request.method != "POST") {
    std::move(respond)(
        HttpResponse::Text(405, "method not allowed: use POST\n").AddHeader("Allow", "POST"));
    return;
  }
  std::string content_type(request.Header("content-type"));
  Encoding encoding = EncodingOf(content_type);
  if (encoding == Encoding::kUnsupported) {
    metrics_.Record(kReceiver, 0, 0, 0, "unsupported_media_type", absl::Now() - started);
    std::move(respond)(HttpResponse::Text(
        415, absl::StrCat("unsupported Content-Type \"", content_type,
                          "\"; use application/x-protobuf or application/json\n")));
    return;
  }
  if (options_.authorize) {
    absl::Status allowed =
        options_.authorize(request.Header("authorization"), request.remote_address);
    if (!allowed.ok()) {
      metrics_.Record(kReceiver, 0, 0, 0, "unauthorized", absl::Now() - started);
      HttpResponse r = ErrorResponse(encoding, HttpStatusFor(allowed), allowed);
      if (absl::IsUnauthenticated(allowed)) r.AddHeader("WWW-Authenticate", "Bearer");
      std::move(respond)(std::move(r));
      return;
    }
  }
  auto body = Decompress(request.Header("content-encoding"), std::move(request.body),
                         options_.max_request_bytes);
  MemoryLimiter::Ticket ticket;
  if (body.ok() && options_.memory != nullptr) {
    auto admitted = options_.memory->Admit(kReceiver, body->size());
    if (!admitted.ok()) {
      metrics_.Record(kReceiver, 0, 0, 0, "memory_limit", absl::Now() - started);
      std::move(respond)(
          ErrorResponse(encoding, HttpStatusFor(admitted.status()), admitted.status()));
      return;
    }
    ticket = *std::move(admitted);
  }
  absl::StatusOr<std::unique_ptr<ExportRequest>> decoded =
      body.ok() ? Decode(encoding, *body) : body.status();
  if (!decoded.ok()) {
    int http = HttpStatusForBodyError(decoded.status());
    metrics_.Record(kReceiver, 0, 0, 0, http == 413 ? "too_large" : "invalid_request",
                    absl::Now() - started);
    std::move(respond)(
        ErrorResponse(encoding, http, absl::InvalidArgumentError(decoded.status().message())));
    return;
  }
  Export(encoding, std::move(*decoded), std::move(ticket), started, std::move(respond));
}

void OtlpHttpReceiver::Export(Encoding encoding, std::unique_ptr<ExportRequest> request,
                              MemoryLimiter::Ticket ticket, absl::Time started,
                              HttpRespond respond) {
  ValidationResult validation = ValidateExportRequest(options_.limits, request.get());
  int64_t received = validation.accepted_spans + validation.rejected_spans;
  if (validation.accepted_spans == 0) {
    metrics_.Record(kReceiver, received, 0, validation.rejected_spans, "invalid_span",
                    absl::Now() - started);
    std::move(respond)(SuccessResponse(encoding, validation));
    return;
  }
  sink_.Consume(SpanBatch(std::move(request)),
                [this, encoding, validation, received, started, ticket = std::move(ticket),
                 respond = std::move(respond)](absl::Status status) mutable {
                  if (status.ok()) {
                    metrics_.Record(kReceiver, received, validation.accepted_spans,
                                    validation.rejected_spans, "invalid_span",
                                    absl::Now() - started);
                    std::move(respond)(SuccessResponse(encoding, validation));
                    return;
                  }
                  metrics_.Record(kReceiver, received, 0, received,
                                  IngestMetrics::ReasonFor(status), absl::Now() - started);
                  std::move(respond)(ErrorResponse(encoding, HttpStatusFor(status), status));
                });
}

}  // namespace spanvault
