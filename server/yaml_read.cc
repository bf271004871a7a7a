#include "server/yaml_read.h"

#include "common/byte_size.h"
#include "common/duration.h"

namespace spanvault {

absl::Status ReadDuration(const YAML::Node& node, const std::string& key, absl::Duration* out) {
  std::string text;
  absl::Status s = ReadScalar(node, key, &text);
  if (!s.ok()) return s;
  auto nanos = ParseGoDurationNanos(text);
  if (!nanos.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key \"", key, "\": ", nanos.status().message()));
  }
  *out = absl::Nanoseconds(*nanos);
  return absl::OkStatus();
}

absl::Status ReadByteSize(const YAML::Node& node, const std::string& key, uint64_t* out) {
  std::string text;
  absl::Status s = ReadScalar(node, key, &text);
  if (!s.ok()) return s;
  auto bytes = ParseByteSize(text);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key \"", key, "\": ", bytes.status().message()));
  }
  *out = *bytes;
  return absl::OkStatus();
}

}  // namespace spanvault
