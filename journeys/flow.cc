#include "journeys/flow.h"

#include <array>

namespace spanvault::journeys {
namespace {

constexpr std::array<std::string_view, 6> kKinds = {"",       "internal", "server",
                                                    "client", "producer", "consumer"};

}  // namespace

// Iterative with one backtrack point: linear in practice, never exponential.
bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<size_t> MatchStep(const Flow& flow, const JourneySpan& span) {
  for (size_t i = 0; i < flow.steps.size(); ++i) {
    const FlowStep& step = flow.steps[i];
    if (step.service != span.service) continue;
    if (step.kind && *step.kind != span.kind) continue;
    if (!step.destination.empty() && step.destination != span.destination) continue;
    if (!step.operation.empty() && !GlobMatch(step.operation, span.name)) continue;
    return i;
  }
  return std::nullopt;
}

const std::string* KeyOf(const JourneySpan& span, std::string_view key) {
  for (const auto& [k, v] : span.keys) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string_view KindName(int kind) {
  return kind > 0 && kind < static_cast<int>(kKinds.size()) ? kKinds[kind] : "";
}

std::optional<int> KindFromName(std::string_view name) {
  for (size_t i = 1; i < kKinds.size(); ++i) {
    if (kKinds[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

}  // namespace spanvault::journeys
