#include "common/connection_limits.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace spanvault {

absl::Status ConnectionLimits::Validate() const {
  const std::pair<const char*, absl::Duration> positive[] = {
      {"http_idle_timeout", http.idle_timeout},
      {"http_header_timeout", http.header_timeout},
      {"http_body_timeout", http.body_timeout},
      {"http_write_timeout", http.write_timeout},
      {"grpc_max_connection_idle", grpc.max_connection_idle},
      {"grpc_min_ping_interval", grpc.min_ping_interval},
  };
  for (const auto& [name, value] : positive) {
    if (value < absl::Milliseconds(1)) {
      return absl::InvalidArgumentError(absl::StrCat("limits.", name, " must be at least 1ms"));
    }
  }
  if (grpc.max_connection_age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "limits.grpc_max_connection_age must not be negative (0: no limit)");
  }
  const std::pair<const char*, uint32_t> counts[] = {
      {"max_connections", http.max_connections},
      {"max_connections_per_client", http.max_connections_per_client},
      {"grpc_max_concurrent_streams", grpc.max_concurrent_streams},
  };
  for (const auto& [name, value] : counts) {
    if (value < 1)
      return absl::InvalidArgumentError(absl::StrCat("limits.", name, " must be at least 1"));
  }
  if (grpc.max_metadata_bytes < 1024) {
    return absl::InvalidArgumentError("limits.grpc_max_metadata_bytes must be at least 1024");
  }
  return absl::OkStatus();
}

}  // namespace spanvault
