#include "query/query_params.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

using Json = nlohmann::json;

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string QuoteForError(std::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(AbslView(text)), "\"");
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ---------------------------------------------------------------------------------------------
// RFC 3339 by hand: absl::ParseTime(RFC3339_full) also accepts surrounding whitespace,
// one-digit fields, "+0200" offsets, leap second 60 and more than 9 fraction digits.

// Consumes exactly `width` digits.
bool FixedInt(std::string_view& s, int width, int& value) {
  if (s.size() < static_cast<size_t>(width)) return false;
  value = 0;
  for (int i = 0; i < width; ++i) {
    if (!IsDigit(s[i])) return false;
    value = value * 10 + (s[i] - '0');
  }
  s.remove_prefix(width);
  return true;
}

bool Expect(std::string_view& s, std::string_view accepted) {
  if (s.empty() || accepted.find(s[0]) == std::string_view::npos) return false;
  s.remove_prefix(1);
  return true;
}

// Consumes an optional `.digits` (1 to 9) as nanoseconds.
bool Fraction(std::string_view& s, int64_t& nanos) {
  nanos = 0;
  if (s.empty() || s[0] != '.') return true;
  s.remove_prefix(1);
  int digits = 0;
  while (!s.empty() && IsDigit(s[0])) {
    if (++digits > 9) return false;
    nanos = nanos * 10 + (s[0] - '0');
    s.remove_prefix(1);
  }
  if (digits == 0) return false;
  for (int i = digits; i < 9; ++i) nanos *= 10;
  return true;
}

// Consumes `Z` or `±HH:MM` as seconds east of UTC.
bool Offset(std::string_view& s, int64_t& seconds) {
  seconds = 0;
  if (Expect(s, "Zz")) return true;
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  const int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  int hours = 0;
  int minutes = 0;
  if (!FixedInt(s, 2, hours) || !Expect(s, ":") || !FixedInt(s, 2, minutes)) return false;
  if (hours > 23 || minutes > 59) return false;
  seconds = sign * (hours * 3600 + minutes * 60);
  return true;
}

struct Rfc3339Parts {
  int year, month, day, hour, minute, second;
  int64_t nanos;
  int64_t offset_seconds;
};

bool SplitRfc3339(std::string_view s, Rfc3339Parts& p) {
  bool ok = FixedInt(s, 4, p.year) && Expect(s, "-") && FixedInt(s, 2, p.month) && Expect(s, "-") &&
            FixedInt(s, 2, p.day) && Expect(s, "Tt") && FixedInt(s, 2, p.hour) && Expect(s, ":") &&
            FixedInt(s, 2, p.minute) && Expect(s, ":") && FixedInt(s, 2, p.second) &&
            Fraction(s, p.nanos) && Offset(s, p.offset_seconds);
  return ok && s.empty();
}

// ---------------------------------------------------------------------------------------------
// Parameter collection.

// The first value of each single-valued parameter, as Go's Request.FormValue sees it.
using FirstValues = std::map<std::string, std::string, std::less<>>;

struct CollectedParams {
  FirstValues first;
  QueryParams repeated;  // the repeatable parameters, in request order
};

bool Contains(std::span<const std::string_view> names, std::string_view name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

absl::StatusOr<CollectedParams> CollectParams(const QueryParams& params,
                                              std::span<const std::string_view> single,
                                              std::span<const std::string_view> repeatable) {
  CollectedParams out;
  for (const auto& [name, value] : params) {
    if (Contains(repeatable, name)) {
      out.repeated.emplace_back(name, value);
    } else if (Contains(single, name)) {
      out.first.try_emplace(name, value);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown parameter '", name, "'"));
    }
  }
  return out;
}

struct NamedValue {
  std::string_view name;
  std::string_view value;
};

// The first non-empty value among `names` (canonical name first, then aliases).
std::optional<NamedValue> Lookup(const FirstValues& values,
                                 std::span<const std::string_view> names) {
  for (std::string_view name : names) {
    auto it = values.find(name);
    if (it != values.end() && !it->second.empty()) return NamedValue{name, it->second};
  }
  return std::nullopt;
}

// Go's strconv.ParseBool.
absl::StatusOr<bool> ParseGoBool(std::string_view text) {
  for (std::string_view t : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (text == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (text == f) return false;
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid syntax: ", QuoteForError(text)));
}

absl::StatusOr<int> ParsePositiveInt(std::string_view text) {
  int value = 0;
  if (!absl::SimpleAtoi(AbslView(text), &value)) {
    return absl::InvalidArgumentError(absl::StrCat("not an integer: ", QuoteForError(text)));
  }
  if (value <= 0) return absl::InvalidArgumentError("must be greater than 0");
  return value;
}

// Merges a JSON object of string values into `out`; the message says what is wrong.
absl::Status MergeJsonStringMap(std::string_view text, std::map<std::string, std::string>& out) {
  Json parsed;
  try {
    parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  if (parsed.is_discarded()) return absl::InvalidArgumentError("invalid JSON");
  if (!parsed.is_object()) return absl::InvalidArgumentError("not a JSON object");
  for (const auto& [key, value] : parsed.items()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("value of ", QuoteForError(key), " is not a string"));
    }
    out[key] = value.get_ref<const std::string&>();
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> ToAttributes(
    std::map<std::string, std::string> attributes) {
  return {std::make_move_iterator(attributes.begin()), std::make_move_iterator(attributes.end())};
}

absl::Status WithPrefix(std::string_view prefix, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(AbslView(prefix), status.message()));
}

// ---------------------------------------------------------------------------------------------
// Classic /api/traces.

constexpr std::string_view kClassicSingle[] = {
    "service",  "operation", "minDuration", "maxDuration", "start",   "end",
    "lookback", "limit",     "raw",         "prettyPrint", "spanKind"};
constexpr std::string_view kClassicRepeatable[] = {"tags", "tag", "traceID"};

constexpr uint64_t kMaxMicros = std::numeric_limits<uint64_t>::max() / 1000;
constexpr uint64_t kDefaultLookbackMicros = uint64_t{48} * 3600 * 1000 * 1000;

absl::Status ParseClassicTag(std::string_view tag, std::map<std::string, std::string>& out) {
  const size_t colon = tag.find(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed 'tag' parameter, expecting key:value, received: ", AbslView(tag)));
  }
  out[std::string(tag.substr(0, colon))] = std::string(tag.substr(colon + 1));
  return absl::OkStatus();
}

// `tag` and `tags` in request order; a later value for a key replaces an earlier one.
absl::Status ParseClassicTags(const QueryParams& repeated, TraceQuery& query) {
  std::map<std::string, std::string> attributes;
  for (const auto& [name, value] : repeated) {
    if (name == "tag") {
      SV_RETURN_IF_ERROR(ParseClassicTag(value, attributes));
    } else if (name == "tags") {
      absl::Status merged = MergeJsonStringMap(value, attributes);
      if (!merged.ok()) {
        return WithPrefix("malformed 'tags' parameter, cannot unmarshal JSON: ", merged);
      }
    }
  }
  query.attributes = ToAttributes(std::move(attributes));
  return absl::OkStatus();
}

absl::Status ParseClassicTraceIds(const QueryParams& repeated, std::vector<TraceId>& ids) {
  for (const auto& [name, value] : repeated) {
    if (name != "traceID") continue;
    absl::StatusOr<TraceId> id = TraceId::FromJaegerHex(value);
    if (!id.ok()) return WithPrefix("malformed 'traceID' parameter: ", id.status());
    ids.push_back(*id);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> ClassicDuration(const FirstValues& values,
                                                        std::string_view name) {
  std::optional<NamedValue> given = Lookup(values, {&name, 1});
  if (!given.has_value()) return std::nullopt;
  absl::StatusOr<uint64_t> nanos = ParseGoDurationNanos(given->value);
  if (!nanos.ok()) {
    return WithPrefix(absl::StrCat("unable to parse param '", AbslView(name), "': "),
                      nanos.status());
  }
  return *nanos;
}

absl::Status ParseClassicDurations(const FirstValues& values, TraceQuery& query) {
  SV_ASSIGN_OR_RETURN(query.duration_min_nanos, ClassicDuration(values, "minDuration"));
  SV_ASSIGN_OR_RETURN(query.duration_max_nanos, ClassicDuration(values, "maxDuration"));
  if (query.duration_min_nanos.has_value() && query.duration_max_nanos.has_value() &&
      *query.duration_max_nanos < *query.duration_min_nanos) {
    return absl::InvalidArgumentError("'maxDuration' should be greater than 'minDuration'");
  }
  return absl::OkStatus();
}

// A Unix-microseconds parameter, or nullopt when absent or empty.
absl::StatusOr<std::optional<uint64_t>> ClassicMicros(const FirstValues& values,
                                                      std::string_view name) {
  std::optional<NamedValue> given = Lookup(values, {&name, 1});
  if (!given.has_value()) return std::nullopt;
  const std::string prefix = absl::StrCat("unable to parse param '", AbslView(name), "': ");
  int64_t micros = 0;
  if (!absl::SimpleAtoi(AbslView(given->value), &micros)) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "not an integer: ", QuoteForError(given->value)));
  }
  if (micros < 0) return absl::InvalidArgumentError(absl::StrCat(prefix, "before 1970"));
  if (static_cast<uint64_t>(micros) > kMaxMicros) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "out of range"));
  }
  return static_cast<uint64_t>(micros);
}

uint64_t UnixMicros(absl::Time t) {
  const int64_t micros = absl::ToUnixMicros(t);
  if (micros < 0) return 0;
  return std::min(static_cast<uint64_t>(micros), kMaxMicros);
}

absl::Status ParseClassicTimes(const FirstValues& values, absl::Time now, TraceQuery& query) {
  SV_ASSIGN_OR_RETURN(std::optional<uint64_t> start, ClassicMicros(values, "start"));
  SV_ASSIGN_OR_RETURN(std::optional<uint64_t> end, ClassicMicros(values, "end"));
  if (!end.has_value()) end = UnixMicros(now);
  if (!start.has_value()) {
    start = *end > kDefaultLookbackMicros ? *end - kDefaultLookbackMicros : 0;
  }
  if (*start > *end) return absl::InvalidArgumentError("'start' should not be after 'end'");
  query.start_time_min_unix_nano = *start * 1000;
  query.start_time_max_unix_nano = *end * 1000;
  return absl::OkStatus();
}

absl::Status ParseClassicLimitAndRaw(const FirstValues& values, ClassicSearch& out) {
  constexpr std::string_view kLimit[] = {"limit"};
  constexpr std::string_view kRaw[] = {"raw"};
  if (std::optional<NamedValue> limit = Lookup(values, kLimit)) {
    absl::StatusOr<int> depth = ParsePositiveInt(limit->value);
    if (!depth.ok()) return WithPrefix("unable to parse param 'limit': ", depth.status());
    out.query.search_depth = *depth;
  }
  if (std::optional<NamedValue> raw = Lookup(values, kRaw)) {
    absl::StatusOr<bool> parsed = ParseGoBool(raw->value);
    if (!parsed.ok()) return WithPrefix("unable to parse param 'raw': ", parsed.status());
    out.raw = *parsed;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// api_v3 search. Each field's names, canonical first: it wins over its aliases.

constexpr std::string_view kV3Service[] = {"query.serviceName", "query.service_name"};
constexpr std::string_view kV3Operation[] = {"query.operationName", "query.operation_name"};
constexpr std::string_view kV3TimeMin[] = {"query.startTimeMin", "query.start_time_min"};
constexpr std::string_view kV3TimeMax[] = {"query.startTimeMax", "query.start_time_max"};
constexpr std::string_view kV3DurationMin[] = {"query.durationMin", "query.duration_min"};
constexpr std::string_view kV3DurationMax[] = {"query.durationMax", "query.duration_max"};
constexpr std::string_view kV3Depth[] = {"query.searchDepth", "query.search_depth",
                                         "query.num_traces"};
constexpr std::string_view kV3Attributes[] = {"query.attributes"};
constexpr std::string_view kV3Raw[] = {"query.rawTraces", "query.raw_traces"};
constexpr std::string_view kV3All[] = {
    "query.serviceName",  "query.service_name",   "query.operationName", "query.operation_name",
    "query.startTimeMin", "query.start_time_min", "query.startTimeMax",  "query.start_time_max",
    "query.durationMin",  "query.duration_min",   "query.durationMax",   "query.duration_max",
    "query.searchDepth",  "query.search_depth",   "query.num_traces",    "query.attributes",
    "query.rawTraces",    "query.raw_traces"};

absl::Status Malformed(const NamedValue& param, const absl::Status& status) {
  return WithPrefix(absl::StrCat("malformed parameter ", AbslView(param.name), ": "), status);
}

absl::Status ParseV3Times(const FirstValues& values, TraceQuery& query) {
  std::optional<NamedValue> min = Lookup(values, kV3TimeMin);
  std::optional<NamedValue> max = Lookup(values, kV3TimeMax);
  if (!min.has_value() || !max.has_value()) {
    return absl::InvalidArgumentError("query.startTimeMin and query.startTimeMax are required");
  }
  absl::StatusOr<uint64_t> min_nanos = ParseRfc3339Nanos(min->value);
  if (!min_nanos.ok()) return Malformed(*min, min_nanos.status());
  absl::StatusOr<uint64_t> max_nanos = ParseRfc3339Nanos(max->value);
  if (!max_nanos.ok()) return Malformed(*max, max_nanos.status());
  if (*min_nanos > *max_nanos) {
    return absl::InvalidArgumentError("query.startTimeMin should not be after query.startTimeMax");
  }
  query.start_time_min_unix_nano = *min_nanos;
  query.start_time_max_unix_nano = *max_nanos;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> V3Duration(const FirstValues& values,
                                                   std::span<const std::string_view> names) {
  std::optional<NamedValue> given = Lookup(values, names);
  if (!given.has_value()) return std::nullopt;
  absl::StatusOr<uint64_t> nanos = ParseGoDurationNanos(given->value);
  if (!nanos.ok()) return Malformed(*given, nanos.status());
  return *nanos;
}

absl::Status ParseV3Durations(const FirstValues& values, TraceQuery& query) {
  SV_ASSIGN_OR_RETURN(query.duration_min_nanos, V3Duration(values, kV3DurationMin));
  SV_ASSIGN_OR_RETURN(query.duration_max_nanos, V3Duration(values, kV3DurationMax));
  if (query.duration_min_nanos.has_value() && query.duration_max_nanos.has_value() &&
      *query.duration_min_nanos > *query.duration_max_nanos) {
    return absl::InvalidArgumentError(
        "query.durationMin should not be greater than query.durationMax");
  }
  return absl::OkStatus();
}

absl::Status ParseV3Rest(const FirstValues& values, TraceQuery& query) {
  if (std::optional<NamedValue> depth = Lookup(values, kV3Depth)) {
    absl::StatusOr<int> parsed = ParsePositiveInt(depth->value);
    if (!parsed.ok()) return Malformed(*depth, parsed.status());
    query.search_depth = *parsed;
  }
  if (std::optional<NamedValue> attributes = Lookup(values, kV3Attributes)) {
    std::map<std::string, std::string> merged;
    absl::Status status = MergeJsonStringMap(attributes->value, merged);
    if (!status.ok()) return Malformed(*attributes, status);
    query.attributes = ToAttributes(std::move(merged));
  }
  // Validated only: TraceQuery has no use for it, and the UI never sends it.
  if (std::optional<NamedValue> raw = Lookup(values, kV3Raw)) {
    absl::StatusOr<bool> parsed = ParseGoBool(raw->value);
    if (!parsed.ok()) return Malformed(*raw, parsed.status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClassicSearch> ParseClassicSearch(const QueryParams& params, absl::Time now) {
  SV_ASSIGN_OR_RETURN(CollectedParams collected,
                      CollectParams(params, kClassicSingle, kClassicRepeatable));
  const FirstValues& values = collected.first;
  ClassicSearch out;
  constexpr std::string_view kService[] = {"service"};
  constexpr std::string_view kOperation[] = {"operation"};
  if (auto service = Lookup(values, kService)) out.query.service_name = service->value;
  if (auto operation = Lookup(values, kOperation)) out.query.operation_name = operation->value;
  SV_RETURN_IF_ERROR(ParseClassicTags(collected.repeated, out.query));
  SV_RETURN_IF_ERROR(ParseClassicTraceIds(collected.repeated, out.trace_ids));
  SV_RETURN_IF_ERROR(ParseClassicDurations(values, out.query));
  SV_RETURN_IF_ERROR(ParseClassicTimes(values, now, out.query));
  SV_RETURN_IF_ERROR(ParseClassicLimitAndRaw(values, out));
  if (out.trace_ids.empty() && out.query.service_name.empty()) {
    return absl::InvalidArgumentError("parameter 'service' is required");
  }
  return out;
}

absl::StatusOr<TraceQuery> ParseV3Search(const QueryParams& params) {
  SV_ASSIGN_OR_RETURN(CollectedParams collected, CollectParams(params, kV3All, {}));
  const FirstValues& values = collected.first;
  TraceQuery query;
  if (auto service = Lookup(values, kV3Service)) query.service_name = service->value;
  if (auto operation = Lookup(values, kV3Operation)) query.operation_name = operation->value;
  SV_RETURN_IF_ERROR(ParseV3Times(values, query));
  SV_RETURN_IF_ERROR(ParseV3Durations(values, query));
  SV_RETURN_IF_ERROR(ParseV3Rest(values, query));
  return query;
}

absl::StatusOr<uint64_t> ParseRfc3339Nanos(std::string_view text) {
  Rfc3339Parts p;
  if (!SplitRfc3339(text, p)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not an RFC 3339 time (YYYY-MM-DDTHH:MM:SS[.fraction]Z or ±HH:MM): ", QuoteForError(text)));
  }
  const absl::CivilSecond civil(p.year, p.month, p.day, p.hour, p.minute, p.second);
  // CivilSecond normalizes out-of-range fields (Feb 30 -> Mar 2); a changed field was invalid.
  if (civil.year() != p.year || civil.month() != p.month || civil.day() != p.day ||
      civil.hour() != p.hour || civil.minute() != p.minute || civil.second() != p.second) {
    return absl::InvalidArgumentError(
        absl::StrCat("RFC 3339 time has a field out of range: ", QuoteForError(text)));
  }
  const int64_t seconds =
      absl::ToUnixSeconds(absl::FromCivil(civil, absl::UTCTimeZone())) - p.offset_seconds;
  if (seconds < 0) {
    return absl::InvalidArgumentError(absl::StrCat("time is before 1970: ", QuoteForError(text)));
  }
  constexpr uint64_t kMaxSeconds =
      (std::numeric_limits<uint64_t>::max() - 999'999'999) / 1'000'000'000;
  if (static_cast<uint64_t>(seconds) > kMaxSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("time is too late for uint64 nanoseconds: ", QuoteForError(text)));
  }
  return static_cast<uint64_t>(seconds) * 1'000'000'000 + static_cast<uint64_t>(p.nanos);
}

}  // namespace spanvault
