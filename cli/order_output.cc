#include "cli/order_output.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/output.h"

namespace spanvault::cli {
namespace {

using json = nlohmann::json;

// `object[name]` as text: strings as they are, numbers and booleans as JSON, "-" when absent
// or null (a step not reached, the first step's gap).
std::string Field(const json& object, const std::string& name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// A millisecond count such as 36.5 as "36.5ms" or "5m12.004s" (absl::FormatDuration), to the
// microsecond the server measures.
std::string Millis(const json& object, const std::string& name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_number()) return "-";
  absl::Duration d =
      absl::Trunc(absl::Microseconds(it->get<double>() * 1000.0), absl::Microseconds(1));
  return absl::FormatDuration(d);
}

std::string YesNo(const json& object, const std::string& name) {
  auto it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get<bool>() ? "yes" : "no";
}

// "o-1: stuck at consumed: published to orders 7s ago and not consumed: ...".
std::string VerdictLine(const json& journey) {
  const json verdict = journey.value("verdict", json::object());
  std::string line = absl::StrCat(Field(journey, "key"), ": ", Field(verdict, "status"));
  if (std::string step = Field(verdict, "step"); step != "-") absl::StrAppend(&line, " at ", step);
  if (std::string message = Field(verdict, "message"); message != "-") {
    absl::StrAppend(&line, ": ", message);
  }
  return line;
}

std::vector<std::string> StepRow(const json& step) {
  const std::string name = Field(step, "name");
  if (step.value("hidden", false)) {
    return {name, "hidden (outside your scope)", "-", "-", "-", "-", "-", "-", "-"};
  }
  if (!step.value("reached", false)) return {name, "no", "-", "-", "-", "-", "-", "-", "-"};
  std::string status = Field(step, "status");
  if (step.contains("error")) absl::StrAppend(&status, " (", Field(step, "error"), ")");
  return {name,
          "yes",
          Field(step, "service"),
          Field(step, "operation"),
          Field(step, "start"),
          Millis(step, "durationMs"),
          Millis(step, "gapMs"),
          status,
          Field(step, "traceID")};
}

}  // namespace

void PrintJourney(std::ostream& out, const json& journey) {
  out << VerdictLine(journey) << "\n\n";
  std::vector<std::vector<std::string>> steps;
  for (const json& step : journey.value("steps", json::array())) steps.push_back(StepRow(step));
  PrintTable(
      out,
      {"STEP", "REACHED", "SERVICE", "OPERATION", "START", "DURATION", "GAP", "STATUS", "TRACE ID"},
      steps);
  std::vector<std::vector<std::string>> traces;
  for (const json& trace : journey.value("traces", json::array())) {
    traces.push_back({Field(trace, "traceID"), YesNo(trace, "kept"), YesNo(trace, "pending")});
  }
  out << "\n";
  PrintTable(out, {"TRACE ID", "KEPT", "PENDING"}, traces);
}

void PrintJourneyList(std::ostream& out, const json& journeys) {
  std::vector<std::vector<std::string>> rows;
  for (const json& j : journeys) {
    const json verdict = j.value("verdict", json::object());
    rows.push_back({Field(j, "key"), Field(verdict, "status"), Field(verdict, "step"),
                    Field(j, "lastStep"), Field(j, "updated"), Field(verdict, "message")});
  }
  PrintTable(out, {"KEY", "STATUS", "STEP", "LAST STEP", "UPDATED", "MESSAGE"}, rows);
}

}  // namespace spanvault::cli
