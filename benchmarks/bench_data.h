#pragma once

// Inputs shared by the micro-benchmarks: the load generator's workload, decoded.

#include <string>
#include <vector>

#include "benchmarks/loadgen/workload.h"
#include "common/otlp_util.h"

namespace spanvault::bench {

// `n` realistic requests of `spans_per_request` spans (default workload otherwise), with
// distinct ids, decoded.
std::vector<ExportRequest> SampleRequests(int n, int spans_per_request = 100);

// The same, encoded (what a receiver gets on the wire).
std::vector<std::string> SampleEncodedRequests(int n, int spans_per_request = 100);

// One trace of `spans` spans as TraceReader::GetTrace returns it: every span of one trace id,
// grouped by resource.
otlp::TracesData SampleTrace(int spans);

}  // namespace spanvault::bench
