#pragma once

// A small Prometheus metrics registry with the text exposition format (version 0.0.4).
// Debian 12 packages no prometheus-cpp, so this module is the one place that writes it.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace spanvault {

// A monotonically increasing value. Thread-safe (lock-free).
class Counter {
 public:
  void Increment(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed cumulative buckets. Thread-safe (lock-free).
class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  uint64_t BucketCount(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound, not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// A named metric with label dimensions; each label-value tuple is one time series. Thread-safe.
template <typename Series>
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names,
               std::function<std::unique_ptr<Series>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // The series for `label_values` (one per label name), created on first use. The reference
  // stays valid as long as the family.
  Series& With(const std::vector<std::string>& label_values) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto& slot = series_[label_values];
    if (!slot) slot = make_();
    return *slot;
  }

  // Calls `fn(label_values, series)` for every series, in label order.
  template <typename Fn>
  void ForEach(Fn fn) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    for (const auto& [labels, series] : series_) fn(labels, *series);
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  // Constant after construction.
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<Series>()> make_;

  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = MetricFamily<Counter>;
using HistogramFamily = MetricFamily<Histogram>;

// The series of a computed gauge family: label values (one per label name) and the value.
using GaugeSamples = std::vector<std::pair<std::vector<std::string>, double>>;

// Owns every metric of the process and renders them. Thread-safe.
class MetricsRegistry {
 public:
  // Registers a counter family. `name` should end in `_total`. The reference lives as long as
  // the registry.
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names) ABSL_LOCKS_EXCLUDED(mu_);
  // Registers a histogram family with upper bounds `bounds` (ascending; +Inf is implied).
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names, std::vector<double> bounds)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Registers a gauge whose value `read` computes at scrape time (it must be thread-safe).
  void AddGauge(std::string name, std::string help, std::function<double()> read)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Registers a gauge family whose series `read` computes at scrape time (it must be
  // thread-safe and must not call the registry). Each call may return different label values,
  // so series come and go; the caller bounds how many there are.
  void AddGaugeFamily(std::string name, std::string help, std::vector<std::string> label_names,
                      std::function<GaugeSamples()> read) ABSL_LOCKS_EXCLUDED(mu_);

  // The whole registry in the Prometheus text format.
  std::string Render() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Gauge {
    std::string name;
    std::string help;
    std::vector<std::string> label_names;
    std::function<GaugeSamples()> read;
  };

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<CounterFamily>> counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<HistogramFamily>> histograms_ ABSL_GUARDED_BY(mu_);
  std::vector<Gauge> gauges_ ABSL_GUARDED_BY(mu_);
};

// Escapes a label value for the text format (backslash, quote, newline).
std::string EscapeLabelValue(const std::string& value);

}  // namespace spanvault
