#include "query/query_seams.h"

namespace spanvault {

absl::Status ArchiveTraceSeam(const Principal& caller, const TraceId&) {
  if (!caller.access->Allows(Action::kTracesArchive)) {
    return absl::PermissionDeniedError(PermissionDeniedMessage(caller, Action::kTracesArchive));
  }
  return absl::UnimplementedError("archive storage is not configured");
}

}  // namespace spanvault
