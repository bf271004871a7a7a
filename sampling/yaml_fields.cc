#include "sampling/yaml_fields.h"

#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"

namespace spanvault::sampling::yaml_fields {
namespace {

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The scalar's text, or nullopt for anything else (null, sequence, mapping).
std::optional<std::string> ScalarText(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  try {
    return node.Scalar();
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

// Drops the digit separators YAML 1.1 and Go's yaml.v3 allow in integers ("100_000").
std::string WithoutUnderscores(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '_') out += c;
  }
  return out;
}

}  // namespace

absl::Status FieldError(std::string_view path, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(AbslView(path), ": ", AbslView(message)));
}

std::string Child(std::string_view path, std::string_view key) {
  return absl::StrCat(AbslView(path), ".", AbslView(key));
}

std::string Element(std::string_view path, size_t index) {
  return absl::StrCat(AbslView(path), "[", index, "]");
}

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> MappingKeys(const YAML::Node& node,
                                                     std::string_view path) {
  if (!node.IsDefined()) return FieldError(path, "missing");
  if (!node.IsMap()) return FieldError(path, "must be a mapping (key: value)");
  std::vector<std::string> keys;
  try {
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) return FieldError(path, "has a key that is not a string");
      keys.push_back(entry.first.Scalar());
    }
  } catch (const YAML::Exception& e) {
    return FieldError(path, e.what());
  }
  return keys;
}

absl::Status CheckKeys(const YAML::Node& node, std::string_view path,
                       std::initializer_list<std::string_view> allowed) {
  absl::StatusOr<std::vector<std::string>> keys = MappingKeys(node, path);
  if (!keys.ok()) return keys.status();
  for (const std::string& key : *keys) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) {
      return FieldError(Child(path, key),
                        absl::StrCat("unknown key; expected ",
                                     JoinNames(std::vector<std::string_view>(allowed))));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadString(const YAML::Node& node, std::string_view path) {
  if (!node.IsDefined()) return FieldError(path, "missing");
  std::optional<std::string> text = ScalarText(node);
  if (!text.has_value()) return FieldError(path, "must be a string");
  return *std::move(text);
}

absl::StatusOr<std::string> ReadNonEmptyString(const YAML::Node& node, std::string_view path) {
  absl::StatusOr<std::string> s = ReadString(node, path);
  if (s.ok() && s->empty()) return FieldError(path, "must not be empty");
  return s;
}

absl::StatusOr<bool> ReadBool(const YAML::Node& node, std::string_view path) {
  if (!node.IsDefined()) return FieldError(path, "missing");
  if (node.IsScalar()) {
    try {
      return node.as<bool>();
    } catch (const YAML::Exception&) {
    }
  }
  return FieldError(path, "must be true or false");
}

absl::StatusOr<int64_t> ReadInt(const YAML::Node& node, std::string_view path, int64_t min,
                                std::string_view what) {
  if (!node.IsDefined()) return FieldError(path, "missing");
  std::optional<std::string> text = ScalarText(node);
  int64_t value = 0;
  if (!text.has_value() || !absl::SimpleAtoi(WithoutUnderscores(*text), &value) || value < min) {
    return FieldError(path, absl::StrCat("must be ", AbslView(what)));
  }
  return value;
}

absl::StatusOr<int64_t> ReadNonNegativeInt(const YAML::Node& node, std::string_view path) {
  return ReadInt(node, path, 0, "a non-negative integer");
}

absl::StatusOr<int64_t> ReadPositiveInt(const YAML::Node& node, std::string_view path) {
  return ReadInt(node, path, 1, "a positive integer");
}

absl::StatusOr<double> ReadNonNegativeNumber(const YAML::Node& node, std::string_view path) {
  if (!node.IsDefined()) return FieldError(path, "missing");
  std::optional<std::string> text = ScalarText(node);
  double value = 0;
  if (!text.has_value() || !absl::SimpleAtod(*text, &value) || !std::isfinite(value) || value < 0) {
    return FieldError(path, "must be a non-negative number");
  }
  return value;
}

absl::StatusOr<std::vector<std::string>> ReadStringList(const YAML::Node& node,
                                                        std::string_view path, bool non_empty) {
  if (!node.IsDefined()) return FieldError(path, "missing");
  if (!node.IsSequence()) return FieldError(path, "must be a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < node.size(); ++i) {
    absl::StatusOr<std::string> s = ReadString(node[i], Element(path, i));
    if (!s.ok()) return s.status();
    out.push_back(*std::move(s));
  }
  if (non_empty && out.empty()) return FieldError(path, "must list at least one value");
  return out;
}

absl::StatusOr<absl::Duration> ReadDuration(const YAML::Node& node, std::string_view path) {
  if (!node.IsDefined()) return FieldError(path, "missing");
  std::optional<std::string> text = ScalarText(node);
  if (!text.has_value()) return FieldError(path, "must be a duration such as 10s, 500ms or 1h");
  absl::StatusOr<uint64_t> nanos = ParseGoDurationNanos(*text);
  if (!nanos.ok()) return FieldError(path, std::string(nanos.status().message()));
  return absl::Nanoseconds(static_cast<int64_t>(*nanos));
}

absl::StatusOr<uint64_t> ReadByteSize(const YAML::Node& node, std::string_view path) {
  if (!node.IsDefined()) return FieldError(path, "missing");
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
      {"TB", uint64_t{1000} * 1000 * 1000 * 1000},
      {"KiB", uint64_t{1} << 10},
      {"MiB", uint64_t{1} << 20},
      {"GiB", uint64_t{1} << 30},
      {"TiB", uint64_t{1} << 40},
  };
  const absl::Status bad =
      FieldError(path,
                 "must be a byte count: an integer, optionally followed by B, KB, MB, GB, TB, KiB, "
                 "MiB, GiB or TiB (e.g. 4GiB)");
  std::optional<std::string> text = ScalarText(node);
  if (!text.has_value()) return bad;
  const std::string plain = WithoutUnderscores(*text);
  std::string_view s = plain;
  size_t digits = 0;
  while (digits < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[digits]))) {
    ++digits;
  }
  uint64_t number = 0;
  if (digits == 0 || !absl::SimpleAtoi(AbslView(s.substr(0, digits)), &number)) return bad;
  std::string_view unit = s.substr(digits);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    if (number > std::numeric_limits<uint64_t>::max() / factor) {
      return FieldError(path, "is too large");
    }
    return number * factor;
  }
  return bad;
}

}  // namespace spanvault::sampling::yaml_fields
