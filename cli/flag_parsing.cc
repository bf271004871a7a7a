#include "cli/flag_parsing.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/duration.h"

namespace spanvault::cli {

absl::StatusOr<int64_t> ExpirySeconds(std::string_view flag, const std::string& duration) {
  if (duration.empty() || duration == "never") return 0;
  auto nanos = ParseGoDurationNanos(duration);
  if (!nanos.ok() || *nanos < 1'000'000'000ULL) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(flag), " ", duration,
                     ": use a duration of at least 1s, such as 12h or 720h, or never"));
  }
  return static_cast<int64_t>(*nanos / 1'000'000'000ULL);
}

std::vector<std::string> SplitList(const std::vector<std::string>& values) {
  std::vector<std::string> items;
  for (const std::string& value : values) {
    for (absl::string_view item : absl::StrSplit(value, ',')) {
      item = absl::StripAsciiWhitespace(item);
      if (!item.empty()) items.emplace_back(item);
    }
  }
  return items;
}

}  // namespace spanvault::cli
