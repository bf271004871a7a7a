#pragma once

// Reading one typed value of the server's YAML configuration, with errors that name the key
// (`config key "auth.oidc.leeway": ...`). Never throws.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace spanvault {

template <typename T>
absl::Status ReadScalar(const YAML::Node& node, const std::string& key, T* out) {
  try {
    *out = node.as<T>();
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config key \"", key, "\": ", e.what()));
  }
  return absl::OkStatus();
}

// A Go duration ("90s", "1h30m").
absl::Status ReadDuration(const YAML::Node& node, const std::string& key, absl::Duration* out);

// A byte size: a whole number, or one with KiB, MiB, GiB or TiB ("1GiB").
absl::Status ReadByteSize(const YAML::Node& node, const std::string& key, uint64_t* out);

}  // namespace spanvault
