#pragma once

// Parsing of spanvaultctl flag values that the command line library does not do itself.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace spanvault::cli {

// Seconds in a Go duration ("720h") of at least 1s; 0 for "" or "never" (no expiry).
// kInvalidArgument naming `flag` otherwise.
absl::StatusOr<int64_t> ExpirySeconds(std::string_view flag, const std::string& duration);

// The comma-separated items of every value in `values` ("shop-api,crm-*"), trimmed, empty
// items dropped: repeated flags and comma lists mean the same.
std::vector<std::string> SplitList(const std::vector<std::string>& values);

}  // namespace spanvault::cli
