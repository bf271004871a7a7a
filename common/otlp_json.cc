#include "common/otlp_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"

// OTLP/JSON is mapped by hand rather than with protobuf's JsonStringToMessage: proto3 JSON reads
// `bytes` as base64, and a 32-digit hex trace id is also valid base64, so ids would silently
// decode to garbage. The mapping also has to accept the quirks real senders emit (see header).

namespace spanvault {
namespace {

using Json = nlohmann::json;
using JsonType = Json::value_t;

// Deepest AnyValue nesting accepted (an attribute's own value is level 1). Protobuf parses at
// most 100 nested messages and every kvlist level costs three (AnyValue, KeyValueList,
// KeyValue): 32 levels of kvlists in an event attribute still parse as an
// ExportTraceServiceRequest and as a stored span record, one more does not. A deeper value
// accepted here would be acknowledged and then never read back.
constexpr int kMaxAnyValueDepth = 32;
// nlohmann parses and destroys iteratively, but copying, comparing and dumping a DOM recurse, so
// bound the nesting before building one. A legal request stays under ~270 levels: about 12 levels
// down to an event attribute's value, then 4 per kvlist level for 64 AnyValue levels.
constexpr int kMaxJsonDepth = 512;

constexpr size_t kTraceIdDigits = 32;
constexpr size_t kSpanIdDigits = 16;

// Debian's absl::string_view is not std::string_view.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// ---------------------------------------------------------------------------------------------
// Decoding: paths and scalar conversions.

// Where a value sits in the document, e.g. `resourceSpans[0].scopeSpans[1].spans[3].traceId`.
// A chain of stack frames, rendered only when an error needs it; each Path must outlive the
// paths made from it. Thread-compatible.
class Path {
 public:
  Path() = default;
  Path Child(std::string_view key) const { return Path(this, key, 0, false); }
  Path Index(size_t index) const { return Path(this, {}, index, true); }
  std::string ToString() const;

 private:
  Path(const Path* parent, std::string_view key, size_t index, bool is_index)
      : parent_(parent), key_(key), index_(index), is_index_(is_index) {}

  const Path* parent_ = nullptr;
  std::string_view key_;
  size_t index_ = 0;
  bool is_index_ = false;
};

std::string Path::ToString() const {
  std::vector<const Path*> chain;
  for (const Path* p = this; p->parent_ != nullptr; p = p->parent_) chain.push_back(p);
  if (chain.empty()) return "top level";
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if ((*it)->is_index_) {
      absl::StrAppend(&out, "[", (*it)->index_, "]");
    } else {
      absl::StrAppend(&out, out.empty() ? "" : ".", Absl((*it)->key_));
    }
  }
  return out;
}

absl::Status PathError(const Path& path, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path.ToString(), ": ", Absl(message)));
}

// Echoes a value from the request in an error message, shortened so the message stays small.
std::string Quote(std::string_view value) {
  constexpr size_t kMaxEcho = 64;
  if (value.size() <= kMaxEcho) return absl::StrCat("\"", Absl(value), "\"");
  return absl::StrCat("\"", Absl(value.substr(0, kMaxEcho)), "...\"");
}

absl::Status TypeError(const Path& path, std::string_view expected, const Json& got) {
  return PathError(path, absl::StrCat("expected ", Absl(expected), ", got ", got.type_name()));
}

absl::Status Convert(const Json& j, const Path& path, std::string* out) {
  if (!j.is_string()) return TypeError(path, "a string", j);
  *out = j.get_ref<const std::string&>();
  return absl::OkStatus();
}

absl::Status Convert(const Json& j, const Path& path, bool* out) {
  if (!j.is_boolean()) return TypeError(path, "a boolean", j);
  *out = j.get<bool>();
  return absl::OkStatus();
}

template <typename T, typename V>
absl::Status Narrow(V v, const Path& path, T* out) {
  if (!std::in_range<T>(v)) return PathError(path, absl::StrCat(v, " is out of range"));
  *out = static_cast<T>(v);
  return absl::OkStatus();
}

template <typename T>
absl::Status FloatToInteger(double d, const Path& path, T* out) {
  if (!std::isfinite(d) || d != std::trunc(d)) {
    return PathError(path, absl::StrCat("must be an integer, got ", d));
  }
  // Every integral double in [lo, hi) converts exactly.
  const double hi = std::ldexp(1.0, std::numeric_limits<T>::digits);
  const double lo = std::is_signed_v<T> ? -hi : 0.0;
  if (d < lo || d >= hi) return PathError(path, absl::StrCat(d, " is out of range"));
  *out = static_cast<T>(d);
  return absl::OkStatus();
}

template <typename T>
absl::Status StringToInteger(const std::string& s, const Path& path, T* out) {
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || end != s.data() + s.size() || ec == std::errc::invalid_argument) {
    return PathError(path, absl::StrCat("expected an integer, got ", Quote(s)));
  }
  if (ec != std::errc()) return PathError(path, absl::StrCat(Quote(s), " is out of range"));
  *out = value;
  return absl::OkStatus();
}

// Accepts JSON numbers and decimal strings, as proto3 JSON does for 64-bit integers.
template <typename T>
absl::Status ToInteger(const Json& j, const Path& path, T* out) {
  switch (j.type()) {
    case JsonType::number_unsigned:
      return Narrow(j.get<uint64_t>(), path, out);
    case JsonType::number_integer:
      return Narrow(j.get<int64_t>(), path, out);
    case JsonType::number_float:
      return FloatToInteger(j.get<double>(), path, out);
    case JsonType::string:
      return StringToInteger(j.get_ref<const std::string&>(), path, out);
    default:
      return TypeError(path, "an integer (number or decimal string)", j);
  }
}

absl::Status StringToDouble(const std::string& s, const Path& path, double* out) {
  if (s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (s == "Infinity" || s == "-Infinity") {
    *out = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity();
  } else {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
      return PathError(path, absl::StrCat("expected a number, got ", Quote(s)));
    }
  }
  return absl::OkStatus();
}

absl::Status Convert(const Json& j, const Path& path, double* out) {
  if (j.is_number()) {
    *out = j.get<double>();
    return absl::OkStatus();
  }
  if (j.is_string()) return StringToDouble(j.get_ref<const std::string&>(), path, out);
  return TypeError(path, "a number", j);
}

// An enum as an integer (any int32: proto3 enums are open) or as its value name.
absl::Status ToEnum(const Json& j, const Path& path, const google::protobuf::EnumDescriptor& type,
                    int* out) {
  if (!j.is_string()) {
    if (!j.is_number()) return TypeError(path, absl::StrCat(type.name(), " name or integer"), j);
    return ToInteger(j, path, out);
  }
  const std::string& name = j.get_ref<const std::string&>();
  const google::protobuf::EnumValueDescriptor* value = type.FindValueByName(name);
  if (value == nullptr) {
    return PathError(path, absl::StrCat("unknown ", type.name(), " ", Quote(name)));
  }
  *out = value->number();
  return absl::OkStatus();
}

// Integers and protobuf enums; strings, booleans and doubles have overloads of their own.
template <typename T>
absl::Status Convert(const Json& j, const Path& path, T* out) {
  if constexpr (std::is_enum_v<T>) {
    int value = 0;
    SV_RETURN_IF_ERROR(ToEnum(j, path, *google::protobuf::GetEnumDescriptor<T>(), &value));
    *out = static_cast<T>(value);
    return absl::OkStatus();
  } else {
    return ToInteger(j, path, out);
  }
}

// OTLP/JSON ids are hex (either case). `digits` is the required length; `allow_empty` lets an
// empty string through for the receiver's validator to judge.
absl::Status ToId(const Json& j, const Path& path, size_t digits, bool allow_empty,
                  std::string* out) {
  if (!j.is_string()) return TypeError(path, "a hex string", j);
  const std::string& hex = j.get_ref<const std::string&>();
  if (hex.empty() && allow_empty) {
    out->clear();
    return absl::OkStatus();
  }
  if (hex.size() != digits) {
    return PathError(path, absl::StrCat("must be ", digits, " hex digits, got ", hex.size()));
  }
  absl::StatusOr<std::string> bytes = HexToBytes(hex, "id");
  if (!bytes.ok()) return PathError(path, std::string(bytes.status().message()));
  *out = *std::move(bytes);
  return absl::OkStatus();
}

// Standard base64; URL-safe base64 and missing padding are accepted too.
absl::Status ToBytes(const Json& j, const Path& path, std::string* out) {
  if (!j.is_string()) return TypeError(path, "a base64 string", j);
  const std::string& text = j.get_ref<const std::string&>();
  const bool web_safe = text.find_first_of("-_") != std::string::npos;
  const bool ok =
      web_safe ? absl::WebSafeBase64Unescape(text, out) : absl::Base64Unescape(text, out);
  if (!ok) return PathError(path, "is not valid base64");
  return absl::OkStatus();
}

// Rejects nesting deeper than kMaxJsonDepth before a DOM is built. Brackets inside strings do not
// count; malformed text is left for the parser to reject.
absl::Status CheckJsonDepth(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '"' && !escaped) in_string = false;
      escaped = !escaped && c == '\\';
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return absl::InvalidArgumentError(absl::StrCat("invalid JSON: nesting is deeper than ",
                                                       kMaxJsonDepth, " levels at byte ", i));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Decoding: objects.

// Reads the fields of one JSON object. Absent and null fields are skipped, leaving the output
// untouched; every error names the path of the offending value. Keys are looked up in
// lowerCamelCase, then in snake_case. Borrows the object and path. Thread-compatible.
class ObjectReader {
 public:
  using ObjectFn = absl::FunctionRef<absl::Status(const ObjectReader&)>;
  using ValueFn = absl::FunctionRef<absl::Status(const Json&, const Path&)>;

  // `object` must be a JSON object.
  ObjectReader(const Json& object, const Path& path) : object_(object), path_(path) {}

  const Path& path() const { return path_; }
  bool Has(std::string_view key) const { return Find(key) != object_.end(); }

  // Calls `fn` with the field's value and path when the field is present.
  absl::Status Field(std::string_view key, ValueFn fn) const;
  // Calls `fn` on the field when it is present, after checking that it is an object.
  absl::Status Object(std::string_view key, ObjectFn fn) const;
  // Calls `fn` on each element of the field, after checking that it is an array of objects.
  absl::Status Objects(std::string_view key, ObjectFn fn) const;

  absl::Status String(std::string_view key, std::string* out) const {
    return Field(key, [&](const Json& j, const Path& p) { return Convert(j, p, out); });
  }
  // Converts the field to the setter's type and calls `(message->*setter)(value)`.
  template <typename Message, typename T>
  absl::Status Set(std::string_view key, Message* message, void (Message::*setter)(T)) const {
    return Field(key, [&](const Json& j, const Path& p) {
      T value{};
      SV_RETURN_IF_ERROR(Convert(j, p, &value));
      (message->*setter)(value);
      return absl::OkStatus();
    });
  }
  absl::Status Id(std::string_view key, size_t digits, bool allow_empty, std::string* out) const {
    return Field(
        key, [&](const Json& j, const Path& p) { return ToId(j, p, digits, allow_empty, out); });
  }

 private:
  Json::const_iterator Find(std::string_view key) const;

  const Json& object_;
  const Path& path_;
};

// Looks `key` up as written (lowerCamelCase) and then in snake_case.
Json::const_iterator ObjectReader::Find(std::string_view key) const {
  auto it = object_.find(key);
  if (it == object_.end()) {
    char snake[64];
    size_t size = 0;
    for (size_t i = 0; i < key.size() && size + 2 <= sizeof(snake); ++i) {
      if (key[i] >= 'A' && key[i] <= 'Z') snake[size++] = '_';
      snake[size++] = static_cast<char>(absl::ascii_tolower(key[i]));
    }
    if (size != key.size()) it = object_.find(std::string_view(snake, size));
  }
  return it != object_.end() && !it->is_null() ? it : object_.end();
}

absl::Status ObjectReader::Field(std::string_view key, ValueFn fn) const {
  auto it = Find(key);
  if (it == object_.end()) return absl::OkStatus();
  const Path path = path_.Child(it.key());
  return fn(*it, path);
}

absl::Status ObjectReader::Object(std::string_view key, ObjectFn fn) const {
  return Field(key, [&](const Json& j, const Path& p) {
    if (!j.is_object()) return TypeError(p, "an object", j);
    return fn(ObjectReader(j, p));
  });
}

absl::Status ObjectReader::Objects(std::string_view key, ObjectFn fn) const {
  return Field(key, [&](const Json& array, const Path& array_path) {
    if (!array.is_array()) return TypeError(array_path, "an array", array);
    for (size_t i = 0; i < array.size(); ++i) {
      const Path path = array_path.Index(i);
      if (!array[i].is_object()) return TypeError(path, "an object", array[i]);
      SV_RETURN_IF_ERROR(fn(ObjectReader(array[i], path)));
    }
    return absl::OkStatus();
  });
}

absl::Status DecodeAnyValue(const ObjectReader& r, int depth, otlp::AnyValue* out);

absl::Status DecodeKeyValue(const ObjectReader& r, int depth, otlp::KeyValue* out) {
  SV_RETURN_IF_ERROR(r.String("key", out->mutable_key()));
  return r.Object("value", [&](const ObjectReader& value) {
    return DecodeAnyValue(value, depth, out->mutable_value());
  });
}

absl::Status DecodeNestedValue(const ObjectReader& r, int depth, otlp::AnyValue* out) {
  SV_RETURN_IF_ERROR(r.Object("arrayValue", [&](const ObjectReader& array) {
    auto* values = out->mutable_array_value()->mutable_values();
    return array.Objects("values", [&](const ObjectReader& v) {
      return DecodeAnyValue(v, depth + 1, values->Add());
    });
  }));
  return r.Object("kvlistValue", [&](const ObjectReader& kvlist) {
    auto* values = out->mutable_kvlist_value()->mutable_values();
    return kvlist.Objects("values", [&](const ObjectReader& kv) {
      return DecodeKeyValue(kv, depth + 1, values->Add());
    });
  });
}

absl::Status DecodeScalarValue(const ObjectReader& r, otlp::AnyValue* out) {
  // mutable_string_value() would select the oneof case, so it is called only when present.
  SV_RETURN_IF_ERROR(r.Field("stringValue", [&](const Json& j, const Path& p) {
    return Convert(j, p, out->mutable_string_value());
  }));
  SV_RETURN_IF_ERROR(r.Set("boolValue", out, &otlp::AnyValue::set_bool_value));
  SV_RETURN_IF_ERROR(r.Set("intValue", out, &otlp::AnyValue::set_int_value));
  SV_RETURN_IF_ERROR(r.Set("doubleValue", out, &otlp::AnyValue::set_double_value));
  return r.Field("bytesValue", [&](const Json& j, const Path& p) {
    return ToBytes(j, p, out->mutable_bytes_value());
  });
}

// `{}` is an unset value. The recursion is bounded by kMaxAnyValueDepth.
absl::Status DecodeAnyValue(const ObjectReader& r, int depth, otlp::AnyValue* out) {
  if (depth > kMaxAnyValueDepth) {
    return PathError(
        r.path(), absl::StrCat("AnyValue nesting is deeper than ", kMaxAnyValueDepth, " levels"));
  }
  int kinds = 0;
  for (std::string_view key : {"stringValue", "boolValue", "intValue", "doubleValue", "arrayValue",
                               "kvlistValue", "bytesValue"}) {
    kinds += r.Has(key) ? 1 : 0;
  }
  if (kinds > 1) return PathError(r.path(), "more than one value kind is set");
  SV_RETURN_IF_ERROR(DecodeScalarValue(r, out));
  return DecodeNestedValue(r, depth, out);
}

absl::Status DecodeStrings(const ObjectReader& r, std::string_view key,
                           google::protobuf::RepeatedPtrField<std::string>* out) {
  return r.Field(key, [&](const Json& array, const Path& array_path) {
    if (!array.is_array()) return TypeError(array_path, "an array", array);
    for (size_t i = 0; i < array.size(); ++i) {
      const Path path = array_path.Index(i);
      SV_RETURN_IF_ERROR(Convert(array[i], path, out->Add()));
    }
    return absl::OkStatus();
  });
}

absl::Status DecodeEntityRef(const ObjectReader& r,
                             opentelemetry::proto::common::v1::EntityRef* out) {
  SV_RETURN_IF_ERROR(r.String("schemaUrl", out->mutable_schema_url()));
  SV_RETURN_IF_ERROR(r.String("type", out->mutable_type()));
  SV_RETURN_IF_ERROR(DecodeStrings(r, "idKeys", out->mutable_id_keys()));
  return DecodeStrings(r, "descriptionKeys", out->mutable_description_keys());
}

// The `attributes` and `droppedAttributesCount` pair several messages share.
template <typename Message>
absl::Status DecodeAttributes(const ObjectReader& r, Message* out) {
  SV_RETURN_IF_ERROR(r.Objects("attributes", [&](const ObjectReader& kv) {
    return DecodeKeyValue(kv, 1, out->add_attributes());
  }));
  return r.Set("droppedAttributesCount", out, &Message::set_dropped_attributes_count);
}

absl::Status DecodeResource(const ObjectReader& r, otlp::Resource* out) {
  SV_RETURN_IF_ERROR(DecodeAttributes(r, out));
  return r.Objects("entityRefs", [&](const ObjectReader& ref) {
    return DecodeEntityRef(ref, out->add_entity_refs());
  });
}

absl::Status DecodeScope(const ObjectReader& r, otlp::Scope* out) {
  SV_RETURN_IF_ERROR(r.String("name", out->mutable_name()));
  SV_RETURN_IF_ERROR(r.String("version", out->mutable_version()));
  return DecodeAttributes(r, out);
}

absl::Status DecodeEvent(const ObjectReader& r, otlp::Span::Event* out) {
  SV_RETURN_IF_ERROR(r.Set("timeUnixNano", out, &otlp::Span::Event::set_time_unix_nano));
  SV_RETURN_IF_ERROR(r.String("name", out->mutable_name()));
  return DecodeAttributes(r, out);
}

// Unlike a span's, a link's ids must be complete: nothing downstream validates them.
absl::Status DecodeLink(const ObjectReader& r, otlp::Span::Link* out) {
  SV_RETURN_IF_ERROR(
      r.Id("traceId", kTraceIdDigits, /*allow_empty=*/false, out->mutable_trace_id()));
  SV_RETURN_IF_ERROR(r.Id("spanId", kSpanIdDigits, /*allow_empty=*/false, out->mutable_span_id()));
  if (out->trace_id().empty() || out->span_id().empty()) {
    return PathError(r.path(), "a link needs a traceId and a spanId");
  }
  SV_RETURN_IF_ERROR(r.String("traceState", out->mutable_trace_state()));
  SV_RETURN_IF_ERROR(r.Set("flags", out, &otlp::Span::Link::set_flags));
  return DecodeAttributes(r, out);
}

absl::Status DecodeStatus(const ObjectReader& r, otlp::Status* out) {
  SV_RETURN_IF_ERROR(r.String("message", out->mutable_message()));
  return r.Set("code", out, &otlp::Status::set_code);
}

absl::Status DecodeSpanNumbers(const ObjectReader& r, otlp::Span* out) {
  using Span = otlp::Span;
  SV_RETURN_IF_ERROR(r.Set("flags", out, &Span::set_flags));
  SV_RETURN_IF_ERROR(r.Set("kind", out, &Span::set_kind));
  SV_RETURN_IF_ERROR(r.Set("startTimeUnixNano", out, &Span::set_start_time_unix_nano));
  SV_RETURN_IF_ERROR(r.Set("endTimeUnixNano", out, &Span::set_end_time_unix_nano));
  SV_RETURN_IF_ERROR(r.Set("droppedEventsCount", out, &Span::set_dropped_events_count));
  return r.Set("droppedLinksCount", out, &Span::set_dropped_links_count);
}

// Empty and all-zero span ids pass: the receiver's validator rejects those spans one by one and
// reports them as a partial success.
absl::Status DecodeSpan(const ObjectReader& r, otlp::Span* out) {
  SV_RETURN_IF_ERROR(
      r.Id("traceId", kTraceIdDigits, /*allow_empty=*/true, out->mutable_trace_id()));
  SV_RETURN_IF_ERROR(r.Id("spanId", kSpanIdDigits, /*allow_empty=*/true, out->mutable_span_id()));
  SV_RETURN_IF_ERROR(
      r.Id("parentSpanId", kSpanIdDigits, /*allow_empty=*/true, out->mutable_parent_span_id()));
  SV_RETURN_IF_ERROR(r.String("traceState", out->mutable_trace_state()));
  SV_RETURN_IF_ERROR(r.String("name", out->mutable_name()));
  SV_RETURN_IF_ERROR(DecodeSpanNumbers(r, out));
  SV_RETURN_IF_ERROR(DecodeAttributes(r, out));
  SV_RETURN_IF_ERROR(r.Objects(
      "events", [&](const ObjectReader& event) { return DecodeEvent(event, out->add_events()); }));
  SV_RETURN_IF_ERROR(r.Objects(
      "links", [&](const ObjectReader& link) { return DecodeLink(link, out->add_links()); }));
  return r.Object("status", [&](const ObjectReader& status) {
    return DecodeStatus(status, out->mutable_status());
  });
}

// `instrumentationLibrary` is the pre-v0.15 name of `scope`.
absl::Status DecodeScopeSpans(const ObjectReader& r, otlp::ScopeSpans* out) {
  const std::string_view scope_key = r.Has("scope") ? "scope" : "instrumentationLibrary";
  SV_RETURN_IF_ERROR(r.Object(scope_key, [&](const ObjectReader& scope) {
    return DecodeScope(scope, out->mutable_scope());
  }));
  SV_RETURN_IF_ERROR(r.Objects(
      "spans", [&](const ObjectReader& span) { return DecodeSpan(span, out->add_spans()); }));
  return r.String("schemaUrl", out->mutable_schema_url());
}

// `instrumentationLibrarySpans` is the pre-v0.15 name of `scopeSpans`.
absl::Status DecodeResourceSpans(const ObjectReader& r, otlp::ResourceSpans* out) {
  SV_RETURN_IF_ERROR(r.Object("resource", [&](const ObjectReader& resource) {
    return DecodeResource(resource, out->mutable_resource());
  }));
  const std::string_view scope_spans_key =
      r.Has("scopeSpans") ? "scopeSpans" : "instrumentationLibrarySpans";
  SV_RETURN_IF_ERROR(r.Objects(scope_spans_key, [&](const ObjectReader& scope_spans) {
    return DecodeScopeSpans(scope_spans, out->add_scope_spans());
  }));
  return r.String("schemaUrl", out->mutable_schema_url());
}

absl::Status DecodeRequest(const Json& root, ExportRequest* out) {
  const Path path;
  if (!root.is_object()) return TypeError(path, "an object", root);
  const ObjectReader r(root, path);
  return r.Objects("resourceSpans", [&](const ObjectReader& resource_spans) {
    return DecodeResourceSpans(resource_spans, out->add_resource_spans());
  });
}

// ---------------------------------------------------------------------------------------------
// Encoding.

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void PutString(Json& obj, std::string_view key, const std::string& value) {
  if (!value.empty()) obj[key] = value;
}

void PutNumber(Json& obj, std::string_view key, uint64_t value) {
  if (value != 0) obj[key] = value;
}

// proto3 JSON writes 64-bit integers as decimal strings.
void PutInt64String(Json& obj, std::string_view key, uint64_t value) {
  if (value != 0) obj[key] = absl::StrCat(value);
}

void PutId(Json& obj, std::string_view key, const std::string& bytes) {
  if (!bytes.empty()) obj[key] = BytesToHex(bytes);
}

Json DoubleToJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

Json KeyValuesToJson(const otlp::Attributes& kvs);

Json AnyValueToJson(const otlp::AnyValue& value) {
  switch (value.value_case()) {
    case otlp::AnyValue::kStringValue:
      return {{"stringValue", value.string_value()}};
    case otlp::AnyValue::kBoolValue:
      return {{"boolValue", value.bool_value()}};
    case otlp::AnyValue::kIntValue:
      return {{"intValue", absl::StrCat(value.int_value())}};
    case otlp::AnyValue::kDoubleValue:
      return {{"doubleValue", DoubleToJson(value.double_value())}};
    case otlp::AnyValue::kBytesValue:
      return {{"bytesValue", Base64Encode(value.bytes_value())}};
    case otlp::AnyValue::kArrayValue: {
      Json values = Json::array();
      for (const auto& v : value.array_value().values()) values.push_back(AnyValueToJson(v));
      return {{"arrayValue", {{"values", std::move(values)}}}};
    }
    case otlp::AnyValue::kKvlistValue:
      return {{"kvlistValue", {{"values", KeyValuesToJson(value.kvlist_value().values())}}}};
    default:
      return Json::object();
  }
}

Json KeyValuesToJson(const otlp::Attributes& kvs) {
  Json out = Json::array();
  for (const auto& kv : kvs) {
    Json item = Json::object();
    PutString(item, "key", kv.key());
    if (kv.has_value()) item["value"] = AnyValueToJson(kv.value());
    out.push_back(std::move(item));
  }
  return out;
}

template <typename Message>
void PutAttributes(Json& obj, const Message& message) {
  if (!message.attributes().empty()) obj["attributes"] = KeyValuesToJson(message.attributes());
  PutNumber(obj, "droppedAttributesCount", message.dropped_attributes_count());
}

template <typename Repeated, typename Fn>
void PutArray(Json& obj, std::string_view key, const Repeated& items, Fn to_json) {
  if (items.empty()) return;
  Json array = Json::array();
  for (const auto& item : items) array.push_back(to_json(item));
  obj[key] = std::move(array);
}

Json EntityRefToJson(const opentelemetry::proto::common::v1::EntityRef& ref) {
  Json out = Json::object();
  PutString(out, "schemaUrl", ref.schema_url());
  PutString(out, "type", ref.type());
  PutArray(out, "idKeys", ref.id_keys(), [](const std::string& s) { return Json(s); });
  PutArray(out, "descriptionKeys", ref.description_keys(),
           [](const std::string& s) { return Json(s); });
  return out;
}

Json ResourceToJson(const otlp::Resource& resource) {
  Json out = Json::object();
  PutAttributes(out, resource);
  PutArray(out, "entityRefs", resource.entity_refs(), EntityRefToJson);
  return out;
}

Json ScopeToJson(const otlp::Scope& scope) {
  Json out = Json::object();
  PutString(out, "name", scope.name());
  PutString(out, "version", scope.version());
  PutAttributes(out, scope);
  return out;
}

Json EventToJson(const otlp::Span::Event& event) {
  Json out = Json::object();
  PutInt64String(out, "timeUnixNano", event.time_unix_nano());
  PutString(out, "name", event.name());
  PutAttributes(out, event);
  return out;
}

Json LinkToJson(const otlp::Span::Link& link) {
  Json out = Json::object();
  PutId(out, "traceId", link.trace_id());
  PutId(out, "spanId", link.span_id());
  PutString(out, "traceState", link.trace_state());
  PutAttributes(out, link);
  PutNumber(out, "flags", link.flags());
  return out;
}

Json StatusToJson(const otlp::Status& status) {
  Json out = Json::object();
  PutString(out, "message", status.message());
  if (status.code() != 0) out["code"] = static_cast<int>(status.code());
  return out;
}

// Like the Go collector, `status` is always written, even when empty.
Json SpanToJson(const otlp::Span& span) {
  Json out = Json::object();
  PutId(out, "traceId", span.trace_id());
  PutId(out, "spanId", span.span_id());
  PutString(out, "traceState", span.trace_state());
  PutId(out, "parentSpanId", span.parent_span_id());
  PutNumber(out, "flags", span.flags());
  PutString(out, "name", span.name());
  if (span.kind() != 0) out["kind"] = static_cast<int>(span.kind());
  PutInt64String(out, "startTimeUnixNano", span.start_time_unix_nano());
  PutInt64String(out, "endTimeUnixNano", span.end_time_unix_nano());
  PutAttributes(out, span);
  PutArray(out, "events", span.events(), EventToJson);
  PutNumber(out, "droppedEventsCount", span.dropped_events_count());
  PutArray(out, "links", span.links(), LinkToJson);
  PutNumber(out, "droppedLinksCount", span.dropped_links_count());
  out["status"] = StatusToJson(span.status());
  return out;
}

Json ScopeSpansToJson(const otlp::ScopeSpans& scope_spans) {
  Json out = Json::object();
  if (scope_spans.has_scope()) out["scope"] = ScopeToJson(scope_spans.scope());
  PutArray(out, "spans", scope_spans.spans(), SpanToJson);
  PutString(out, "schemaUrl", scope_spans.schema_url());
  return out;
}

Json ResourceSpansToJson(const otlp::ResourceSpans& resource_spans) {
  Json out = Json::object();
  if (resource_spans.has_resource()) out["resource"] = ResourceToJson(resource_spans.resource());
  PutArray(out, "scopeSpans", resource_spans.scope_spans(), ScopeSpansToJson);
  PutString(out, "schemaUrl", resource_spans.schema_url());
  return out;
}

}  // namespace

absl::Status DecodeOtlpJson(std::string_view json, ExportRequest* out) {
  out->Clear();
  SV_RETURN_IF_ERROR(CheckJsonDepth(json));
  Json root;
  try {
    root = Json::parse(json.begin(), json.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  }
  absl::Status status;
  try {
    status = DecodeRequest(root, out);
  } catch (const Json::exception& e) {
    // Not expected: every access is type-checked first. Kept so no exception can escape.
    status = absl::InvalidArgumentError(absl::StrCat("invalid OTLP/JSON: ", e.what()));
  }
  if (!status.ok()) out->Clear();
  return status;
}

nlohmann::json TracesDataToJson(const otlp::TracesData& data) {
  Json out = Json::object();
  Json resource_spans = Json::array();
  for (const auto& rs : data.resource_spans()) resource_spans.push_back(ResourceSpansToJson(rs));
  out["resourceSpans"] = std::move(resource_spans);
  return out;
}

std::string ExportResponseToJson(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse& response) {
  Json out = Json::object();
  if (response.has_partial_success()) {
    const auto& partial = response.partial_success();
    Json partial_json = Json::object();
    if (partial.rejected_spans() != 0) {
      partial_json["rejectedSpans"] = absl::StrCat(partial.rejected_spans());
    }
    if (!partial.error_message().empty()) partial_json["errorMessage"] = partial.error_message();
    if (!partial_json.empty()) out["partialSuccess"] = std::move(partial_json);
  }
  return Dump(out);
}

std::string RpcStatusToJson(const google::rpc::Status& status) {
  Json out = Json::object();
  out["code"] = status.code();
  out["message"] = status.message();
  return Dump(out);
}

}  // namespace spanvault
