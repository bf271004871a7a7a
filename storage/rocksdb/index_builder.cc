#include "storage/rocksdb/index_builder.h"

#include <algorithm>

#include "storage/rocksdb/key_codec.h"

namespace spanvault {

void IndexBuilder::AddTimed(std::string prefix, const TraceId& trace, uint64_t start) {
  std::string dedupe_key = prefix;
  dedupe_key.append(trace.bytes());
  auto [it, inserted] =
      timed_.try_emplace(std::move(dedupe_key), Timed{std::move(prefix), trace, start});
  if (!inserted) it->second.start = std::min(it->second.start, start);
}

void IndexBuilder::AddSpan(uint64_t bucket, const TraceId& trace, const std::string& service,
                           const otlp::Resource& resource, const otlp::Span& span) {
  uint64_t start = span.start_time_unix_nano();
  AddTimed(keys::ServicePrefix(bucket, service), trace, start);
  AddTimed(keys::OperationPrefix(bucket, service, span.name()), trace, start);
  ForEachSearchableTag(resource, span, [&](std::string_view key, std::string_view value) {
    if (indexed_.contains(absl::string_view(key.data(), key.size()))) {
      AddTimed(keys::AttributePrefix(bucket, service, key, value), trace, start);
    }
  });
  std::string prefix =
      keys::DurationPrefix(bucket, service, span.name(), start / keys::kNanosPerHour);
  std::string value;
  keys::PutBigEndian64(&value, start);
  durations_.emplace_back(keys::DurationKey(prefix, DurationNanos(span), trace), std::move(value));
}

void IndexBuilder::ForEach(
    absl::FunctionRef<void(const std::string&, const std::string&)> fn) const {
  static const std::string kEmpty;
  for (const auto& [dedupe_key, entry] : timed_) {
    fn(keys::TimeIndexKey(entry.prefix, entry.start, entry.trace), kEmpty);
  }
  for (const auto& [key, value] : durations_) fn(key, value);
}

}  // namespace spanvault
