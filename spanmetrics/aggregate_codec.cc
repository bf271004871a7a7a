#include "spanmetrics/aggregate_codec.h"

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace spanvault::spanmetrics::codec {
namespace {

constexpr size_t kHeader = 9;  // prefix + 8-byte time

absl::Status Corrupt(const std::string& what) {
  return absl::DataLossError(absl::StrCat("a stored span-metrics ", what, " does not parse"));
}

uint64_t TakeU64(std::string_view* in) {
  uint64_t v = 0;
  std::memcpy(&v, in->data(), sizeof(v));
  in->remove_prefix(sizeof(v));
  return v;
}

void PutU64(std::string* out, uint64_t v) {
  char bytes[8];
  std::memcpy(bytes, &v, sizeof(v));
  out->append(bytes, sizeof(bytes));
}

// The \0-separated names after the header.
std::vector<std::string> Names(std::string_view key) {
  return absl::StrSplit(absl::string_view(key.data() + kHeader, key.size() - kHeader), '\0');
}

}  // namespace

std::string TimeKey(std::string_view prefix, absl::Time bucket) {
  std::string key(prefix);
  uint64_t seconds = static_cast<uint64_t>(absl::ToUnixSeconds(bucket));
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(seconds >> shift));
  return key;
}

std::string MetricKey(absl::Time minute, const SeriesKey& key) {
  std::string out = TimeKey(kMetricPrefix, minute);
  out.append(key.service).push_back('\0');
  out.append(key.operation).push_back('\0');
  out.append(key.span_kind);
  return out;
}

std::string DependencyKey(absl::Time hour, const std::string& parent, const std::string& child) {
  std::string out = TimeKey(kDependencyPrefix, hour);
  out.append(parent).push_back('\0');
  out.append(child);
  return out;
}

absl::StatusOr<absl::Time> KeyTime(std::string_view key) {
  if (key.size() < kHeader) return Corrupt("key");
  uint64_t seconds = 0;
  for (size_t i = 1; i < kHeader; ++i) seconds = (seconds << 8) | static_cast<uint8_t>(key[i]);
  return absl::FromUnixSeconds(static_cast<int64_t>(seconds));
}

absl::StatusOr<MinuteCell> DecodeCell(std::string_view value) {
  if (value.size() < 16) return Corrupt("cell");
  MinuteCell cell;
  cell.calls = TakeU64(&value);
  cell.errors = TakeU64(&value);
  auto sketch = LatencySketch::Decode(value);
  if (!sketch.ok()) return sketch.status();
  cell.latency = *std::move(sketch);
  return cell;
}

std::string EncodeCell(const MinuteCell& cell) {
  std::string out;
  PutU64(&out, cell.calls);
  PutU64(&out, cell.errors);
  cell.latency.EncodeTo(&out);
  return out;
}

std::string EncodeCount(uint64_t count) {
  std::string out;
  PutU64(&out, count);
  return out;
}

absl::StatusOr<uint64_t> DecodeCount(std::string_view value) {
  if (value.size() != 8) return Corrupt("link count");
  return TakeU64(&value);
}

absl::StatusOr<MinuteMetrics> DecodeMetric(std::string_view key, std::string_view value) {
  auto time = KeyTime(key);
  if (!time.ok()) return time.status();
  std::vector<std::string> names = Names(key);
  if (names.size() != 3) return Corrupt("key");
  auto cell = DecodeCell(value);
  if (!cell.ok()) return cell.status();
  return MinuteMetrics{*time, SeriesKey{names[0], names[1], names[2]}, *std::move(cell)};
}

absl::StatusOr<DependencyLink> DecodeDependency(std::string_view key, std::string_view value) {
  if (key.size() < kHeader) return Corrupt("key");
  std::vector<std::string> names = Names(key);
  if (names.size() != 2) return Corrupt("key");
  auto count = DecodeCount(value);
  if (!count.ok()) return count.status();
  return DependencyLink{names[0], names[1], *count};
}

}  // namespace spanvault::spanmetrics::codec
