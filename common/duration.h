#pragma once

// Go durations (time.ParseDuration), shared by the query parameters and the YAML config.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace spanvault {

// Parses a Go duration string ("1.5s", "100ms", "2h45m", "1us", "1µs", "300ns") into
// nanoseconds. Negative durations are rejected ("-0s" is zero, not negative). kInvalidArgument
// otherwise, with Go's message (`time: missing unit in duration "100"`).
absl::StatusOr<uint64_t> ParseGoDurationNanos(std::string_view text);

}  // namespace spanvault
