// Jaeger query strings: the classic search (tags JSON, tag key:value, durations, times, trace
// ids) and the api_v3 search, from one percent-encoded query string; RFC 3339 times.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "common/http.h"
#include "query/query_params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto params = spanvault::ParseQueryString(text);
  static_cast<void>(spanvault::ParseClassicSearch(params, absl::FromUnixSeconds(1'764'000'000)));
  static_cast<void>(spanvault::ParseV3Search(params));
  static_cast<void>(spanvault::ParseRfc3339Nanos(text));
  return 0;
}
