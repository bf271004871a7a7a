#pragma once

// Byte sizes as people write them in flags and YAML: "1073741824", "512MiB", "1GiB", "64KiB".

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace spanvault {

// A whole number of bytes, optionally followed by KiB, MiB, GiB or TiB (powers of 1024).
// kInvalidArgument naming the text otherwise (or on overflow).
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

}  // namespace spanvault
