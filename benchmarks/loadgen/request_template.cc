// Finding and patching the id and timestamp fields of an encoded export request (workload.h).

#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "benchmarks/loadgen/workload.h"

namespace spanvault::bench {
namespace {

// Protobuf wire types.
constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLen = 2;
constexpr int kFixed32 = 5;

// A minimal reader of the protobuf wire format, enough to find fields by number. Hand-written
// because protobuf's reflection gives values, not their offsets in the encoding.
class WireReader {
 public:
  WireReader(std::string_view data, size_t begin, size_t end)
      : data_(data), pos_(begin), end_(end) {}

  bool done() const { return pos_ >= end_; }
  // Reads the next field's key and locates its value: [value_begin, value_end).
  bool Next(int* field, int* wire_type, size_t* value_begin, size_t* value_end) {
    uint64_t key = 0;
    if (!Varint(&key)) return false;
    *field = static_cast<int>(key >> 3);
    *wire_type = static_cast<int>(key & 7);
    uint64_t len = 0;
    switch (*wire_type) {
      case kVarint:
        *value_begin = pos_;
        if (!Varint(&len)) return false;
        break;
      case kFixed64:
        len = 8;
        *value_begin = pos_;
        pos_ += 8;
        break;
      case kFixed32:
        *value_begin = pos_;
        pos_ += 4;
        break;
      case kLen:
        if (!Varint(&len)) return false;
        *value_begin = pos_;
        pos_ += len;
        break;
      default:
        return false;
    }
    *value_end = pos_;
    return pos_ <= end_;
  }

 private:
  bool Varint(uint64_t* out) {
    *out = 0;
    for (int shift = 0; shift < 64 && pos_ < end_; shift += 7) {
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      *out |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }

  std::string_view data_;
  size_t pos_;
  size_t end_;
};

using FieldFn = absl::FunctionRef<absl::Status(int field, int wire_type, size_t begin, size_t end)>;

absl::Status ForEachField(std::string_view data, size_t begin, size_t end, FieldFn fn) {
  WireReader reader(data, begin, end);
  while (!reader.done()) {
    int field = 0, wire_type = 0;
    size_t value_begin = 0, value_end = 0;
    if (!reader.Next(&field, &wire_type, &value_begin, &value_end)) {
      return absl::InvalidArgumentError(absl::StrCat("malformed protobuf at byte ", begin));
    }
    absl::Status s = fn(field, wire_type, value_begin, value_end);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status IndexEvent(RequestTemplate* t, size_t begin, size_t end) {
  return ForEachField(t->bytes, begin, end, [&](int field, int type, size_t b, size_t) {
    if (field == 1 && type == kFixed64) t->time_offsets.push_back(static_cast<uint32_t>(b));
    return absl::OkStatus();
  });
}

// The workload's order ids: "ORD-" and 8 digits (workload.cc).
constexpr std::string_view kOrderIdKey = "order_id";
constexpr std::string_view kOrderIdPrefix = "ORD-";
constexpr size_t kOrderIdDigits = 8;

// Trace ordinals of one request, by trace id, in order of first appearance. The spans of a
// trace are spread over one ResourceSpans per service, so the id is what ties them together.
using TraceOrdinals = absl::flat_hash_map<std::string, uint32_t>;

// The offset of the digits of a KeyValue "order_id" = "ORD-dddddddd", or 0 when [begin, end)
// is another attribute (a KeyValue's digits never start at byte 0 of the request).
size_t OrderIdDigits(std::string_view bytes, size_t begin, size_t end) {
  bool is_order_id = false;
  size_t digits = 0;
  absl::Status s = ForEachField(bytes, begin, end, [&](int field, int type, size_t b, size_t e) {
    if (field == 1 && type == kLen) is_order_id = bytes.substr(b, e - b) == kOrderIdKey;
    if (field != 2 || type != kLen) return absl::OkStatus();
    return ForEachField(bytes, b, e, [&](int f, int t, size_t vb, size_t ve) {
      std::string_view v = bytes.substr(vb, ve - vb);
      if (f == 1 && t == kLen && v.size() == kOrderIdPrefix.size() + kOrderIdDigits &&
          v.substr(0, kOrderIdPrefix.size()) == kOrderIdPrefix) {
        digits = vb + kOrderIdPrefix.size();
      }
      return absl::OkStatus();
    });
  });
  return s.ok() && is_order_id ? digits : 0;
}

absl::Status IndexSpan(RequestTemplate* t, TraceOrdinals* traces, size_t begin, size_t end) {
  ++t->span_count;
  std::string trace_id;
  std::vector<uint32_t> order_ids;
  absl::Status s = ForEachField(t->bytes, begin, end, [&](int field, int type, size_t b, size_t e) {
    auto at = static_cast<uint32_t>(b);
    if (field == 1 && type == kLen && e - b == 16) {
      t->trace_id_offsets.push_back(at);
      trace_id = t->bytes.substr(b, e - b);
    }
    if ((field == 2 || field == 4) && type == kLen && e - b == 8) t->span_id_offsets.push_back(at);
    if ((field == 7 || field == 8) && type == kFixed64) t->time_offsets.push_back(at);
    if (field == 9 && type == kLen) {
      if (size_t digits = OrderIdDigits(t->bytes, b, e)) {
        order_ids.push_back(static_cast<uint32_t>(digits));
      }
    }
    if (field == 11 && type == kLen) return IndexEvent(t, b, e);
    return absl::OkStatus();
  });
  const uint32_t trace = traces->try_emplace(trace_id, traces->size()).first->second;
  for (uint32_t offset : order_ids) t->order_ids.push_back({offset, trace});
  return s;
}

absl::Status IndexScopeSpans(RequestTemplate* t, TraceOrdinals* traces, size_t begin, size_t end) {
  return ForEachField(t->bytes, begin, end, [&](int field, int type, size_t b, size_t e) {
    return field == 2 && type == kLen ? IndexSpan(t, traces, b, e) : absl::OkStatus();
  });
}

absl::Status IndexResourceSpans(RequestTemplate* t, TraceOrdinals* traces, size_t begin,
                                size_t end) {
  return ForEachField(t->bytes, begin, end, [&](int field, int type, size_t b, size_t e) {
    return field == 2 && type == kLen ? IndexScopeSpans(t, traces, b, e) : absl::OkStatus();
  });
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void XorAt(std::string* out, uint32_t offset, uint64_t mask) {
  uint64_t v;
  std::memcpy(&v, out->data() + offset, 8);
  v ^= mask;
  if (v == 0) v = 1;  // an all-zero id is invalid; 2^-64 odds, but never send one
  std::memcpy(out->data() + offset, &v, 8);
}

constexpr uint64_t kOrderIdRange = 100'000'000;  // 10^kOrderIdDigits

// Overwrites the kOrderIdDigits decimal digits at `offset` with `number`, zero-padded.
void WriteDigits(std::string* out, uint32_t offset, uint32_t number) {
  for (size_t i = kOrderIdDigits; i-- > 0; number /= 10) {
    (*out)[offset + i] = static_cast<char>('0' + number % 10);
  }
}

}  // namespace

absl::StatusOr<RequestTemplate> IndexRequest(std::string bytes) {
  RequestTemplate t;
  t.bytes = std::move(bytes);
  if (t.bytes.size() > UINT32_MAX) return absl::InvalidArgumentError("request over 4 GiB");
  TraceOrdinals traces;
  absl::Status s =
      ForEachField(t.bytes, 0, t.bytes.size(), [&](int field, int type, size_t b, size_t e) {
        return field == 1 && type == kLen ? IndexResourceSpans(&t, &traces, b, e)
                                          : absl::OkStatus();
      });
  if (!s.ok()) return s;
  t.trace_count = static_cast<int>(traces.size());
  return t;
}

void StampRequest(const RequestTemplate& tmpl, uint64_t seed, uint64_t sequence,
                  int64_t time_shift_nanos, std::string* out) {
  out->assign(tmpl.bytes);
  const uint64_t mask = SplitMix64(seed ^ SplitMix64(sequence));
  // The low 8 bytes of each trace id, and the whole span ids, with one mask: parent span ids
  // change exactly as the span ids they point to.
  for (uint32_t offset : tmpl.trace_id_offsets) XorAt(out, offset + 8, mask);
  for (uint32_t offset : tmpl.span_id_offsets) XorAt(out, offset, mask);
  for (uint32_t offset : tmpl.time_offsets) {
    uint64_t t;
    std::memcpy(&t, out->data() + offset, 8);  // fixed64 is little-endian, as is x86-64
    t += static_cast<uint64_t>(time_shift_nanos);
    std::memcpy(out->data() + offset, &t, 8);
  }
  for (const OrderIdField& field : tmpl.order_ids) {
    WriteDigits(out, field.offset, OrderIdNumber(seed, sequence, tmpl.span_count, field.trace));
  }
}

uint32_t OrderIdNumber(uint64_t seed, uint64_t sequence, int spans_per_request, uint32_t trace) {
  // Salted ("order1") so the start is not the id mask of some sequence number.
  const uint64_t start = SplitMix64(seed ^ 0x6f7264657231ull) % kOrderIdRange;
  const uint64_t n = start + sequence * static_cast<uint64_t>(spans_per_request) + trace;
  return static_cast<uint32_t>(n % kOrderIdRange);
}

absl::StatusOr<RequestPool> RequestPool::Create(const WorkloadOptions& options) {
  absl::Status valid = options.Validate();
  if (!valid.ok()) return valid;
  RequestPool pool;
  pool.seed_ = options.seed;
  pool.base_unix_nano_ = options.base_unix_nano;
  pool.spans_per_request_ = options.spans_per_request;
  for (const ExportRequest& request : BuildRequests(options)) {
    auto t = IndexRequest(request.SerializeAsString());
    if (!t.ok()) return t.status();
    pool.templates_.push_back(std::move(*t));
  }
  return pool;
}

void RequestPool::Make(uint64_t sequence, uint64_t now_unix_nano, std::string* out) const {
  const RequestTemplate& t = templates_[sequence % templates_.size()];
  StampRequest(t, seed_, sequence, static_cast<int64_t>(now_unix_nano - base_unix_nano_), out);
}

double RequestPool::bytes_per_span() const {
  double bytes = 0, spans = 0;
  for (const auto& t : templates_) {
    bytes += static_cast<double>(t.bytes.size());
    spans += t.span_count;
  }
  return spans > 0 ? bytes / spans : 0;
}

}  // namespace spanvault::bench
