#pragma once

// How journeys are laid out in their KvStore (TraceStore::Journeys()):
//   "j" flow \0 key                          -> the JourneyState (CBOR)
//   "s" flow \0 settled ~updated(8 BE) key   -> stuck deadline (8 BE nanos, 0: none)
//   "t" updated(8 BE) flow \0 key            -> settled (1 byte)   retention, oldest first
// `settled` is 'o' (open: in progress or stuck), 'c' (completed) or 'f' (failed). The "s"
// index lists a flow's journeys of one settled status newest update first; the "t" index
// finds what the retention deletes without reading journeys.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "journeys/journey.h"

namespace spanvault::journeys::codec {

inline constexpr char kJourneyPrefix[] = "j";
inline constexpr char kStatusPrefix[] = "s";
inline constexpr char kTimePrefix[] = "t";

char SettledChar(JourneyStatus settled);

std::string JourneyKey(std::string_view flow, std::string_view key);
// The prefix of a flow's "s" entries of one settled status.
std::string StatusPrefix(std::string_view flow, char settled);
std::string StatusKey(std::string_view flow, char settled, absl::Time updated,
                      std::string_view key);
std::string TimeKey(absl::Time updated, std::string_view flow, std::string_view key);
std::string TimeKeyBound(absl::Time updated);

std::string EncodeDeadline(std::optional<absl::Time> deadline);
std::optional<absl::Time> DecodeDeadline(std::string_view value);

struct StatusEntry {
  absl::Time updated;
  std::string key;
};
// An "s" key under `prefix` (StatusPrefix); kDataLoss when malformed.
absl::StatusOr<StatusEntry> DecodeStatusKey(std::string_view prefix, std::string_view stored);

struct TimeEntry {
  absl::Time updated;
  std::string flow;
  std::string key;
};
absl::StatusOr<TimeEntry> DecodeTimeKey(std::string_view stored);

std::string EncodeState(const JourneyState& state);
// kDataLoss when `value` is not an encoded state.
absl::StatusOr<JourneyState> DecodeState(std::string_view value);

}  // namespace spanvault::journeys::codec
