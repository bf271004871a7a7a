#include "sampling/tail_sampler.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "sampling/batch_split.h"
#include "spdlog/spdlog.h"

namespace spanvault::sampling {
namespace {

constexpr size_t kMaxDecisionsPerRound = 2000;
constexpr absl::Duration kRetryDecision = absl::Seconds(1);
constexpr absl::Duration kForgetInterval = absl::Minutes(1);

// Calls `done` once every part has answered: OK, or the first error.
class Join {
 public:
  Join(int parts, SpanSinkDone done) : remaining_(parts), done_(std::move(done)) {}
  void Answer(const absl::Status& status) {
    absl::Status result;
    {
      absl::MutexLock lock(&mu_);
      if (!status.ok() && first_error_.ok()) first_error_ = status;
      if (--remaining_ > 0) return;
      result = first_error_;
    }
    std::move(done_)(result);  // the last part: nobody else calls done_ now
  }

 private:
  absl::Mutex mu_;
  int remaining_ ABSL_GUARDED_BY(mu_);
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  SpanSinkDone done_;
};

}  // namespace

struct TailSampler::Metrics {
  explicit Metrics(MetricsRegistry& r)
      : traces(r.AddCounter("spanvault_sampling_traces_total",
                            "Traces decided by the tail sampler, by decision and policy.",
                            {"decision", "policy"})),
        late_spans(r.AddCounter("spanvault_sampling_late_spans_total",
                                "Spans that arrived after their trace was decided.", {"decision"})),
        excess_spans(r.AddCounter("spanvault_sampling_excess_spans_total",
                                  "Spans dropped because their trace passed max_spans_per_trace.",
                                  {})),
        deferred(r.AddCounter("spanvault_sampling_deferred_total",
                              "Decisions put off because a policy (flow_status) may keep the "
                              "trace later, or not put off because max_deferred_traces were "
                              "waiting already.",
                              {"outcome"})),
        lag(r.AddHistogram("spanvault_sampling_decision_lag_seconds",
                           "How late a trace was decided after its deadline.", {},
                           {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})) {}
  CounterFamily& traces;
  CounterFamily& late_spans;
  CounterFamily& excess_spans;
  CounterFamily& deferred;
  HistogramFamily& lag;
};

TailSampler::TailSampler(TailSamplerOptions options, const PolicySet& policies,
                         const RuleSet* rules, TraceStore& store, const Clock& clock,
                         MetricsRegistry& metrics)
    : options_(options),
      policies_(policies),
      rules_(rules),
      store_(store),
      clock_(clock),
      metrics_(std::make_unique<Metrics>(metrics)),
      decisions_(options.sampling.decision_cache_ttl, options.max_cached_decisions) {
  metrics.AddGauge("spanvault_sampling_pending_traces", "Traces waiting for a sampling decision.",
                   [this] { return static_cast<double>(pending_traces()); });
  metrics.AddGauge("spanvault_sampling_pending_bytes",
                   "Bytes of span data waiting for a sampling decision.", [this] {
                     absl::MutexLock lock(&mu_);
                     return static_cast<double>(pending_bytes_);
                   });
}

TailSampler::~TailSampler() { Shutdown(); }

absl::Time TailSampler::DeadlineOf(const State& s) const {
  absl::Time deadline = s.persisted.first_seen + options_.sampling.decision_wait;
  if (s.persisted.root_seen && options_.sampling.decision_quiet > absl::ZeroDuration()) {
    deadline = std::min(deadline, s.persisted.last_seen + options_.sampling.decision_quiet);
  }
  // Past max_spans_per_trace: decided now, once every write of the trace is answered (a retried
  // batch's spans are uncounted then: TailSamplerTest.ARetriedBatchInFlightDoesNotEndTheTrace).
  if (static_cast<uint64_t>(s.persisted.span_count) >= options_.sampling.max_spans_per_trace &&
      s.writes_in_flight == 0) {
    deadline = std::min(deadline, s.persisted.last_seen);
  }
  return deadline;
}

void TailSampler::Schedule(const TraceId& trace, State& state, absl::Time deadline) {
  deadlines_.erase({state.deadline, trace});
  state.deadline = deadline;
  deadlines_.insert({deadline, trace});
}

absl::Status TailSampler::Start() {
  auto pending = store_.LoadPending();
  if (!pending.ok()) return pending.status();
  absl::Time now = clock_.Now();
  auto decided = store_.LoadDecisions(now - options_.sampling.decision_cache_ttl,
                                      options_.max_cached_decisions);
  if (!decided.ok()) return decided.status();
  {
    absl::MutexLock lock(&mu_);
    for (const auto& d : *decided) decisions_.Add(d.trace_id, d.keep, d.decided_at);
    for (auto& p : *pending) {
      State& state = pending_[p.trace_id];
      state.persisted = std::move(p);
      pending_bytes_ += state.persisted.bytes;
      Schedule(state.persisted.trace_id, state, DeadlineOf(state));
    }
    next_forget_ = now;
  }
  spdlog::info("tail sampling: {} pending traces and {} recent decisions reloaded", pending->size(),
               decided->size());
  if (options_.run_thread) thread_ = std::thread([this] { DecisionLoop(); });
  return absl::OkStatus();
}

void TailSampler::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

size_t TailSampler::pending_traces() const {
  absl::MutexLock lock(&mu_);
  return pending_.size();
}

absl::Status TailSampler::CheckLimitsLocked(
    const absl::flat_hash_map<TraceId, Arrival>& arrivals) const {
  uint64_t new_traces = 0;
  uint64_t new_bytes = 0;
  for (const auto& [trace, arrival] : arrivals) {
    if (decisions_.Find(trace).has_value()) continue;
    if (!pending_.contains(trace)) ++new_traces;
    new_bytes += arrival.bytes;
  }
  if (new_traces > 0 && pending_.size() + new_traces > options_.sampling.max_pending_traces) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "tail sampling holds ", pending_.size(), " undecided traces (max_pending_traces ",
        options_.sampling.max_pending_traces, "); retry later"));
  }
  if (new_bytes > 0 && pending_bytes_ + new_bytes > options_.sampling.max_pending_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "tail sampling holds ", pending_bytes_, " bytes of undecided spans (max_pending_bytes ",
        options_.sampling.max_pending_bytes, "); retry later"));
  }
  return absl::OkStatus();
}

TailSampler::Route TailSampler::RouteLocked(const TraceId& trace, const Arrival& arrival,
                                            absl::Time now, std::vector<PendingTrace>* states) {
  if (std::optional<bool> keep = decisions_.Find(trace)) {
    metrics_->late_spans.With({*keep ? "kept" : "dropped"}).Increment(arrival.spans);
    return *keep ? kKeep : kDiscard;
  }
  if (deciding_.contains(trace)) return kPending;
  auto [it, is_new] = pending_.try_emplace(trace);
  State& state = it->second;
  PendingTrace& p = state.persisted;
  if (is_new) {
    p.trace_id = trace;
    p.first_seen = now;
  } else if (static_cast<uint64_t>(p.span_count) >= options_.sampling.max_spans_per_trace) {
    state.excess_spans += arrival.spans;
    metrics_->excess_spans.With({}).Increment(arrival.spans);
    return kDiscard;
  }
  p.last_seen = now;
  p.root_seen = p.root_seen || arrival.root;
  p.span_count += arrival.spans;
  p.bytes += arrival.bytes;
  pending_bytes_ += arrival.bytes;
  ++state.writes_in_flight;
  Schedule(trace, state, DeadlineOf(state));
  states->push_back(p);
  return kPending;
}

void TailSampler::Consume(SpanBatch batch, SpanSinkDone done) {
  absl::flat_hash_map<TraceId, Arrival> arrivals;
  for (const auto& rs : batch.request().resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        auto id = TraceId::FromBytes(span.trace_id());
        if (!id.ok()) continue;  // receivers validate
        Arrival& a = arrivals[*id];
        ++a.spans;
        a.bytes += static_cast<int64_t>(span.ByteSizeLong());
        a.root = a.root || span.parent_span_id().empty();
      }
    }
  }
  absl::MutexLock lock(&mu_);
  absl::Status limits = CheckLimitsLocked(arrivals);
  if (!limits.ok()) {
    std::move(done)(limits);
    return;
  }
  absl::Time now = clock_.Now();
  std::vector<PendingTrace> states;
  absl::flat_hash_map<TraceId, Route> routes;
  for (const auto& [trace, arrival] : arrivals)
    routes[trace] = RouteLocked(trace, arrival, now, &states);
  std::vector<SpanBatch> parts = SplitByTrace(std::move(batch), 3, [&](const TraceId& id) {
    auto it = routes.find(id);
    return it == routes.end() ? static_cast<int>(kDiscard) : static_cast<int>(it->second);
  });
  int writes = (parts[kKeep].span_count() > 0) + (parts[kPending].span_count() > 0);
  if (writes == 0) {
    std::move(done)(absl::OkStatus());
    return;
  }
  // Both writes are queued under the lock, so the store sees them in the same order as the
  // decisions that DecideDue queues under it.
  auto join = std::make_shared<Join>(writes, std::move(done));
  auto answer = [join](absl::Status s) { join->Answer(s); };
  if (parts[kKeep].span_count() > 0) store_.Consume(std::move(parts[kKeep]), answer);
  if (parts[kPending].span_count() > 0) {
    std::vector<std::pair<TraceId, Arrival>> pending;
    for (const auto& [trace, route] : routes) {
      if (route == kPending) pending.emplace_back(trace, arrivals[trace]);
    }
    store_.ConsumePending(std::move(parts[kPending]), std::move(states),
                          [this, join, pending = std::move(pending)](
                              absl::Status s, std::vector<DuplicateSpans> duplicates) {
                            if (s.ok()) Uncount(duplicates);
                            {
                              absl::MutexLock lock(&answers_mu_);
                              if (!s.ok()) {
                                failed_arrivals_.insert(failed_arrivals_.end(), pending.begin(),
                                                        pending.end());
                              }
                              for (const auto& [trace, arrival] : pending) {
                                answered_writes_.push_back(trace);
                              }
                            }
                            join->Answer(s);
                          });
  }
}

void TailSampler::Uncount(const std::vector<DuplicateSpans>& duplicates) {
  if (duplicates.empty()) return;
  absl::MutexLock lock(&mu_);
  for (const auto& d : duplicates) {
    auto it = pending_.find(d.trace_id);
    if (it == pending_.end()) continue;  // decided meanwhile
    PendingTrace& p = it->second.persisted;
    p.span_count -= d.spans;
    p.bytes -= d.bytes;
    pending_bytes_ -= d.bytes;
    Schedule(d.trace_id, it->second, DeadlineOf(it->second));
  }
}

void TailSampler::UnrouteFailedWritesLocked() {
  std::vector<std::pair<TraceId, Arrival>> arrivals;
  {
    absl::MutexLock lock(&answers_mu_);
    arrivals.swap(failed_arrivals_);
  }
  for (const auto& [trace, arrival] : arrivals) {
    auto it = pending_.find(trace);
    if (it == pending_.end()) continue;  // being decided meanwhile
    State& state = it->second;
    state.persisted.span_count -= arrival.spans;
    state.persisted.bytes -= arrival.bytes;
    pending_bytes_ -= arrival.bytes;
    if (state.persisted.span_count <= 0 && state.excess_spans == 0) {
      deadlines_.erase({state.deadline, trace});
      pending_bytes_ -= state.persisted.bytes;  // 0 unless counts drifted
      pending_.erase(it);
      continue;
    }
    Schedule(trace, state, DeadlineOf(state));
  }
}

void TailSampler::ApplyAnsweredWritesLocked() {
  std::vector<TraceId> answered;
  {
    absl::MutexLock lock(&answers_mu_);
    answered.swap(answered_writes_);
  }
  for (const TraceId& trace : answered) {
    auto it = pending_.find(trace);
    if (it == pending_.end() || it->second.writes_in_flight == 0) continue;  // decided meanwhile
    if (--it->second.writes_in_flight == 0) Schedule(trace, it->second, DeadlineOf(it->second));
  }
}

std::vector<std::pair<TraceId, TailSampler::State>> TailSampler::TakeDueLocked(absl::Time now) {
  std::vector<std::pair<TraceId, State>> due;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now &&
         due.size() < kMaxDecisionsPerRound) {
    TraceId trace = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = pending_.find(trace);
    if (it == pending_.end()) continue;
    deciding_.insert(trace);
    pending_bytes_ -= it->second.persisted.bytes;
    due.emplace_back(trace, std::move(it->second));
    pending_.erase(it);
  }
  return due;
}

TailSampler::Outcome TailSampler::Evaluate(const TraceId& trace, const State& state,
                                           absl::Time now) {
  Outcome outcome{{trace, false, "", now}, std::nullopt};
  SamplingDecision& decision = outcome.decision;
  auto data = store_.GetTrace(trace);
  if (!data.ok()) {
    // Nothing readable (a failed write, or already gone): nothing to keep.
    if (!absl::IsNotFound(data.status())) {
      spdlog::warn("tail sampling: cannot read a pending trace: {}",
                   std::string(data.status().message()));
    }
    return outcome;
  }
  TraceView view(trace, *data);
  view.set_span_count(view.span_count() + state.excess_spans);
  if (rules_ != nullptr) {
    if (std::optional<std::string> rule = rules_->Match(view)) {
      decision.keep = true;
      decision.policy = "rule:" + *rule;
      return outcome;
    }
  }
  SamplingResult result = policies_.Evaluate(view);
  decision.keep = result.keep;
  decision.policy = result.policy;
  if (!result.keep) {
    if (std::optional<absl::Time> at = policies_.RevisitAt(view, now)) {
      outcome.revisit = std::min(*at, now + options_.sampling.decision_wait);
    }
  }
  return outcome;
}

std::vector<SamplingDecision> TailSampler::DeferLocked(std::vector<std::pair<TraceId, State>>& due,
                                                       std::vector<Outcome>& outcomes) {
  std::vector<SamplingDecision> decisions;
  size_t kept = 0;  // due[0, kept) are the decided traces
  for (size_t i = 0; i < due.size(); ++i) {
    const TraceId& trace = due[i].first;
    std::optional<absl::Time> revisit = outcomes[i].revisit;
    bool room = deferred_.contains(trace) || deferred_.size() < options_.max_deferred_traces;
    if (revisit && room) {
      deferred_.insert(trace);
      deciding_.erase(trace);
      RequeueLocked(trace, due[i].second, *revisit);
      metrics_->deferred.With({"deferred"}).Increment();
      continue;
    }
    if (revisit) metrics_->deferred.With({"limit_reached"}).Increment();
    deferred_.erase(trace);
    decisions.push_back(std::move(outcomes[i].decision));
    if (kept != i) due[kept] = std::move(due[i]);
    ++kept;
  }
  due.resize(kept);
  return decisions;
}

absl::StatusOr<int> TailSampler::DecideDue() {
  absl::Time now = clock_.Now();
  std::vector<std::pair<TraceId, State>> due;
  {
    absl::MutexLock lock(&mu_);
    decisions_.Expire(now);
    UnrouteFailedWritesLocked();
    ApplyAnsweredWritesLocked();
    due = TakeDueLocked(now);
  }
  if (due.empty()) return 0;
  std::vector<Outcome> outcomes;
  for (const auto& [trace, state] : due) outcomes.push_back(Evaluate(trace, state, now));
  absl::Notification written;
  absl::Status status;
  std::vector<SamplingDecision> decisions;
  {
    absl::MutexLock lock(&mu_);
    decisions = DeferLocked(due, outcomes);
    if (decisions.empty()) return 0;
    for (const auto& d : decisions) {
      decisions_.Add(d.trace_id, d.keep, d.decided_at);
      deciding_.erase(d.trace_id);
    }
    store_.Decide(decisions, [&](absl::Status s) {
      status = s;
      written.Notify();
    });
  }
  written.WaitForNotification();
  bool was_failing = false;
  {
    absl::MutexLock lock(&mu_);
    was_failing = std::exchange(decisions_failing_, !status.ok());
  }
  if (!status.ok()) {
    // Kept pending (and in the store) and decided again every kRetryDecision; logged once.
    if (!was_failing) {
      spdlog::error("tail sampling: cannot store {} decisions, retrying until it works: {}",
                    decisions.size(), std::string(status.message()));
    }
    Requeue(due, now + kRetryDecision);
    return status;
  }
  if (was_failing) spdlog::warn("tail sampling: decisions are stored again");
  for (size_t i = 0; i < due.size(); ++i) {
    const auto& d = decisions[i];
    metrics_->traces.With({d.keep ? "kept" : "dropped", d.policy}).Increment();
    metrics_->lag.With({}).Observe(absl::ToDoubleSeconds(now - due[i].second.deadline));
  }
  return static_cast<int>(due.size());
}

void TailSampler::RequeueLocked(const TraceId& trace, const State& state, absl::Time when) {
  State& s = pending_[trace];
  s = state;
  pending_bytes_ += s.persisted.bytes;
  Schedule(trace, s, when);
}

void TailSampler::Requeue(const std::vector<std::pair<TraceId, State>>& due, absl::Time when) {
  absl::MutexLock lock(&mu_);
  for (const auto& [trace, state] : due) {
    decisions_.Erase(trace);
    RequeueLocked(trace, state, when);
  }
}

void TailSampler::DecisionLoop() {
  while (true) {
    bool forget = false;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.tick)) return;
      absl::Time now = clock_.Now();
      if (now >= next_forget_) {
        forget = true;
        next_forget_ = now + kForgetInterval;
      }
    }
    auto decided = DecideDue();
    if (!decided.ok()) continue;  // logged; the traces are requeued
    if (forget) {
      absl::Status s = store_.ForgetDecisions(clock_.Now() - options_.sampling.decision_cache_ttl);
      if (!s.ok())
        spdlog::warn("tail sampling: cannot expire old decisions: {}", std::string(s.message()));
    }
  }
}

}  // namespace spanvault::sampling
