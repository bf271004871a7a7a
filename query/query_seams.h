#pragma once

// SEAM (issue 8): archive storage and the service dependency graph are being built in other
// work. Until QueryService provides ArchiveTrace and GetDependencies (authorized, scoped to the
// caller's services and audited like its other methods), the gRPC query APIs answer through
// these two functions, and nothing else calls them: replace each call site with the
// QueryService method and delete this file.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/principal.h"
#include "common/ids.h"

namespace spanvault {

struct DependencyEdge {
  std::string parent;
  std::string child;
  uint64_t call_count = 0;
};

// kPermissionDenied without traces:archive; otherwise kUnimplemented "archive storage is not
// configured".
absl::Status ArchiveTraceSeam(const Principal& caller, const TraceId& trace_id);

// kPermissionDenied without traces:read; otherwise no edges.
absl::StatusOr<std::vector<DependencyEdge>> GetDependenciesSeam(const Principal& caller,
                                                                uint64_t start_unix_nano,
                                                                uint64_t end_unix_nano);

}  // namespace spanvault
