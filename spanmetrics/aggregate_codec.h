#pragma once

// How the span-metrics aggregates are laid out in their KvStore (a column family of the
// encrypted store):
//   "m" + big-endian unix minute start (seconds) + service \0 operation \0 span kind
//       -> calls (u64) + errors (u64) + LatencySketch
//   "d" + big-endian unix hour start (seconds) + parent \0 child -> call count (u64)
// Big-endian times make a time range one key range.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "spanmetrics/span_metrics_reader.h"

namespace spanvault::spanmetrics::codec {

inline constexpr char kMetricPrefix[] = "m";
inline constexpr char kDependencyPrefix[] = "d";

// The prefix followed by the time bucket, the lower bound of a range scan.
std::string TimeKey(std::string_view prefix, absl::Time bucket);
std::string MetricKey(absl::Time minute, const SeriesKey& key);
std::string DependencyKey(absl::Time hour, const std::string& parent, const std::string& child);

// The bucket time of a key of either kind; kDataLoss for a malformed key.
absl::StatusOr<absl::Time> KeyTime(std::string_view key);
absl::StatusOr<MinuteMetrics> DecodeMetric(std::string_view key, std::string_view value);
absl::StatusOr<DependencyLink> DecodeDependency(std::string_view key, std::string_view value);

std::string EncodeCell(const MinuteCell& cell);
absl::StatusOr<MinuteCell> DecodeCell(std::string_view value);
std::string EncodeCount(uint64_t count);
absl::StatusOr<uint64_t> DecodeCount(std::string_view value);

}  // namespace spanvault::spanmetrics::codec
