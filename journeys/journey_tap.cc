#include "journeys/journey_tap.h"

#include <algorithm>
#include <functional>

#include "common/otlp_util.h"
#include "journeys/journey_codec.h"

namespace spanvault::journeys {
namespace {

constexpr size_t kScanPage = 1024;
constexpr absl::Duration kRetentionEvery = absl::Hours(1);
// Key values longer than this, empty or holding control characters are not business keys.
constexpr size_t kMaxKeyBytes = 256;
// Step-to-step gaps, in seconds: from a local call to an hour in a queue.
const std::vector<double> kGapBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,    2.5,
                                        5,     10,   30,    60,   120, 300,  600, 1800, 3600};

std::set<std::string> StepServices(const std::vector<Flow>& flows) {
  std::set<std::string> out;
  for (const Flow& flow : flows) {
    for (const FlowStep& step : flow.steps) out.insert(step.service);
  }
  return out;
}

std::set<std::string> KeyAttributes(const std::vector<Flow>& flows) {
  std::set<std::string> out;
  for (const Flow& flow : flows) out.insert(flow.key);
  return out;
}

// The same rule the query layer applies to a key it is asked for, so every journey kept can be
// looked up.
bool IsKeyValue(std::string_view v) {
  if (v.empty() || v.size() > kMaxKeyBytes) return false;
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string Destination(const otlp::Attributes& attributes) {
  for (const char* name : {"messaging.destination.name", "messaging.destination"}) {
    if (const otlp::AnyValue* v = FindAttribute(attributes, name)) return AnyValueToString(*v);
  }
  return "";
}

}  // namespace

JourneyTap::JourneyTap(JourneyTapOptions options, std::vector<Flow> flows, SpanSink& next,
                       KvStore& store, Clock& clock, MetricsRegistry& metrics)
    : options_(options),
      flows_(std::move(flows)),
      step_services_(StepServices(flows_)),
      key_attributes_(KeyAttributes(flows_)),
      next_(next),
      store_(store),
      clock_(clock),
      flush_errors_(metrics
                        .AddCounter("spanvault_journeys_flush_errors_total",
                                    "Failed writes of journeys (kept and retried).", {})
                        .With({})),
      evicted_(metrics.AddCounter(
          "spanvault_journeys_evicted_total",
          "What the journey tap forgot early: trace keys (what=trace, the trace map was full) "
          "and spans waiting for their trace's key (what=waiting_span, full or expired).",
          {"what"})) {
  auto& started =
      metrics.AddCounter("spanvault_journeys_started_total",
                         "Journeys (orders) seen for the first time, by flow.", {"flow"});
  auto& completed =
      metrics.AddCounter("spanvault_journeys_completed_total",
                         "Journeys that reached their final step, by flow.", {"flow"});
  auto& failed = metrics.AddCounter("spanvault_journeys_failed_total",
                                    "Journeys with a failed step, by flow.", {"flow"});
  auto& stuck = metrics.AddCounter(
      "spanvault_journeys_stuck_total",
      "Journeys found stuck (a step missing past its `within`), by flow; a journey that "
      "moves on and gets stuck again counts again.",
      {"flow"});
  for (const Flow& flow : flows_) {
    flow_metrics_.push_back(std::unique_ptr<FlowMetrics>(
        new FlowMetrics{started.With({flow.name}), completed.With({flow.name}),
                        failed.With({flow.name}), stuck.With({flow.name})}));
    membership_.emplace_back(options.membership, flow.key);
    stuck_keys_.emplace_back();
  }
  gaps_ = &metrics.AddHistogram(
      "spanvault_journeys_step_gap_seconds",
      "Time from the start of one step of a journey to the start of the next (queue waits "
      "included), by flow and step pair.",
      {"flow", "from", "to"}, kGapBounds);
  metrics.AddGauge("spanvault_journeys_stuck_now",
                   "Journeys stuck now, every flow (counted every stuck_scan_interval).", [this] {
                     double sum = 0;
                     for (const auto& m : flow_metrics_) sum += m->stuck_now.load();
                     return sum;
                   });
  metrics.AddGaugeFamily(
      "spanvault_journeys_stuck_share",
      "Of the journeys updated within the share window (1 h), the share stuck now, by flow "
      "(counted every stuck_scan_interval).",
      {"flow"}, [this] {
        GaugeSamples samples;
        for (size_t f = 0; f < flows_.size(); ++f) {
          samples.push_back({{flows_[f].name}, flow_metrics_[f]->stuck_share.load()});
        }
        return samples;
      });
  metrics.AddGauge("spanvault_journeys_tracked_traces",
                   "Traces whose journey key the journey tap remembers.",
                   [this] { return tracked_traces_.load(); });
  metrics.AddGauge("spanvault_journeys_waiting_spans",
                   "Step spans held until their trace's journey key is known.",
                   [this] { return waiting_spans_.load(); });
}

JourneyTap::~JourneyTap() { static_cast<void>(Shutdown()); }

std::optional<size_t> JourneyTap::FlowIndex(const std::string& flow) const {
  for (size_t i = 0; i < flows_.size(); ++i) {
    if (flows_[i].name == flow) return i;
  }
  return std::nullopt;
}

absl::Status JourneyTap::Start() {
  // Rebuild the trace -> key map from the journeys updated within the trace memory.
  absl::Time now = clock_.Now();
  std::string from = codec::TimeKeyBound(now - options_.membership.trace_memory);
  std::vector<std::pair<size_t, std::pair<std::string, std::set<std::string>>>> known;
  while (true) {
    auto page = store_.ScanPage(codec::kTimePrefix, from, kScanPage);
    if (!page.ok()) return page.status();
    for (const auto& [stored_key, value] : *page) {
      auto entry = codec::DecodeTimeKey(stored_key);
      if (!entry.ok()) return entry.status();
      auto flow = FlowIndex(entry->flow);
      if (!flow) continue;  // a flow no longer configured
      auto state = ReadStored(*flow, entry->key);
      if (!state.ok()) return state.status();
      if (*state) known.push_back({*flow, {entry->key, (*state)->AllTraceIds()}});
    }
    if (page->size() < kScanPage) break;
    from = page->back().first + '\0';
  }
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [flow, journey] : known) {
      for (const auto& trace : journey.second) membership_[flow].Learn(trace, journey.first, now);
    }
    last_retention_ = now - kRetentionEvery;  // the first flush applies the retention
    last_stuck_scan_ = now;
  }
  flusher_ = std::thread([this] { FlushLoop(); });
  return absl::OkStatus();
}

absl::Status JourneyTap::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::OkStatus();
    stopped_ = true;
    stopping_ = true;
  }
  if (flusher_.joinable()) flusher_.join();
  return Flush();
}

void JourneyTap::FlushLoop() {
  while (true) {
    bool scan_due = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.flush_interval);
      if (stopping_) return;
      absl::Time now = clock_.Now();
      scan_due = now - last_stuck_scan_ >= options_.stuck_scan_interval;
      if (scan_due) last_stuck_scan_ = now;
    }
    static_cast<void>(Flush());  // failures are counted and retried
    if (scan_due) static_cast<void>(CountStuck());
  }
}

std::vector<JourneySpan> JourneyTap::SpansOf(const ExportRequest& request) const {
  std::vector<JourneySpan> out;
  for (const auto& rs : request.resource_spans()) {
    std::string service = ServiceName(rs.resource());
    bool step_service = step_services_.contains(service);
    for (const auto& ss : rs.scope_spans()) {
      for (const otlp::Span& span : ss.spans()) {
        JourneySpan j;
        for (const std::string& key : key_attributes_) {
          const otlp::AnyValue* v = FindAttribute(span.attributes(), key);
          if (v == nullptr) v = FindAttribute(rs.resource().attributes(), key);
          if (v == nullptr) continue;
          std::string value = AnyValueToString(*v);
          if (IsKeyValue(value)) j.keys.emplace_back(key, std::move(value));
        }
        if (!step_service && j.keys.empty() && span.links().empty()) continue;
        j.trace_id = span.trace_id();
        j.span_id = span.span_id();
        j.service = service;
        j.name = span.name();
        j.kind = span.kind();
        j.destination = Destination(span.attributes());
        j.start = absl::FromUnixNanos(static_cast<int64_t>(span.start_time_unix_nano()));
        j.duration = absl::Nanoseconds(static_cast<int64_t>(DurationNanos(span)));
        j.error = IsError(span);
        if (j.error) j.error_message = span.status().message();
        for (const auto& link : span.links()) j.linked_traces.push_back(link.trace_id());
        out.push_back(std::move(j));
      }
    }
  }
  return out;
}

void JourneyTap::Consume(SpanBatch batch, SpanSinkDone done) {
  auto spans = std::make_shared<std::vector<JourneySpan>>(SpansOf(batch.request()));
  next_.Consume(std::move(batch),
                [this, spans = std::move(spans), done = std::move(done)](absl::Status s) mutable {
                  // Only acknowledged spans count: a refused batch comes back as a retry.
                  if (s.ok() && !spans->empty()) Apply(*spans);
                  std::move(done)(std::move(s));
                });
}

void JourneyTap::Apply(const std::vector<JourneySpan>& spans) {
  absl::Time now = clock_.Now();
  std::vector<Counted> counted;
  absl::MutexLock lock(&mu_);
  for (size_t f = 0; f < flows_.size(); ++f) {
    const Flow& flow = flows_[f];
    for (const JourneySpan& span : spans) {
      membership_[f].Add(span, MatchStep(flow, span).has_value(), now, &counted);
    }
    for (const Counted& c : counted) {
      deltas_[{f, c.key}].AddSpan(c.span, MatchStep(flow, c.span), flow, now);
    }
    counted.clear();
  }
  PublishGaugesLocked(now);
}

void JourneyTap::PublishGaugesLocked(absl::Time now) {
  MembershipEvictions total;
  size_t traces = 0, waiting = 0;
  for (TraceMembership& m : membership_) {
    m.Expire(now);
    total.traces += m.evictions().traces;
    total.waiting_spans += m.evictions().waiting_spans;
    traces += m.traces();
    waiting += m.waiting_spans();
  }
  if (total.traces > published_evictions_.traces) {
    evicted_.With({"trace"}).Increment(
        static_cast<double>(total.traces - published_evictions_.traces));
  }
  if (total.waiting_spans > published_evictions_.waiting_spans) {
    evicted_.With({"waiting_span"})
        .Increment(static_cast<double>(total.waiting_spans - published_evictions_.waiting_spans));
  }
  published_evictions_ = total;
  tracked_traces_.store(static_cast<double>(traces));
  waiting_spans_.store(static_cast<double>(waiting));
}

uint64_t JourneyTap::AwaitQuietLocked() {
  bool (*even)(uint64_t*) = [](uint64_t* epoch) { return *epoch % 2 == 0; };
  mu_.Await(absl::Condition(even, &epoch_));
  return epoch_;
}

absl::Status JourneyTap::Flush() {
  absl::Time now = clock_.Now();
  bool retention_due = false;
  Deltas deltas;
  {
    absl::MutexLock lock(&mu_);
    AwaitQuietLocked();
    ++epoch_;  // odd: writing; reads wait, so they never count a delta twice or not at all
    deltas.swap(deltas_);
    retention_due = now - last_retention_ >= kRetentionEvery;
    if (retention_due) last_retention_ = now;
  }
  absl::Status s = WriteDeltas(deltas);
  if (s.ok() && retention_due) s = DeleteExpired(now);
  absl::MutexLock lock(&mu_);
  if (!s.ok()) {
    flush_errors_.Increment();
    for (auto& [key, state] : deltas) deltas_[key].Merge(state);
  }
  ++epoch_;  // even: quiet
  return s;
}

absl::StatusOr<std::optional<JourneyState>> JourneyTap::ReadStored(size_t flow,
                                                                   const std::string& key) {
  auto stored = store_.Get(codec::JourneyKey(flows_[flow].name, key));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<JourneyState>();
  auto state = codec::DecodeState(**stored);
  if (!state.ok()) return state.status();
  return std::optional<JourneyState>(*std::move(state));
}

void JourneyTap::ObserveNewSteps(const Flow& flow, const JourneyState* before,
                                 const JourneyState& after) {
  auto had = [&](size_t i) {
    return before != nullptr && before->steps.contains(flow.steps[i].name);
  };
  auto has = [&](size_t i) { return after.steps.contains(flow.steps[i].name); };
  for (size_t i = 1; i < flow.steps.size(); ++i) {
    // A pair is observed once: when the second of its two steps is written.
    if (!has(i - 1) || !has(i) || (had(i - 1) && had(i))) continue;
    absl::Duration gap =
        after.steps.at(flow.steps[i].name).start - after.steps.at(flow.steps[i - 1].name).start;
    gaps_->With({flow.name, flow.steps[i - 1].name, flow.steps[i].name})
        .Observe(std::max(0.0, absl::ToDoubleSeconds(gap)));
  }
}

absl::Status JourneyTap::WriteDeltas(const Deltas& deltas) {
  KvWrite write;
  std::vector<std::function<void()>> on_written;  // metric updates, once the write succeeded
  for (const auto& [id, delta] : deltas) {
    const auto& [f, key] = id;
    const Flow& flow = flows_[f];
    FlowMetrics& metrics = *flow_metrics_[f];
    auto stored = ReadStored(f, key);
    if (!stored.ok()) return stored.status();
    JourneyState merged = stored->value_or(JourneyState());
    merged.Merge(delta);
    // Spans carrying a key that reached no step (yet) make no journey: not written, not
    // counted; what they told is forgotten (a journey starts at its first step).
    if (merged.steps.empty()) continue;
    JourneyStatus before = *stored ? SettledStatus(flow, **stored) : JourneyStatus::kInProgress;
    JourneyStatus after = SettledStatus(flow, merged);
    std::string status_key =
        codec::StatusKey(flow.name, codec::SettledChar(after), merged.updated, key);
    std::string time_key = codec::TimeKey(merged.updated, flow.name, key);
    if (*stored) {
      const JourneyState& old = **stored;
      std::string old_status =
          codec::StatusKey(flow.name, codec::SettledChar(before), old.updated, key);
      std::string old_time = codec::TimeKey(old.updated, flow.name, key);
      if (old_status != status_key) write.deletes.push_back(std::move(old_status));
      if (old_time != time_key) write.deletes.push_back(std::move(old_time));
    } else {
      on_written.push_back([&metrics] { metrics.started.Increment(); });
    }
    if (after != before && after == JourneyStatus::kCompleted) {
      on_written.push_back([&metrics] { metrics.completed.Increment(); });
    }
    if (after != before && after == JourneyStatus::kFailed) {
      on_written.push_back([&metrics] { metrics.failed.Increment(); });
    }
    auto old_copy = std::make_shared<std::optional<JourneyState>>(*stored);
    on_written.push_back([this, &flow, old_copy, merged] {
      ObserveNewSteps(flow, *old_copy ? &**old_copy : nullptr, merged);
    });
    write.puts.emplace_back(std::move(status_key),
                            codec::EncodeDeadline(StuckDeadline(flow, merged)));
    write.puts.emplace_back(std::move(time_key), std::string(1, codec::SettledChar(after)));
    write.puts.emplace_back(codec::JourneyKey(flow.name, key), codec::EncodeState(merged));
  }
  if (write.puts.empty()) return absl::OkStatus();
  absl::Status s = store_.Write(write);
  if (s.ok()) {
    for (auto& fn : on_written) fn();
  }
  return s;
}

absl::Status JourneyTap::DeleteExpired(absl::Time now) {
  std::string stop = codec::TimeKeyBound(now - options_.retention);
  std::string from = codec::kTimePrefix;
  KvWrite write;
  bool done = false;
  while (!done) {
    auto page = store_.ScanPage(codec::kTimePrefix, from, kScanPage);
    if (!page.ok()) return page.status();
    for (const auto& [key, value] : *page) {
      if (key >= stop) {
        done = true;
        break;
      }
      auto entry = codec::DecodeTimeKey(key);
      if (!entry.ok()) return entry.status();
      char settled = value.empty() ? 'o' : value[0];
      write.deletes.push_back(key);
      write.deletes.push_back(codec::JourneyKey(entry->flow, entry->key));
      write.deletes.push_back(codec::StatusKey(entry->flow, settled, entry->updated, entry->key));
    }
    if (page->size() < kScanPage) break;
    from = page->back().first + '\0';
  }
  if (write.deletes.empty()) return absl::OkStatus();
  return store_.Write(write);
}

}  // namespace spanvault::journeys
