#include "journeys/journey_codec.h"

#include <initializer_list>

#include "nlohmann/json.hpp"

namespace spanvault::journeys::codec {
namespace {

using json = nlohmann::json;

std::string BigEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

uint64_t FromBigEndian(std::string_view bytes) {
  uint64_t v = 0;
  for (unsigned char c : bytes.substr(0, 8)) v = (v << 8) | c;
  return v;
}

// Nanoseconds since the epoch, clamped at 0 (journeys hold no earlier times).
uint64_t Nanos(absl::Time t) {
  int64_t n = absl::ToUnixNanos(t);
  return n < 0 ? 0 : static_cast<uint64_t>(n);
}

absl::Time FromNanos(uint64_t n) { return absl::FromUnixNanos(static_cast<int64_t>(n)); }

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError("corrupt journey record: " + std::string(what));
}

// Concatenates pieces (absl::StrCat takes Abseil's own string_view here).
std::string Cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view p : pieces) out.append(p);
  return out;
}

json HitJson(const StepHit& h) {
  return json::array(
      {absl::ToUnixNanos(h.start), absl::ToInt64Nanoseconds(h.duration), h.error,
       json::binary(std::vector<uint8_t>(h.error_message.begin(), h.error_message.end())),
       json::binary(std::vector<uint8_t>(h.trace_id.begin(), h.trace_id.end())),
       json::binary(std::vector<uint8_t>(h.span_id.begin(), h.span_id.end())), h.service,
       h.operation, h.kind});
}

std::string Bytes(const json& j) {
  const auto& b = j.get_binary();
  return std::string(b.begin(), b.end());
}

StepHit HitFrom(const json& j) {
  StepHit h;
  h.start = absl::FromUnixNanos(j.at(0).get<int64_t>());
  h.duration = absl::Nanoseconds(j.at(1).get<int64_t>());
  h.error = j.at(2).get<bool>();
  h.error_message = Bytes(j.at(3));
  h.trace_id = Bytes(j.at(4));
  h.span_id = Bytes(j.at(5));
  h.service = j.at(6).get<std::string>();
  h.operation = j.at(7).get<std::string>();
  h.kind = j.at(8).get<int>();
  return h;
}

}  // namespace

char SettledChar(JourneyStatus settled) {
  switch (settled) {
    case JourneyStatus::kCompleted:
      return 'c';
    case JourneyStatus::kFailed:
      return 'f';
    default:
      return 'o';
  }
}

std::string JourneyKey(std::string_view flow, std::string_view key) {
  return Cat({kJourneyPrefix, flow, std::string_view("\0", 1), key});
}

std::string StatusPrefix(std::string_view flow, char settled) {
  return Cat({kStatusPrefix, flow, std::string_view("\0", 1), std::string_view(&settled, 1)});
}

std::string StatusKey(std::string_view flow, char settled, absl::Time updated,
                      std::string_view key) {
  return Cat({StatusPrefix(flow, settled), BigEndian(~Nanos(updated)), key});
}

std::string TimeKeyBound(absl::Time updated) {
  return Cat({kTimePrefix, BigEndian(Nanos(updated))});
}

std::string TimeKey(absl::Time updated, std::string_view flow, std::string_view key) {
  return Cat({TimeKeyBound(updated), flow, std::string_view("\0", 1), key});
}

std::string EncodeDeadline(std::optional<absl::Time> deadline) {
  return BigEndian(deadline ? Nanos(*deadline) : 0);
}

std::optional<absl::Time> DecodeDeadline(std::string_view value) {
  if (value.size() != 8) return std::nullopt;
  uint64_t n = FromBigEndian(value);
  if (n == 0) return std::nullopt;
  return FromNanos(n);
}

absl::StatusOr<StatusEntry> DecodeStatusKey(std::string_view prefix, std::string_view stored) {
  if (stored.size() < prefix.size() + 8 || !stored.starts_with(prefix)) return Corrupt("index");
  std::string_view rest = stored.substr(prefix.size());
  return StatusEntry{FromNanos(~FromBigEndian(rest)), std::string(rest.substr(8))};
}

absl::StatusOr<TimeEntry> DecodeTimeKey(std::string_view stored) {
  if (stored.size() < 9 || stored[0] != kTimePrefix[0]) return Corrupt("time index");
  std::string_view rest = stored.substr(9);
  size_t zero = rest.find('\0');
  if (zero == std::string_view::npos) return Corrupt("time index");
  return TimeEntry{FromNanos(FromBigEndian(stored.substr(1))), std::string(rest.substr(0, zero)),
                   std::string(rest.substr(zero + 1))};
}

std::string EncodeState(const JourneyState& state) {
  json steps = json::object();
  for (const auto& [name, hit] : state.steps) steps[name] = HitJson(hit);
  json errors = json::object();
  for (const auto& [name, hit] : state.errors) errors[name] = HitJson(hit);
  json traces = json::array();
  for (const auto& id : state.trace_ids) {
    traces.push_back(json::binary(std::vector<uint8_t>(id.begin(), id.end())));
  }
  json j = {{"v", 1},
            {"f", absl::ToUnixNanos(state.first_seen)},
            {"u", absl::ToUnixNanos(state.updated)},
            {"s", std::move(steps)},
            {"e", std::move(errors)},
            {"t", std::move(traces)}};
  std::vector<uint8_t> cbor = json::to_cbor(j);
  return std::string(cbor.begin(), cbor.end());
}

absl::StatusOr<JourneyState> DecodeState(std::string_view value) {
  try {
    json j = json::from_cbor(value.begin(), value.end());
    if (j.at("v").get<int>() != 1) return Corrupt("unknown version");
    JourneyState state;
    state.first_seen = absl::FromUnixNanos(j.at("f").get<int64_t>());
    state.updated = absl::FromUnixNanos(j.at("u").get<int64_t>());
    for (const auto& [name, hit] : j.at("s").items()) state.steps[name] = HitFrom(hit);
    for (const auto& [name, hit] : j.at("e").items()) state.errors[name] = HitFrom(hit);
    for (const auto& id : j.at("t")) state.trace_ids.insert(Bytes(id));
    return state;
  } catch (const json::exception& e) {
    return Corrupt(e.what());
  }
}

}  // namespace spanvault::journeys::codec
