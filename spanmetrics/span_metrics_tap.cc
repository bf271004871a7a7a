#include "spanmetrics/span_metrics_tap.h"

#include <algorithm>

#include "common/otlp_util.h"
#include "spanmetrics/aggregate_codec.h"

namespace spanvault::spanmetrics {
namespace {

constexpr size_t kScanPage = 4096;
constexpr absl::Duration kFutureSkew = absl::Minutes(10);
constexpr absl::Duration kRetentionEvery = absl::Hours(1);
// A read that overlaps a flush is retried; flushes come every few seconds, so a read that
// overlaps this many in a row is stuck behind a slow store.
constexpr int kReadAttempts = 5;

absl::Status Busy() {
  return absl::UnavailableError("the span metrics are being written; retry the query");
}

absl::Time Floor(absl::Time t, absl::Duration unit) {
  return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), unit);
}

const char* KindName(int kind) {
  return kind >= 0 && kind < 6 ? kSpanKindNames[kind] : kSpanKindNames[0];
}

std::vector<SpanFacts> FactsOf(const ExportRequest& request) {
  std::vector<SpanFacts> out;
  for (const auto& rs : request.resource_spans()) {
    std::string service = ServiceName(rs.resource());
    for (const auto& ss : rs.scope_spans()) {
      for (const otlp::Span& span : ss.spans()) {
        SpanFacts f;
        f.trace_id = span.trace_id();
        f.span_id = span.span_id();
        f.parent_span_id = span.parent_span_id();
        for (const auto& link : span.links()) f.links.emplace_back(link.trace_id(), link.span_id());
        f.service = service;
        f.name = span.name();
        f.kind = span.kind();
        f.start = absl::FromUnixNanos(static_cast<int64_t>(span.start_time_unix_nano()));
        uint64_t end = std::max(span.end_time_unix_nano(), span.start_time_unix_nano());
        f.duration = absl::Nanoseconds(static_cast<int64_t>(end - span.start_time_unix_nano()));
        f.error = span.status().code() == otlp::Status::STATUS_CODE_ERROR;
        out.push_back(std::move(f));
      }
    }
  }
  return out;
}

// Pages through every entry of `prefix` with a bucket time in [start, end).
absl::Status ScanRange(
    KvStore& store, std::string_view prefix, absl::Time start, absl::Time end,
    const std::function<absl::Status(const std::string&, const std::string&)>& each) {
  // Keys hold whole seconds: round the bounds so [start, end) keeps its meaning.
  absl::Time first = std::max(start, absl::UnixEpoch());
  absl::Time last = absl::UnixEpoch() + absl::Ceil(end - absl::UnixEpoch(), absl::Seconds(1));
  if (last <= first) return absl::OkStatus();
  std::string from = codec::TimeKey(prefix, first);
  std::string stop = codec::TimeKey(prefix, last);
  while (true) {
    auto page = store.ScanPage(std::string(prefix), from, kScanPage);
    if (!page.ok()) return page.status();
    for (const auto& [key, value] : *page) {
      if (key >= stop) return absl::OkStatus();
      absl::Status s = each(key, value);
      if (!s.ok()) return s;
    }
    if (page->size() < kScanPage) return absl::OkStatus();
    from = page->back().first + '\0';
  }
}

}  // namespace

SpanMetricsTap::SpanMetricsTap(SpanMetricsTapOptions options, SpanSink& next, KvStore& store,
                               Clock& clock, MetricsRegistry& metrics)
    : options_(options),
      next_(next),
      store_(store),
      clock_(clock),
      evicted_(metrics.AddCounter("spanvault_spanmetrics_evicted_total",
                                  "Spans (what=span) and children waiting for their parent "
                                  "(what=waiting_child) the dependency tap forgot before they "
                                  "completed a link, by reason (full, expired).",
                                  {"what", "reason"})),
      flush_errors_(metrics
                        .AddCounter("spanvault_spanmetrics_flush_errors_total",
                                    "Failed writes of span-metric aggregates (kept and retried).",
                                    {})
                        .With({})),
      linker_(options.linker) {
  metrics.AddGauge("spanvault_spanmetrics_tracked_spans",
                   "Recent spans the dependency tap remembers as possible parents.",
                   [this] { return tracked_spans_.load(); });
  metrics.AddGauge("spanvault_spanmetrics_waiting_children",
                   "Child spans the dependency tap holds until their parent arrives.",
                   [this] { return waiting_children_.load(); });
}

SpanMetricsTap::~SpanMetricsTap() { static_cast<void>(Shutdown()); }

void SpanMetricsTap::Start() {
  flusher_ = std::thread([this] { FlushLoop(); });
}

absl::Status SpanMetricsTap::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::OkStatus();
    stopped_ = true;
    stopping_ = true;
  }
  if (flusher_.joinable()) flusher_.join();
  return Flush();
}

void SpanMetricsTap::FlushLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.flush_interval);
      if (stopping_) return;
    }
    static_cast<void>(Flush());  // failures are counted and retried
  }
}

void SpanMetricsTap::Consume(SpanBatch batch, SpanSinkDone done) {
  auto facts = std::make_shared<std::vector<SpanFacts>>(FactsOf(batch.request()));
  next_.Consume(std::move(batch),
                [this, facts = std::move(facts), done = std::move(done)](absl::Status s) mutable {
                  // Only acknowledged spans count: a refused batch comes back as a retry.
                  if (s.ok()) Apply(*facts);
                  std::move(done)(std::move(s));
                });
}

void SpanMetricsTap::Apply(const std::vector<SpanFacts>& spans) {
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  for (const SpanFacts& span : spans) AddSpanLocked(span, now);
  tracked_spans_.store(static_cast<double>(linker_.spans()));
  waiting_children_.store(static_cast<double>(linker_.waiting()));
}

void SpanMetricsTap::AddSpanLocked(const SpanFacts& span, absl::Time now) {
  std::vector<Edge> edges;
  linker_.Add(span, now, &edges);
  auto bucket_time = [&](absl::Time t) {
    return t > now + kFutureSkew || t < now - options_.retention ? now : t;
  };
  absl::Time minute = Floor(bucket_time(span.start), absl::Minutes(1));
  MinuteCell& cell = metrics_[{minute, SeriesKey{span.service, span.name, KindName(span.kind)}}];
  cell.calls += 1;
  if (span.error) cell.errors += 1;
  cell.latency.Add(absl::ToDoubleMilliseconds(span.duration));
  for (Edge& edge : edges) {
    absl::Time hour = Floor(bucket_time(edge.time), absl::Hours(1));
    links_[{hour, std::move(edge.parent), std::move(edge.child)}] += 1;
  }
}

void SpanMetricsTap::PublishGaugesLocked() {
  linker_.Expire(clock_.Now());
  const LinkerEvictions& now = linker_.evictions();
  LinkerEvictions& was = published_evictions_;
  auto publish = [&](uint64_t current, uint64_t* published, const char* what, const char* reason) {
    if (current > *published) {
      evicted_.With({what, reason}).Increment(static_cast<double>(current - *published));
    }
    *published = current;
  };
  publish(now.spans_full, &was.spans_full, "span", "full");
  publish(now.spans_expired, &was.spans_expired, "span", "expired");
  publish(now.waiting_full, &was.waiting_full, "waiting_child", "full");
  publish(now.waiting_expired, &was.waiting_expired, "waiting_child", "expired");
  tracked_spans_.store(static_cast<double>(linker_.spans()));
  waiting_children_.store(static_cast<double>(linker_.waiting()));
}

uint64_t SpanMetricsTap::AwaitQuietLocked() {
  bool (*even)(uint64_t*) = [](uint64_t* epoch) { return *epoch % 2 == 0; };
  mu_.Await(absl::Condition(even, &epoch_));
  return epoch_;
}

absl::Status SpanMetricsTap::Flush() {
  absl::Time now = clock_.Now();
  bool retention_due = false;
  MetricDeltas metrics;
  DependencyDeltas links;
  {
    absl::MutexLock lock(&mu_);
    AwaitQuietLocked();
    PublishGaugesLocked();
    ++epoch_;  // odd: writing; reads wait, so they never count a delta twice or not at all
    metrics.swap(metrics_);
    links.swap(links_);
    retention_due = now - last_retention_ >= kRetentionEvery;
    if (retention_due) last_retention_ = now;
  }
  // Only one flush writes at a time (the epoch is odd), so the read-merge-write below loses
  // no update.
  absl::Status s = WriteDeltas(metrics, links);
  if (s.ok() && retention_due) s = DeleteExpired(now);
  absl::MutexLock lock(&mu_);
  if (!s.ok()) {
    flush_errors_.Increment();
    for (auto& [key, cell] : metrics) metrics_[key].Merge(cell);
    for (auto& [key, count] : links) links_[key] += count;
  }
  ++epoch_;  // even: quiet
  return s;
}

absl::Status SpanMetricsTap::WriteDeltas(const MetricDeltas& metrics,
                                         const DependencyDeltas& links) {
  KvWrite write;
  for (const auto& [bucket, delta] : metrics) {
    std::string key = codec::MetricKey(bucket.first, bucket.second);
    auto stored = store_.Get(key);
    if (!stored.ok()) return stored.status();
    MinuteCell cell = delta;
    if (stored->has_value()) {
      auto old = codec::DecodeCell(**stored);
      if (!old.ok()) return old.status();
      cell.Merge(*old);
    }
    write.puts.emplace_back(std::move(key), codec::EncodeCell(cell));
  }
  for (const auto& [bucket, delta] : links) {
    const auto& [hour, parent, child] = bucket;
    std::string key = codec::DependencyKey(hour, parent, child);
    auto stored = store_.Get(key);
    if (!stored.ok()) return stored.status();
    uint64_t count = delta;
    if (stored->has_value()) {
      auto old = codec::DecodeCount(**stored);
      if (!old.ok()) return old.status();
      count += *old;
    }
    write.puts.emplace_back(std::move(key), codec::EncodeCount(count));
  }
  if (write.puts.empty()) return absl::OkStatus();
  return store_.Write(write);
}

absl::Status SpanMetricsTap::DeleteExpired(absl::Time now) {
  absl::Time cutoff = now - options_.retention;
  KvWrite write;
  for (const char* prefix : {codec::kMetricPrefix, codec::kDependencyPrefix}) {
    absl::Status s = ScanRange(store_, prefix, absl::UnixEpoch(), cutoff,
                               [&](const std::string& key, const std::string&) {
                                 write.deletes.push_back(key);
                                 return absl::OkStatus();
                               });
    if (!s.ok()) return s;
  }
  if (write.deletes.empty()) return absl::OkStatus();
  return store_.Write(write);
}

absl::StatusOr<std::vector<DependencyLink>> SpanMetricsTap::GetDependencies(absl::Time start,
                                                                            absl::Time end) {
  absl::Time first = Floor(start, absl::Hours(1));
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    std::map<std::pair<std::string, std::string>, uint64_t> sum;
    uint64_t epoch = 0;
    {
      absl::MutexLock lock(&mu_);
      epoch = AwaitQuietLocked();
      for (const auto& [bucket, count] : links_) {
        const auto& [hour, parent, child] = bucket;
        if (hour >= first && hour < end) sum[{parent, child}] += count;
      }
    }
    absl::Status s = ScanRange(store_, codec::kDependencyPrefix, first, end,
                               [&](const std::string& key, const std::string& value) {
                                 auto link = codec::DecodeDependency(key, value);
                                 if (!link.ok()) return link.status();
                                 sum[{link->parent, link->child}] += link->call_count;
                                 return absl::OkStatus();
                               });
    if (!s.ok()) return s;
    absl::MutexLock lock(&mu_);
    if (epoch_ != epoch) continue;  // a flush moved memory into the store meanwhile
    std::vector<DependencyLink> out;
    for (const auto& [names, count] : sum) out.push_back({names.first, names.second, count});
    return out;
  }
  return Busy();
}

absl::StatusOr<std::vector<MinuteMetrics>> SpanMetricsTap::GetMetrics(
    absl::Time start, absl::Time end, const std::set<std::string>& services,
    const std::set<std::string>& span_kinds) {
  absl::Time first = Floor(start, absl::Minutes(1));
  auto wanted = [&](const SeriesKey& key) {
    return services.contains(key.service) &&
           (span_kinds.empty() || span_kinds.contains(key.span_kind));
  };
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    std::map<std::pair<absl::Time, SeriesKey>, MinuteCell> sum;
    uint64_t epoch = 0;
    {
      absl::MutexLock lock(&mu_);
      epoch = AwaitQuietLocked();
      for (const auto& [bucket, cell] : metrics_) {
        if (bucket.first >= first && bucket.first < end && wanted(bucket.second)) {
          sum[bucket].Merge(cell);
        }
      }
    }
    absl::Status s = ScanRange(store_, codec::kMetricPrefix, first, end,
                               [&](const std::string& key, const std::string& value) {
                                 auto m = codec::DecodeMetric(key, value);
                                 if (!m.ok()) return m.status();
                                 if (wanted(m->key)) sum[{m->minute, m->key}].Merge(m->cell);
                                 return absl::OkStatus();
                               });
    if (!s.ok()) return s;
    absl::MutexLock lock(&mu_);
    if (epoch_ != epoch) continue;
    std::vector<MinuteMetrics> out;
    for (auto& [bucket, cell] : sum) out.push_back({bucket.first, bucket.second, std::move(cell)});
    return out;
  }
  return Busy();
}

}  // namespace spanvault::spanmetrics
