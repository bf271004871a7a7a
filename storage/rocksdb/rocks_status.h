#pragma once

// The one conversion from rocksdb::Status to absl::Status.

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace spanvault {

// OK stays OK; NotFound -> kNotFound; Corruption -> kDataLoss; NoSpace (the message says "disk
// full"), Busy, TimedOut, TryAgain, Incomplete, ShutdownInProgress and IOError -> kUnavailable
// (retryable); anything else -> kInternal. `what` says what was being done ("writing spans").
absl::Status FromRocks(const rocksdb::Status& status, std::string_view what);

}  // namespace spanvault
