#include "query/query_seams.h"

namespace spanvault {

absl::Status ArchiveTraceSeam(const Principal& caller, const TraceId&) {
  if (!caller.access->Allows(Action::kTracesArchive)) {
    return absl::PermissionDeniedError(PermissionDeniedMessage(caller, Action::kTracesArchive));
  }
  return absl::UnimplementedError("archive storage is not configured");
}

absl::StatusOr<std::vector<DependencyEdge>> GetDependenciesSeam(const Principal& caller, uint64_t,
                                                                uint64_t) {
  if (!caller.access->Allows(Action::kTracesRead)) {
    return absl::PermissionDeniedError(PermissionDeniedMessage(caller, Action::kTracesRead));
  }
  return std::vector<DependencyEdge>();
}

}  // namespace spanvault
