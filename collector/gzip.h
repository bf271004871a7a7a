#pragma once

// gzip decompression with a bound on the output, checked while decompressing.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace spanvault {

// Decompresses a gzip stream (one or more members). Returns kInvalidArgument naming the problem
// for data that is not valid gzip or is truncated, and kResourceExhausted as soon as the output
// would exceed `max_output_bytes` (so a gzip bomb costs at most that much memory).
absl::StatusOr<std::string> Gunzip(std::string_view compressed, size_t max_output_bytes);

// Compresses `data` as one gzip member at zlib `level` (1 fastest .. 9 smallest; -1 zlib's
// default), for tests and clients. "" if zlib fails or `data` is over 4 GiB.
std::string Gzip(std::string_view data, int level = -1);

}  // namespace spanvault
