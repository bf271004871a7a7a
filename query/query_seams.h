#pragma once

// SEAM (issue 8): archive storage is not built yet. Until QueryService provides ArchiveTrace
// (authorized, scoped and audited like its other methods), the gRPC query APIs answer through
// this function, and nothing else calls it: replace the call sites with the QueryService method
// and delete this file.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/principal.h"
#include "common/ids.h"

namespace spanvault {

// kPermissionDenied without traces:archive; otherwise kUnimplemented "archive storage is not
// configured".
absl::Status ArchiveTraceSeam(const Principal& caller, const TraceId& trace_id);

}  // namespace spanvault
