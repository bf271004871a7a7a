#pragma once

// IndexBuilder: the index entries of a group of spans, deduplicated per trace.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "common/ids.h"
#include "common/otlp_util.h"

namespace spanvault {

// Collects index entries (key_codec.h) for spans, keeping one time-ordered entry per (index
// prefix, trace) with the earliest start time among the spans that produced it. Not
// thread-safe.
class IndexBuilder {
 public:
  // `indexed_attributes` must outlive the builder.
  explicit IndexBuilder(const absl::flat_hash_set<std::string>& indexed_attributes)
      : indexed_(indexed_attributes) {}

  // Entries of `span` in time bucket `bucket` (key_codec.h).
  void AddSpan(uint64_t bucket, const TraceId& trace, const std::string& service,
               const otlp::Resource& resource, const otlp::Span& span);

  // Calls `fn(key, value)` for every entry collected.
  void ForEach(absl::FunctionRef<void(const std::string&, const std::string&)> fn) const;

 private:
  struct Timed {
    std::string prefix;
    TraceId trace;
    uint64_t start = 0;
  };
  void AddTimed(std::string prefix, const TraceId& trace, uint64_t start);

  const absl::flat_hash_set<std::string>& indexed_;
  absl::flat_hash_map<std::string, Timed> timed_;  // by prefix + trace bytes
  std::vector<std::pair<std::string, std::string>> durations_;
};

}  // namespace spanvault
