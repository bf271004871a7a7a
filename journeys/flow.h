#pragma once

// Flows: the business journeys of the `flows` config section (an order: placed -> created ->
// published -> consumed -> confirmed), and which step a span is. Value types and pure
// functions; thread-compatible.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace spanvault::journeys {

// One step of a flow. A span is the step when every condition given matches.
struct FlowStep {
  std::string name;
  std::string service;    // required: the span's resource service.name
  std::string operation;  // span name; `*` matches any run of characters; empty: any
  // OTLP span kind (1 internal, 2 server, 3 client, 4 producer, 5 consumer); nullopt: any.
  std::optional<int> kind;
  // `messaging.destination.name` or the older `messaging.destination`; empty: any.
  std::string destination;
  // How long after the previous reached step this one may appear before the journey is stuck
  // waiting for it. Zero: no limit.
  absl::Duration within = absl::ZeroDuration();
};

struct Flow {
  std::string name;
  std::string key;  // the business key attribute (span or resource attribute), e.g. order_id
  std::vector<FlowStep> steps;
  size_t final_step = 0;  // index into steps
};

// What the journey tap needs of one span.
struct JourneySpan {
  std::string trace_id;  // 16 bytes
  std::string span_id;   // 8 bytes
  std::string service;
  std::string name;
  int kind = 0;
  std::string destination;  // messaging.destination.name, else messaging.destination
  absl::Time start;
  absl::Duration duration;
  bool error = false;
  std::string error_message;  // the status message when error
  // Attribute key -> value (span attributes over resource ones) for the flows' keys only.
  std::vector<std::pair<std::string, std::string>> keys;
  std::vector<std::string> linked_traces;  // trace ids of the span's links
};

// `*` matches any run of characters (also none); every other character matches itself.
bool GlobMatch(std::string_view pattern, std::string_view text);

// The index of the first step of `flow` that `span` is; nullopt when none.
std::optional<size_t> MatchStep(const Flow& flow, const JourneySpan& span);

// The value of `key` on the span, or nullopt.
const std::string* KeyOf(const JourneySpan& span, std::string_view key);

// "producer" for 4 and so on; "" for an unknown kind.
std::string_view KindName(int kind);
// 1..5 for "internal".."consumer"; nullopt for anything else.
std::optional<int> KindFromName(std::string_view name);

}  // namespace spanvault::journeys
