#pragma once

// Building traces with typed attributes for the sampling tests.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/ids.h"
#include "common/otlp_util.h"
#include "sampling/policy.h"

namespace spanvault::sampling::testing {

inline otlp::AnyValue Str(std::string v) {
  otlp::AnyValue a;
  a.set_string_value(std::move(v));
  return a;
}
inline otlp::AnyValue Int(int64_t v) {
  otlp::AnyValue a;
  a.set_int_value(v);
  return a;
}
inline otlp::AnyValue Bool(bool v) {
  otlp::AnyValue a;
  a.set_bool_value(v);
  return a;
}
inline otlp::AnyValue Double(double v) {
  otlp::AnyValue a;
  a.set_double_value(v);
  return a;
}

using Attrs = std::vector<std::pair<std::string, otlp::AnyValue>>;

inline void AddAttributes(otlp::Attributes* out, const Attrs& attrs) {
  for (const auto& [k, v] : attrs) {
    auto* kv = out->Add();
    kv->set_key(k);
    *kv->mutable_value() = v;
  }
}

// 16 id bytes made from a number (big-endian in the low half).
inline TraceId TestTraceId(uint64_t n) {
  return *TraceId::FromHex(absl::StrFormat("%016x%016x", 0xabcdefull, n));
}

// A trace under construction. Times are milliseconds after kBaseNanos. Spans added to it stay
// valid (protobuf repeated fields hold their elements by pointer).
class TestTrace {
 public:
  static constexpr uint64_t kBaseNanos = 1'700'000'000'000'000'000;

  explicit TestTrace(uint64_t id = 1) : id_(TestTraceId(id)) {}

  // Starts a new resource; later spans go under it.
  TestTrace& Resource(const std::string& service, const Attrs& attrs = {}) {
    rs_ = data_.add_resource_spans();
    AddAttributes(rs_->mutable_resource()->mutable_attributes(), {{"service.name", Str(service)}});
    AddAttributes(rs_->mutable_resource()->mutable_attributes(), attrs);
    rs_->add_scope_spans()->mutable_scope()->set_name("test");
    return *this;
  }

  // A span [start_ms, start_ms + duration_ms) with a parent unless `root`.
  otlp::Span& Span(double start_ms = 0, double duration_ms = 1, bool root = false,
                   const Attrs& attrs = {}) {
    if (rs_ == nullptr) Resource("svc");
    otlp::Span* span = rs_->mutable_scope_spans(0)->add_spans();
    span->set_trace_id(std::string(id_.bytes()));
    span->set_span_id(std::string(7, '\1') + static_cast<char>(++spans_));
    if (!root) span->set_parent_span_id(std::string(8, '\1'));
    span->set_name("op");
    const auto start = kBaseNanos + static_cast<uint64_t>(start_ms * 1e6);
    span->set_start_time_unix_nano(start);
    span->set_end_time_unix_nano(start + static_cast<uint64_t>(duration_ms * 1e6));
    AddAttributes(span->mutable_attributes(), attrs);
    return *span;
  }

  otlp::Span& SpanWith(const Attrs& attrs) { return Span(0, 1, false, attrs); }

  const TraceId& id() const { return id_; }
  const otlp::TracesData& data() const { return data_; }
  TraceView View() const { return TraceView(id_, data_); }

 private:
  TraceId id_;
  otlp::TracesData data_;
  otlp::ResourceSpans* rs_ = nullptr;
  int spans_ = 0;
};

inline void SetStatus(otlp::Span& span, otlp::Status::StatusCode code) {
  span.mutable_status()->set_code(code);
}

}  // namespace spanvault::sampling::testing
