// Bearer credentials: a JWT through the verifier (header, claims and signature parsing before
// any key matches), a JWKS document, and the base64 decoders of Basic and JWT.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "auth/base64.h"
#include "auth/jwks.h"
#include "auth/jwt.h"
#include "common/clock.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One P-256 key (RFC 7515 A.3), so tokens naming kid "k1" reach the signature check.
  static spanvault::StaticJwksProvider* keys = new spanvault::StaticJwksProvider(
      spanvault::Jwks::Parse(
          R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256",)"
          R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
          R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})")
          .value());
  static spanvault::JwtVerifier* verifier =
      spanvault::JwtVerifier::Create({.issuer = "https://idp", .audience = "spanvault"}, *keys,
                                     spanvault::RealClock::Get())
          .value()
          .release();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static_cast<void>(verifier->Verify(text));
  static_cast<void>(spanvault::Jwks::Parse(text));
  static_cast<void>(spanvault::Base64Decode(text));
  static_cast<void>(spanvault::Base64UrlDecode(text));
  return 0;
}
