#include "benchmarks/bench_data.h"

#include <map>

namespace spanvault::bench {

std::vector<std::string> SampleEncodedRequests(int n, int spans_per_request) {
  WorkloadOptions options;
  options.spans_per_request = spans_per_request;
  options.templates = std::min(n, 64);
  auto pool = RequestPool::Create(options);
  std::vector<std::string> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    pool->Make(static_cast<uint64_t>(i), options.base_unix_nano, &out[static_cast<size_t>(i)]);
  }
  return out;
}

std::vector<ExportRequest> SampleRequests(int n, int spans_per_request) {
  std::vector<ExportRequest> out(static_cast<size_t>(n));
  auto encoded = SampleEncodedRequests(n, spans_per_request);
  for (size_t i = 0; i < out.size(); ++i) out[i].ParseFromString(encoded[i]);
  return out;
}

otlp::TracesData SampleTrace(int spans) {
  WorkloadOptions options;
  options.spans_per_request = spans;
  options.min_spans_per_trace = spans;
  options.max_spans_per_trace = spans;
  options.templates = 1;
  ExportRequest request = BuildRequests(options)[0];
  otlp::TracesData trace;
  for (const auto& rs : request.resource_spans()) *trace.add_resource_spans() = rs;
  return trace;
}

}  // namespace spanvault::bench
