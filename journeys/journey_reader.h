#pragma once

// JourneyReader: the read side of the journeys the journey tap keeps. The query layer sees
// only this interface.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "journeys/flow.h"
#include "journeys/journey.h"

namespace spanvault::journeys {

// One key's journey in one flow, with its verdict at the time it was read.
struct Journey {
  std::string flow;
  std::string key;
  JourneyState state;
  Verdict verdict;
};

struct JourneyFilter {
  std::optional<JourneyStatus> status;      // nullopt: any
  absl::Time since = absl::InfinitePast();  // last updated at or after
  size_t limit = 100;
};

// Thread-safe.
class JourneyReader {
 public:
  virtual ~JourneyReader() = default;
  // The configured flows (constant for the reader's life).
  virtual const std::vector<Flow>& flows() const = 0;
  // The journey of `key` in `flow`. kNotFound when none is known; kUnavailable when it cannot
  // be read now (retry); kDataLoss when the stored record is corrupt.
  virtual absl::StatusOr<Journey> GetJourney(const std::string& flow, const std::string& key) = 0;
  // The flow's journeys that match `filter`, most recently updated first, at most
  // filter.limit. A scan reads at most a bounded number of index entries (kMaxScan in the
  // tap), so a very long window with a rare status may miss the oldest matches.
  virtual absl::StatusOr<std::vector<Journey>> ListJourneys(const std::string& flow,
                                                            const JourneyFilter& filter) = 0;
  // The journeys the trace (`trace_id`: its 16 bytes) belongs to as known now, at most one
  // per flow, in flow order; empty when its key is not known (yet, or any more: see
  // MembershipOptions). kUnavailable when they cannot be read now.
  virtual absl::StatusOr<std::vector<Journey>> JourneysOfTrace(std::string_view trace_id) = 0;
};

}  // namespace spanvault::journeys
