#pragma once

// LatencySketch: a mergeable quantile sketch with a bounded relative error (DDSketch-style
// log-spaced buckets). Written by hand: Debian packages no DDSketch for C++, and the part we
// need (add, merge, quantile, a compact encoding) is small.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace spanvault::spanmetrics {

// Each positive value v lands in bucket i = ceil(log_gamma(v)) with gamma = (1 + a) / (1 - a),
// a = kRelativeAccuracy, and a quantile answers the bucket's centre 2 gamma^i / (gamma + 1),
// which is within a (1 %) of every value in the bucket. So Quantile(q) is within 1 % of the
// exact q-quantile (the value at rank floor(q (n - 1)) of the sorted observations), and so is
// the quantile of a merge of sketches. Values are clamped to [kMinValue, kMaxValue] (at most
// ~1,800 buckets); values <= 0 count as 0. Not thread-safe; a value type.
class LatencySketch {
 public:
  static constexpr double kRelativeAccuracy = 0.01;
  static constexpr double kMinValue = 1e-6;  // 1 ns, in milliseconds
  static constexpr double kMaxValue = 1e9;   // ~11.6 days, in milliseconds

  void Add(double value, uint64_t count = 1);
  void Merge(const LatencySketch& other);
  // The q-quantile (0 <= q <= 1) within the relative accuracy; 0 for an empty sketch.
  double Quantile(double q) const;
  uint64_t count() const { return count_; }

  // A compact binary form (little-endian) and its parser; kDataLoss for bytes that do not parse.
  std::string Encode() const;
  static absl::StatusOr<LatencySketch> Decode(std::string_view bytes);
  // Appends the encoding to `out`; DecodeFrom consumes it from the front of `in`.
  void EncodeTo(std::string* out) const;
  static absl::StatusOr<LatencySketch> DecodeFrom(std::string_view* in);

  bool operator==(const LatencySketch& o) const {
    return zero_count_ == o.zero_count_ && buckets_ == o.buckets_;
  }

 private:
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
  std::map<int32_t, uint64_t> buckets_;  // by bucket index, sparse
};

}  // namespace spanvault::spanmetrics
