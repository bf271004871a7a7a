#include "query/query_params.h"

namespace spanvault {

absl::StatusOr<ClassicSearch> ParseClassicSearch(const QueryParams& params, absl::Time now) {
  return absl::UnimplementedError("ParseClassicSearch");
}

absl::StatusOr<TraceQuery> ParseV3Search(const QueryParams& params) {
  return absl::UnimplementedError("ParseV3Search");
}

absl::StatusOr<uint64_t> ParseGoDurationNanos(std::string_view text) {
  return absl::UnimplementedError("ParseGoDurationNanos");
}

absl::StatusOr<uint64_t> ParseRfc3339Nanos(std::string_view text) {
  return absl::UnimplementedError("ParseRfc3339Nanos");
}

}  // namespace spanvault
