#include "spanmetrics/latency_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace spanvault::spanmetrics {
namespace {

const double kGamma =
    (1 + LatencySketch::kRelativeAccuracy) / (1 - LatencySketch::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);

template <typename T>
void Put(std::string* out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // the machines we run on are little-endian
  out->append(bytes, sizeof(T));
}

template <typename T>
bool Take(std::string_view* in, T* value) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(value, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}

absl::Status Corrupt() { return absl::DataLossError("a stored latency sketch does not parse"); }

}  // namespace

void LatencySketch::Add(double value, uint64_t count) {
  if (count == 0) return;
  count_ += count;
  if (!(value > 0)) {  // also NaN
    zero_count_ += count;
    return;
  }
  value = std::clamp(value, kMinValue, kMaxValue);
  buckets_[static_cast<int32_t>(std::ceil(std::log(value) / kLogGamma))] += count;
}

void LatencySketch::Merge(const LatencySketch& other) {
  zero_count_ += other.zero_count_;
  count_ += other.count_;
  for (const auto& [index, n] : other.buckets_) buckets_[index] += n;
}

double LatencySketch::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  double rank = q * static_cast<double>(count_ - 1);
  double seen = static_cast<double>(zero_count_);
  if (seen > rank) return 0;
  for (const auto& [index, n] : buckets_) {
    seen += static_cast<double>(n);
    if (seen > rank) return 2 * std::pow(kGamma, index) / (kGamma + 1);
  }
  return 2 * std::pow(kGamma, buckets_.rbegin()->first) / (kGamma + 1);
}

void LatencySketch::EncodeTo(std::string* out) const {
  Put<uint64_t>(out, zero_count_);
  Put<uint32_t>(out, static_cast<uint32_t>(buckets_.size()));
  for (const auto& [index, n] : buckets_) {
    Put<int32_t>(out, index);
    Put<uint64_t>(out, n);
  }
}

std::string LatencySketch::Encode() const {
  std::string out;
  EncodeTo(&out);
  return out;
}

absl::StatusOr<LatencySketch> LatencySketch::DecodeFrom(std::string_view* in) {
  LatencySketch sketch;
  uint32_t buckets = 0;
  if (!Take(in, &sketch.zero_count_) || !Take(in, &buckets)) return Corrupt();
  if (in->size() < static_cast<size_t>(buckets) * 12) return Corrupt();
  sketch.count_ = sketch.zero_count_;
  for (uint32_t i = 0; i < buckets; ++i) {
    int32_t index = 0;
    uint64_t n = 0;
    if (!Take(in, &index) || !Take(in, &n)) return Corrupt();
    sketch.buckets_[index] += n;
    sketch.count_ += n;
  }
  return sketch;
}

absl::StatusOr<LatencySketch> LatencySketch::Decode(std::string_view bytes) {
  auto sketch = DecodeFrom(&bytes);
  if (sketch.ok() && !bytes.empty()) return Corrupt();
  return sketch;
}

}  // namespace spanvault::spanmetrics
