#pragma once

// Strict base64 decoding for credentials (RFC 4648). Written by hand because Abseil's decoders
// accept what a credential parser must refuse: missing or superfluous padding, and trailing
// bits that are not zero (several encodings of the same bytes).

#include <optional>
#include <string>
#include <string_view>

namespace spanvault {

// base64url without padding (RFC 7515 §2, as in JWS). nullopt for any character outside the
// URL-safe alphabet (also '='), a length of 1 mod 4, or non-zero trailing bits.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Standard base64 with the padding required (RFC 4648 §4, as in HTTP Basic). nullopt for any
// other character, a length that is not a multiple of 4, padding anywhere but at the end, or
// non-zero trailing bits.
std::optional<std::string> Base64Decode(std::string_view text);

// base64url without padding.
std::string Base64UrlEncode(std::string_view bytes);

}  // namespace spanvault
