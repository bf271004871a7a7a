#include "common/duration.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace spanvault {
namespace {

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Go durations (time.ParseDuration), by hand: neither Abseil's ParseDuration (no "µs"/"μs",
// accepts "inf") nor any other library here speaks exactly Go's grammar.

constexpr uint64_t kMaxDuration = uint64_t{1} << 63;  // magnitude bound of Go's int64 Duration

std::string QuoteForError(std::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(AbslView(text)), "\"");
}

absl::Status InvalidDuration(std::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("time: invalid duration ", QuoteForError(text)));
}

std::optional<uint64_t> UnitNanos(std::string_view unit) {
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ns", 1},
      {"us", 1000},
      {"\xC2\xB5s", 1000},  // U+00B5 micro sign
      {"\xCE\xBCs", 1000},  // U+03BC Greek small letter mu
      {"ms", 1000 * 1000},
      {"s", uint64_t{1000} * 1000 * 1000},
      {"m", uint64_t{60} * 1000 * 1000 * 1000},
      {"h", uint64_t{3600} * 1000 * 1000 * 1000},
  };
  for (const auto& [name, nanos] : kUnits) {
    if (name == unit) return nanos;
  }
  return std::nullopt;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Consumes leading digits into `value`; false on overflow past kMaxDuration.
bool LeadingInt(std::string_view& s, uint64_t& value) {
  value = 0;
  while (!s.empty() && IsDigit(s[0])) {
    if (value > kMaxDuration / 10) return false;
    value = value * 10 + static_cast<uint64_t>(s[0] - '0');
    if (value > kMaxDuration) return false;
    s.remove_prefix(1);
  }
  return true;
}

// Consumes leading fraction digits as value / scale; digits past uint64 precision are dropped.
void LeadingFraction(std::string_view& s, uint64_t& value, double& scale) {
  value = 0;
  scale = 1;
  bool overflow = false;
  while (!s.empty() && IsDigit(s[0])) {
    if (!overflow && value > (std::numeric_limits<int64_t>::max() - 9) / 10) overflow = true;
    if (!overflow) {
      value = value * 10 + static_cast<uint64_t>(s[0] - '0');
      scale *= 10;
    }
    s.remove_prefix(1);
  }
}

// Parses one `<number><unit>` element from the front of `s` into nanoseconds.
absl::StatusOr<uint64_t> ParseDurationElement(std::string_view& s, std::string_view text) {
  if (!(s[0] == '.' || IsDigit(s[0]))) return InvalidDuration(text);
  const size_t before_int = s.size();
  uint64_t whole = 0;
  if (!LeadingInt(s, whole)) return InvalidDuration(text);
  const bool pre = s.size() != before_int;
  uint64_t frac = 0;
  double scale = 1;
  bool post = false;
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    const size_t before_frac = s.size();
    LeadingFraction(s, frac, scale);
    post = s.size() != before_frac;
  }
  if (!pre && !post) return InvalidDuration(text);
  size_t unit_len = 0;
  while (unit_len < s.size() && s[unit_len] != '.' && !IsDigit(s[unit_len])) ++unit_len;
  if (unit_len == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("time: missing unit in duration ", QuoteForError(text)));
  }
  std::optional<uint64_t> unit = UnitNanos(s.substr(0, unit_len));
  if (!unit.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("time: unknown unit ",
                                                   QuoteForError(s.substr(0, unit_len)),
                                                   " in duration ", QuoteForError(text)));
  }
  s.remove_prefix(unit_len);
  if (whole > kMaxDuration / *unit) return InvalidDuration(text);
  uint64_t nanos = whole * *unit;
  // A double is exact enough here: frac * unit / scale is at most 3.6e12 (one hour in ns).
  if (frac > 0) nanos += static_cast<uint64_t>(static_cast<double>(frac) * (*unit / scale));
  if (nanos > kMaxDuration) return InvalidDuration(text);
  return nanos;
}

}  // namespace

absl::StatusOr<uint64_t> ParseGoDurationNanos(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return InvalidDuration(text);
  uint64_t total = 0;
  while (!s.empty()) {
    SV_ASSIGN_OR_RETURN(uint64_t nanos, ParseDurationElement(s, text));
    if (nanos > kMaxDuration - total) return InvalidDuration(text);
    total += nanos;
  }
  if (negative && total > 0) {
    return absl::InvalidArgumentError(absl::StrCat("negative duration ", QuoteForError(text)));
  }
  if (total >= kMaxDuration) return InvalidDuration(text);  // above Go's int64 maximum
  return total;
}

}  // namespace spanvault
