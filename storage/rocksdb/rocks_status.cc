#include "storage/rocksdb/rocks_status.h"

#include "absl/strings/str_cat.h"

namespace spanvault {

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(std::string(what), ": ", status.ToString());
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsNoSpace()) {
    return absl::UnavailableError(
        absl::StrCat(std::string(what), ": disk full (", status.ToString(), "); retry later"));
  }
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsBusy() || status.IsTimedOut() || status.IsTryAgain() ||
      status.IsIncomplete() || status.IsShutdownInProgress() || status.IsIOError()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

}  // namespace spanvault
