#pragma once

// JsonWriter: JSON text appended straight to a std::string, byte for byte as nlohmann::json's
// dump(indent, ' ', false, error_handler_t::replace) prints the same document, without
// building the document first (query/jaeger_trace_text.h renders whole traces with it).

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"

namespace spanvault {

// Appends `s` to `out` escaped as a JSON string body (no quotes), as nlohmann's dump() does with
// ensure_ascii off and error_handler_t::replace: `"` `\` and \b \f \n \r \t by their short
// escapes, other bytes below 0x20 as \u00xx, well-formed UTF-8 (and DEL) as is; each maximal
// ill-formed subsequence becomes one U+FFFD.
void AppendJsonEscaped(std::string_view s, std::string& out);

// Writes one JSON value: objects, arrays and scalars in document order. An object's keys must
// come in the order nlohmann::json prints them (std::map order: byte-wise ascending); the
// writer does not sort them. Not thread-safe; owned by one thread.
class JsonWriter {
 public:
  // Appends to `out`, which must outlive the writer. `indent` < 0 is compact, as dump(-1);
  // otherwise pretty-printed with `indent` spaces per level, as dump(indent).
  explicit JsonWriter(std::string& out, int indent = -1) : out_(out), indent_(indent) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // The next member's key; its value follows.
  void Key(std::string_view key);

  void String(std::string_view s);
  // A string of the lowercase hex digits of `bytes`, left-padded with '0' to `min_digits`.
  void HexString(std::string_view bytes, size_t min_digits = 0);
  void Int(int64_t i);
  void Uint(uint64_t u);
  // Shortest round-trip form as nlohmann prints it (Grisu2: "0.25", "1.0", "1e+20"); NaN and
  // infinities as null.
  void Double(double d);
  void Bool(bool b);
  void Null();

 private:
  // The comma, newline and indentation due before a value or key.
  void BeforeValue();
  void Close(char bracket);
  void NewLine(size_t depth);

  std::string& out_;
  const int indent_;
  // Per open container: whether it has a member yet (decides the comma, and "{}" vs "{\n}").
  absl::InlinedVector<bool, 8> has_members_;
  bool after_key_ = false;
};

}  // namespace spanvault
