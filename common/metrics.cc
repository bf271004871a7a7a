#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace spanvault {
namespace {

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  return ec == std::errc() ? std::string(buf, end) : absl::StrFormat("%.17g", v);
}

// `{a="x",b="y"}` with an optional extra label, or "" when there are no labels.
std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"", EscapeLabelValue(values[i]),
                    "\"");
  }
  if (!extra_name.empty()) {
    absl::StrAppend(&out, out.empty() ? "" : ",", extra_name, "=\"", extra_value, "\"");
  }
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

void AppendHeader(std::string* out, const std::string& name, const std::string& help,
                  const char* type) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

CounterFamily& MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  counters_.push_back(std::make_unique<CounterFamily>(std::move(name), std::move(help),
                                                      std::move(label_names),
                                                      [] { return std::make_unique<Counter>(); }));
  return *counters_.back();
}

HistogramFamily& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  histograms_.push_back(
      std::make_unique<HistogramFamily>(std::move(name), std::move(help), std::move(label_names),
                                        [bounds] { return std::make_unique<Histogram>(bounds); }));
  return *histograms_.back();
}

void MetricsRegistry::AddGauge(std::string name, std::string help, std::function<double()> read) {
  AddGaugeFamily(std::move(name), std::move(help), {}, [read = std::move(read)] {
    return GaugeSamples{{{}, read()}};
  });
}

void MetricsRegistry::AddGaugeFamily(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     std::function<GaugeSamples()> read) {
  absl::MutexLock lock(&mu_);
  gauges_.push_back(
      Gauge{std::move(name), std::move(help), std::move(label_names), std::move(read)});
}

std::string MetricsRegistry::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const auto& family : counters_) {
    AppendHeader(&out, family->name(), family->help(), "counter");
    family->ForEach([&](const std::vector<std::string>& labels, const Counter& c) {
      absl::StrAppend(&out, family->name(), Labels(family->label_names(), labels), " ",
                      FormatValue(c.Value()), "\n");
    });
  }
  for (const auto& family : histograms_) {
    AppendHeader(&out, family->name(), family->help(), "histogram");
    family->ForEach([&](const std::vector<std::string>& labels, const Histogram& h) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= h.bounds().size(); ++i) {
        cumulative += h.BucketCount(i);
        std::string le = i < h.bounds().size() ? FormatValue(h.bounds()[i]) : "+Inf";
        absl::StrAppend(&out, family->name(), "_bucket",
                        Labels(family->label_names(), labels, "le", le), " ", cumulative, "\n");
      }
      std::string l = Labels(family->label_names(), labels);
      absl::StrAppend(&out, family->name(), "_sum", l, " ", FormatValue(h.Sum()), "\n");
      absl::StrAppend(&out, family->name(), "_count", l, " ", h.Count(), "\n");
    });
  }
  for (const auto& gauge : gauges_) {
    AppendHeader(&out, gauge.name, gauge.help, "gauge");
    for (const auto& [labels, value] : gauge.read()) {
      absl::StrAppend(&out, gauge.name, Labels(gauge.label_names, labels), " ", FormatValue(value),
                      "\n");
    }
  }
  return out;
}

}  // namespace spanvault
