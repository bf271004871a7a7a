#pragma once

// Reading typed YAML fields with errors that name the field path
// (`sampling.policies[2].latency.threshold_ms: must be a non-negative integer`). Internal to the
// sampling module's config parsing; none of these throw.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace spanvault::sampling::yaml_fields {

// kInvalidArgument "<path>: <message>".
absl::Status FieldError(std::string_view path, std::string_view message);

// "<path>.<key>" and "<path>[<index>]".
std::string Child(std::string_view path, std::string_view key);
std::string Element(std::string_view path, size_t index);

// The mapping's keys as strings, in document order; an error unless `node` is a mapping with
// scalar keys.
absl::StatusOr<std::vector<std::string>> MappingKeys(const YAML::Node& node, std::string_view path);

// An error naming the first key of the mapping that is not in `allowed` (listing `allowed`).
absl::Status CheckKeys(const YAML::Node& node, std::string_view path,
                       std::initializer_list<std::string_view> allowed);

// "a, b or c".
std::string JoinNames(const std::vector<std::string_view>& names);

absl::StatusOr<std::string> ReadString(const YAML::Node& node, std::string_view path);
// A string that is not empty.
absl::StatusOr<std::string> ReadNonEmptyString(const YAML::Node& node, std::string_view path);
absl::StatusOr<bool> ReadBool(const YAML::Node& node, std::string_view path);
// An integer >= min, "_" digit separators allowed ("100_000"); the error says "must be <what>"
// (what: "an integer", "a positive integer").
absl::StatusOr<int64_t> ReadInt(const YAML::Node& node, std::string_view path, int64_t min,
                                std::string_view what);
absl::StatusOr<int64_t> ReadNonNegativeInt(const YAML::Node& node, std::string_view path);
absl::StatusOr<int64_t> ReadPositiveInt(const YAML::Node& node, std::string_view path);
// A finite number >= 0.
absl::StatusOr<double> ReadNonNegativeNumber(const YAML::Node& node, std::string_view path);
// A sequence of strings; with `non_empty`, at least one.
absl::StatusOr<std::vector<std::string>> ReadStringList(const YAML::Node& node,
                                                        std::string_view path, bool non_empty);
// A Go duration ("10s", "1h30m"); errors carry Go's message.
absl::StatusOr<absl::Duration> ReadDuration(const YAML::Node& node, std::string_view path);
// A byte count: an integer ("_" separators allowed), optionally followed (with or without a
// space) by B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
absl::StatusOr<uint64_t> ReadByteSize(const YAML::Node& node, std::string_view path);

}  // namespace spanvault::sampling::yaml_fields
