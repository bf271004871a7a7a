#include "spanmetrics/client_metrics.h"

#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/otlp_util.h"

namespace spanvault::spanmetrics {
namespace {

constexpr int kServerKind = 2;  // SPAN_KIND_SERVER
constexpr absl::Duration kMinWindow = absl::Seconds(10);
constexpr absl::Duration kMaxWindow = absl::Hours(24);

absl::Status Invalid(std::string_view path, std::string_view field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(absl::string_view(path.data(), path.size()), ".",
                                                 absl::string_view(field.data(), field.size()),
                                                 ": ", why));
}

// The HTTP status code of a value that holds one as an int, a double or a decimal string.
int64_t HttpCode(const otlp::AnyValue& v) {
  int64_t code = 0;
  switch (v.value_case()) {
    case otlp::AnyValue::kIntValue:
      return v.int_value();
    case otlp::AnyValue::kDoubleValue:  // range-checked: casting NaN or 1e300 is undefined
      return v.double_value() >= 0 && v.double_value() < 1000
                 ? static_cast<int64_t>(v.double_value())
                 : 0;
    case otlp::AnyValue::kStringValue:
      return absl::SimpleAtoi(v.string_value(), &code) ? code : 0;
    default:
      return 0;
  }
}

bool IsServerError(const otlp::Span& span) {
  if (IsError(span)) return true;
  for (const char* key : {"http.response.status_code", "http.status_code"}) {
    const otlp::AnyValue* v = FindAttribute(span.attributes(), key);
    if (v != nullptr && HttpCode(*v) >= 500) return true;
  }
  return false;
}

// Cuts `id` to kMaxClientIdBytes without splitting a UTF-8 sequence (label values are UTF-8).
std::string Truncated(std::string id) {
  if (id.size() <= kMaxClientIdBytes) return id;
  size_t end = kMaxClientIdBytes;
  while (end > 0 && (static_cast<unsigned char>(id[end]) & 0xC0) == 0x80) --end;
  id.resize(end);
  return id;
}

std::string ClientOf(const otlp::Resource& resource, const otlp::Span& span,
                     const std::string& attribute) {
  const otlp::AnyValue* v = FindAttribute(span.attributes(), attribute);
  if (v == nullptr) v = FindAttribute(resource.attributes(), attribute);
  if (v == nullptr) return kUnknownClient;
  std::string id = v->has_string_value() ? v->string_value() : AnyValueToString(*v);
  return id.empty() ? kUnknownClient : Truncated(std::move(id));
}

}  // namespace

absl::Status ValidateClientMetricsSpec(const ClientMetricsSpec& spec, std::string_view path) {
  if (spec.service.empty()) return Invalid(path, "service", "is required");
  if (spec.attribute.empty()) return Invalid(path, "attribute", "is required");
  if (spec.top < 1 || spec.top > kMaxClientTop) {
    return Invalid(path, "top", absl::StrCat("must be between 1 and ", kMaxClientTop));
  }
  if (spec.window < kMinWindow || spec.window > kMaxWindow) {
    return Invalid(path, "window", "must be between 10s and 24h");
  }
  if (spec.max_clients < spec.top || spec.max_clients > kMaxTrackedClients) {
    return Invalid(path, "max_clients",
                   absl::StrCat("must be between top (", spec.top, ") and ", kMaxTrackedClients));
  }
  return absl::OkStatus();
}

ClientMetricsTap::ClientMetricsTap(std::vector<ClientMetricsSpec> specs, SpanSink& next,
                                   Clock& clock, MetricsRegistry& metrics)
    : specs_(std::move(specs)), next_(next), clock_(clock) {
  for (const auto& spec : specs_) {
    windows_.emplace_back(spec.window, static_cast<size_t>(spec.max_clients));
  }
  const std::vector<std::string> labels = {"service", "attribute", "client"};
  metrics.AddGaugeFamily("spanvault_client_requests_per_second",
                         "Requests (SERVER spans) per second of the top clients of a service "
                         "over the client_metrics window; client=\"other\" sums the rest.",
                         labels, [this] { return Samples(false); });
  metrics.AddGaugeFamily("spanvault_client_error_ratio",
                         "Errors (status ERROR or HTTP status >= 500) per request of the top "
                         "clients of a service over the client_metrics window.",
                         labels, [this] { return Samples(true); });
}

void ClientMetricsTap::Consume(SpanBatch batch, SpanSinkDone done) {
  std::vector<Hit> hits = HitsOf(batch.request());
  if (hits.empty()) return next_.Consume(std::move(batch), std::move(done));
  next_.Consume(std::move(batch),
                [this, hits = std::move(hits), done = std::move(done)](absl::Status s) mutable {
                  // Only acknowledged spans count: a refused batch comes back as a retry.
                  if (s.ok()) Apply(hits);
                  std::move(done)(std::move(s));
                });
}

std::vector<ClientMetricsTap::Hit> ClientMetricsTap::HitsOf(const ExportRequest& request) const {
  std::vector<Hit> hits;
  for (const auto& rs : request.resource_spans()) {
    std::string service = ServiceName(rs.resource());
    for (size_t i = 0; i < specs_.size(); ++i) {
      if (specs_[i].service != service) continue;
      for (const auto& ss : rs.scope_spans()) {
        for (const otlp::Span& span : ss.spans()) {
          if (span.kind() != kServerKind) continue;
          hits.push_back(
              {i, ClientOf(rs.resource(), span, specs_[i].attribute), IsServerError(span)});
        }
      }
    }
  }
  return hits;
}

void ClientMetricsTap::Apply(const std::vector<Hit>& hits) {
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  for (const Hit& hit : hits) windows_[hit.spec].Add(hit.client, hit.error, now);
}

std::vector<ClientRate> ClientMetricsTap::Rates() const {
  absl::Time now = clock_.Now();
  std::vector<ClientRate> out;
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < specs_.size(); ++i) {
    const ClientMetricsSpec& spec = specs_[i];
    double seconds = absl::ToDoubleSeconds(spec.window);
    for (auto& stat : windows_[i].Top(static_cast<size_t>(spec.top), now)) {
      const ClientCounts& c = stat.counts;
      double ratio = c.requests == 0 ? 0 : static_cast<double>(c.errors) / c.requests;
      out.push_back({spec.service, spec.attribute, std::move(stat.client),
                     static_cast<double>(c.requests) / seconds, ratio});
    }
  }
  return out;
}

size_t ClientMetricsTap::TrackedClients(size_t i) const {
  absl::MutexLock lock(&mu_);
  return windows_[i].TrackedClients();
}

GaugeSamples ClientMetricsTap::Samples(bool ratio) const {
  GaugeSamples samples;
  for (auto& rate : Rates()) {
    double value = ratio ? rate.error_ratio : rate.requests_per_second;
    samples.push_back(
        {{std::move(rate.service), std::move(rate.attribute), std::move(rate.client)}, value});
  }
  return samples;
}

}  // namespace spanvault::spanmetrics
