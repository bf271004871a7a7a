#pragma once

// Splitting an export request by trace, for routing spans of differently decided traces.

#include <functional>
#include <vector>

#include "common/ids.h"
#include "common/span_batch.h"

namespace spanvault::sampling {

// Moves every span of `batch` into the batch of its category, `category(trace id)` in
// [0, categories); each part keeps the resource and scope its spans came with. Parts without
// spans are empty batches. When every span falls in one category the request is moved whole.
std::vector<SpanBatch> SplitByTrace(SpanBatch batch, int categories,
                                    const std::function<int(const TraceId&)>& category);

}  // namespace spanvault::sampling
