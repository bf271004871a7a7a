#include "query/json_writer.h"

#include <charconv>
#include <cmath>

#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

void AppendAsciiEscape(unsigned char c, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
  }
}

// The length of a well-formed sequence that starts with `lead` and the range of its second
// byte (Unicode Table 3-7, which nlohmann's UTF-8 decoder implements); length 0 for a byte
// that starts none.
struct Utf8Lead {
  size_t length;
  unsigned char low;
  unsigned char high;
};

Utf8Lead LeadOf(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};  // no overlong forms
  if (lead == 0xED) return {3, 0x80, 0x9F};  // no surrogates
  if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};  // no overlong forms
  if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};  // nothing above U+10FFFF
  return {0, 0, 0};
}

// Appends the non-ASCII sequence at s[i] and returns how many bytes it used. Like nlohmann's
// replace handler, a sequence broken by byte j becomes one U+FFFD and byte j is read again.
size_t AppendNonAscii(std::string_view s, size_t i, std::string& out) {
  const Utf8Lead lead = LeadOf(static_cast<unsigned char>(s[i]));
  if (lead.length == 0) {
    out += kReplacement;
    return 1;
  }
  size_t n = 1;
  for (; n < lead.length && i + n < s.size(); ++n) {
    const auto c = static_cast<unsigned char>(s[i + n]);
    const unsigned char low = n == 1 ? lead.low : 0x80;
    const unsigned char high = n == 1 ? lead.high : 0xBF;
    if (c < low || c > high) break;
  }
  if (n == lead.length) {
    out.append(s.substr(i, n));
  } else {
    out += kReplacement;
  }
  return n;
}

bool IsPlain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

}  // namespace

// Written by hand: nlohmann's serializer escapes only inside dump() (dump_escaped is private),
// and dumping each string through a json value costs the allocations this writer exists to
// avoid.
void AppendJsonEscaped(std::string_view s, std::string& out) {
  size_t plain_from = 0;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (IsPlain(c)) {
      ++i;
      continue;
    }
    out.append(s.substr(plain_from, i - plain_from));
    if (c < 0x80) {
      AppendAsciiEscape(c, out);
      ++i;
    } else {
      i += AppendNonAscii(s, i, out);
    }
    plain_from = i;
  }
  out.append(s.substr(plain_from));
}

void JsonWriter::NewLine(size_t depth) {
  out_ += '\n';
  out_.append(static_cast<size_t>(indent_) * depth, ' ');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_members_.empty()) return;  // the top-level value
  if (has_members_.back()) out_ += ',';
  has_members_.back() = true;
  if (indent_ >= 0) NewLine(has_members_.size());
}

void JsonWriter::Close(char bracket) {
  const bool had_members = has_members_.back();
  has_members_.pop_back();
  if (had_members && indent_ >= 0) NewLine(has_members_.size());
  out_ += bracket;
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  has_members_.push_back(false);
}

void JsonWriter::EndObject() { Close('}'); }

void JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  has_members_.push_back(false);
}

void JsonWriter::EndArray() { Close(']'); }

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  out_ += '"';
  AppendJsonEscaped(key, out_);
  out_ += indent_ >= 0 ? "\": " : "\":";
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  out_ += '"';
  AppendJsonEscaped(s, out_);
  out_ += '"';
}

void JsonWriter::HexString(std::string_view bytes, size_t min_digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  BeforeValue();
  out_ += '"';
  if (min_digits > bytes.size() * 2) out_.append(min_digits - bytes.size() * 2, '0');
  for (char byte : bytes) {
    const auto b = static_cast<unsigned char>(byte);
    out_ += kDigits[b >> 4];
    out_ += kDigits[b & 0xf];
  }
  out_ += '"';
}

void JsonWriter::Int(int64_t i) {
  BeforeValue();
  char buf[24];
  const char* end = std::to_chars(buf, buf + sizeof(buf), i).ptr;
  out_.append(buf, static_cast<size_t>(end - buf));
}

void JsonWriter::Uint(uint64_t u) {
  BeforeValue();
  char buf[24];
  const char* end = std::to_chars(buf, buf + sizeof(buf), u).ptr;
  out_.append(buf, static_cast<size_t>(end - buf));
}

// nlohmann's own Grisu2 (the routine dump() calls), not std::to_chars: Grisu2 is not always
// the shortest form, and the text must not change.
void JsonWriter::Double(double d) {
  BeforeValue();
  if (!std::isfinite(d)) {
    out_ += "null";
    return;
  }
  char buf[64];
  const char* end = nlohmann::detail::to_chars(buf, buf + sizeof(buf), d);
  out_.append(buf, static_cast<size_t>(end - buf));
}

void JsonWriter::Bool(bool b) {
  BeforeValue();
  out_ += b ? "true" : "false";
}

void JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
}

}  // namespace spanvault
