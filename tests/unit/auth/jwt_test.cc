#include "auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "auth/authenticator.h"
#include "auth/base64.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace spanvault {
namespace {

using nlohmann::json;
using ::spanvault::testing::FakeClock;
using ::spanvault::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kIssuer[] = "https://idp.example.com/realms/acme";
constexpr char kAudience[] = "spanvault";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string BnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  std::string bytes(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return bytes;
}

json RsaJwk(EVP_PKEY* key, const std::string& kid) {
  return {{"kty", "RSA"},
          {"kid", kid},
          {"use", "sig"},
          {"n", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_RSA_N))},
          {"e", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_RSA_E))}};
}

json EcJwk(EVP_PKEY* key, const std::string& kid) {
  unsigned char point[65];
  size_t len = 0;
  EXPECT_EQ(
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &len), 1);
  EXPECT_EQ(len, 65u);
  std::string raw(reinterpret_cast<char*>(point), len);
  return {{"kty", "EC"},
          {"kid", kid},
          {"crv", "P-256"},
          {"x", Base64UrlEncode(raw.substr(1, 32))},
          {"y", Base64UrlEncode(raw.substr(33, 32))}};
}

std::string SignDigest(EVP_PKEY* key, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EXPECT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key), 1);
  EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()),
            1);
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

// DER ECDSA signature → JWS r||s.
std::string DerToRaw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string Encode(const json& doc) { return Base64UrlEncode(doc.dump()); }

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
    ec_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(ec_);
  }

  void SetUp() override {
    ASSERT_NE(rsa_, nullptr);
    ASSERT_NE(ec_, nullptr);
    json jwks = {{"keys", {RsaJwk(rsa_, "rsa1"), EcJwk(ec_, "ec1")}}};
    absl::StatusOr<std::shared_ptr<const Jwks>> keys = Jwks::Parse(jwks.dump());
    ASSERT_TRUE(keys.ok()) << keys.status();
    provider_ = std::make_unique<StaticJwksProvider>(*keys);
    absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
        JwtVerifier::Create({.issuer = kIssuer, .audience = kAudience}, *provider_, clock_);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = std::move(*verifier);
  }

  json Claims() const {
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    return {{"iss", kIssuer},   {"aud", kAudience}, {"sub", "alice"},
            {"exp", now + 300}, {"iat", now},       {"groups", {"sre", "support-team"}}};
  }

  std::string Rs256(const json& claims, const std::string& kid = "rsa1") const {
    std::string input =
        absl::StrCat(Encode({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid}}), ".", Encode(claims));
    return absl::StrCat(input, ".", Base64UrlEncode(SignDigest(rsa_, input)));
  }

  std::string Es256(const json& claims, const std::string& kid = "ec1") const {
    std::string input = absl::StrCat(Encode({{"alg", "ES256"}, {"kid", kid}}), ".", Encode(claims));
    return absl::StrCat(input, ".", Base64UrlEncode(DerToRaw(SignDigest(ec_, input))));
  }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* ec_;
  FakeClock clock_;
  std::unique_ptr<StaticJwksProvider> provider_;
  std::unique_ptr<JwtVerifier> verifier_;
};

EVP_PKEY* JwtTest::rsa_ = nullptr;
EVP_PKEY* JwtTest::ec_ = nullptr;

TEST_F(JwtTest, ValidRs256) {
  absl::StatusOr<JwtIdentity> identity = verifier_->Verify(Rs256(Claims()));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->subject, "alice");
  EXPECT_THAT(identity->groups, ElementsAre("sre", "support-team"));
}

TEST_F(JwtTest, ValidEs256) {
  absl::StatusOr<JwtIdentity> identity = verifier_->Verify(Es256(Claims()));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->subject, "alice");
}

TEST_F(JwtTest, ExpiryWithLeeway) {
  json claims = Claims();
  claims["exp"] = absl::ToUnixSeconds(clock_.Now()) - 30;  // within the 60 s leeway
  EXPECT_TRUE(verifier_->Verify(Rs256(claims)).ok());
  claims["exp"] = absl::ToUnixSeconds(clock_.Now()) - 120;
  EXPECT_THAT(verifier_->Verify(Rs256(claims)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  // Time moving on expires a token that was valid.
  std::string token = Rs256(Claims());
  EXPECT_TRUE(verifier_->Verify(token).ok());
  clock_.Advance(absl::Seconds(300 + 61));
  EXPECT_THAT(verifier_->Verify(token), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwtTest, ExpIsRequired) {
  json claims = Claims();
  claims.erase("exp");
  EXPECT_THAT(verifier_->Verify(Rs256(claims)), StatusIs(absl::StatusCode::kUnauthenticated));
  claims["exp"] = "tomorrow";
  EXPECT_THAT(verifier_->Verify(Rs256(claims)), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwtTest, NotBeforeInTheFuture) {
  json claims = Claims();
  claims["nbf"] = absl::ToUnixSeconds(clock_.Now()) + 120;
  EXPECT_THAT(verifier_->Verify(Rs256(claims)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not valid yet")));
  claims["nbf"] = absl::ToUnixSeconds(clock_.Now()) + 30;  // within leeway
  EXPECT_TRUE(verifier_->Verify(Rs256(claims)).ok());
}

TEST_F(JwtTest, AudienceAndIssuer) {
  json claims = Claims();
  claims["aud"] = "other";
  EXPECT_THAT(verifier_->Verify(Rs256(claims)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("audience")));
  claims["aud"] = {"other", kAudience};
  EXPECT_TRUE(verifier_->Verify(Rs256(claims)).ok());
  claims["aud"] = {"other"};
  EXPECT_FALSE(verifier_->Verify(Rs256(claims)).ok());
  claims = Claims();
  claims["iss"] = absl::StrCat(kIssuer, "/");
  EXPECT_THAT(verifier_->Verify(Rs256(claims)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("issuer")));
}

TEST_F(JwtTest, AlgNoneIsRefused) {
  std::string token =
      absl::StrCat(Encode({{"alg", "none"}, {"kid", "rsa1"}}), ".", Encode(Claims()), ".");
  EXPECT_THAT(verifier_->Verify(token), StatusIs(absl::StatusCode::kUnauthenticated));
  token = absl::StrCat(Encode({{"alg", "none"}}), ".", Encode(Claims()), ".AAAA");
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("alg")));
}

TEST_F(JwtTest, Hs256KeyedWithThePublicKeyIsRefused) {
  // The classic confusion attack: HMAC keyed with the RSA public key the verifier knows.
  std::string public_n = BnParam(rsa_, OSSL_PKEY_PARAM_RSA_N);
  std::string input =
      absl::StrCat(Encode({{"alg", "HS256"}, {"kid", "rsa1"}}), ".", Encode(Claims()));
  unsigned char mac[32];
  size_t mac_len = 0;
  ASSERT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, public_n.data(), public_n.size(),
                      reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                      sizeof(mac), &mac_len),
            nullptr);
  std::string token =
      absl::StrCat(input, ".", Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_len)));
  EXPECT_THAT(verifier_->Verify(token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("alg not allowed")));
}

TEST_F(JwtTest, KidOfTheWrongKeyType) {
  // An RS256 token naming the EC key, and the reverse.
  EXPECT_THAT(verifier_->Verify(Rs256(Claims(), "ec1")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("does not match")));
  EXPECT_THAT(verifier_->Verify(Es256(Claims(), "rsa1")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier_->Verify(Rs256(Claims(), "unknown")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no key")));
}

TEST_F(JwtTest, TamperedPayloadFailsTheSignature) {
  std::string token = Rs256(Claims());
  json claims = Claims();
  claims["sub"] = "mallory";
  size_t first = token.find('.'), second = token.find('.', first + 1);
  std::string tampered =
      absl::StrCat(token.substr(0, first + 1), Encode(claims), token.substr(second));
  EXPECT_THAT(verifier_->Verify(tampered),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("bad signature")));
  std::string es = Es256(Claims());
  es[es.size() - 2] = es[es.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_THAT(verifier_->Verify(es), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwtTest, MalformedTokens) {
  std::string token = Rs256(Claims());
  for (const std::string& bad :
       {std::string(""), std::string("abc"), token.substr(0, token.rfind('.')),
        absl::StrCat(token, ".x"), absl::StrCat(token, "="), absl::StrCat("=", token),
        absl::StrCat(token.substr(0, token.rfind('.') + 1)),
        absl::StrCat(Encode({{"alg", "RS256"}}), "+.", token.substr(token.find('.') + 1))}) {
    EXPECT_THAT(verifier_->Verify(bad), StatusIs(absl::StatusCode::kUnauthenticated)) << bad;
  }
}

TEST_F(JwtTest, HeaderSuppliedKeysAndCritAreRefused) {
  for (const char* field : {"jku", "jwk", "x5u", "x5c", "crit"}) {
    std::string input = absl::StrCat(Encode({{"alg", "RS256"}, {"kid", "rsa1"}, {field, "x"}}), ".",
                                     Encode(Claims()));
    std::string token = absl::StrCat(input, ".", Base64UrlEncode(SignDigest(rsa_, input)));
    EXPECT_THAT(verifier_->Verify(token),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(field)));
  }
}

TEST_F(JwtTest, GroupsClaimStringOrArray) {
  json claims = Claims();
  claims["groups"] = "sre";
  EXPECT_THAT(verifier_->Verify(Rs256(claims))->groups, ElementsAre("sre"));
  claims.erase("groups");
  EXPECT_TRUE(verifier_->Verify(Rs256(claims))->groups.empty());
  claims["groups"] = {"sre", 5};
  EXPECT_THAT(verifier_->Verify(Rs256(claims)), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(JwtTest, ConfigurableClaimsAndAlgorithms) {
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      JwtVerifier::Create({.issuer = kIssuer,
                           .audience = kAudience,
                           .algorithms = {"ES256"},
                           .subject_claim = "preferred_username",
                           .groups_claim = "roles"},
                          *provider_, clock_);
  ASSERT_TRUE(verifier.ok());
  json claims = Claims();
  claims["preferred_username"] = "alice.w";
  claims["roles"] = {"dev"};
  absl::StatusOr<JwtIdentity> identity = (*verifier)->Verify(Es256(claims));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->subject, "alice.w");
  EXPECT_THAT(identity->groups, ElementsAre("dev"));
  EXPECT_THAT((*verifier)->Verify(Rs256(claims)), StatusIs(absl::StatusCode::kUnauthenticated));

  EXPECT_THAT(
      JwtVerifier::Create({.issuer = kIssuer, .audience = kAudience, .algorithms = {"HS256"}},
                          *provider_, clock_),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HS256")));
  EXPECT_THAT(JwtVerifier::Create({.issuer = kIssuer}, *provider_, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("audience")));
}

TEST_F(JwtTest, AuthenticatorMapsGroupsToRoles) {
  MemoryKvStore kv;
  absl::StatusOr<std::unique_ptr<IdentityStore>> identities =
      IdentityStore::Open(kv, clock_, {.password_params = {.memory_kib = 64, .iterations = 1}});
  ASSERT_TRUE(identities.ok());
  ASSERT_TRUE((*identities)->Bootstrap().ok());
  absl::StatusOr<std::unique_ptr<Authenticator>> authenticator = Authenticator::Create(
      {.group_roles = {{"sre", {"devops", "dev"}}, {"support-team", {"support"}}}}, **identities,
      verifier_.get(), clock_);
  ASSERT_TRUE(authenticator.ok());
  absl::StatusOr<Principal> principal =
      (*authenticator)->Authenticate({"Bearer " + Es256(Claims()), "10.0.0.1"});
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_EQ(principal->method, "jwt");
  EXPECT_THAT(principal->roles, ElementsAre("devops", "dev", "support"));
  EXPECT_TRUE(principal->access->Allows(Action::kTracesRead));

  json claims = Claims();
  claims["groups"] = {"admin", "unmapped"};  // not mapped: no roles, even if named like one
  principal = (*authenticator)->Authenticate({"Bearer " + Rs256(claims), "10.0.0.1"});
  ASSERT_TRUE(principal.ok());
  EXPECT_TRUE(principal->roles.empty());
  EXPECT_FALSE(principal->access->Allows(Action::kTracesRead));

  claims = Claims();
  claims["exp"] = absl::ToUnixSeconds(clock_.Now()) - 3600;
  absl::StatusOr<Principal> expired =
      (*authenticator)->Authenticate({"Bearer " + Rs256(claims), "10.0.0.1"});
  EXPECT_THAT(expired, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  EXPECT_EQ(expired.status().message().find("eyJ"), absl::string_view::npos);
}

TEST(JwksTest, ParseRefusesWeakOrMalformedKeys) {
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  json doc = {{"keys", {RsaJwk(small, "small")}}};
  EXPECT_THAT(Jwks::Parse(doc.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2048")));
  EVP_PKEY_free(small);
  EXPECT_THAT(Jwks::Parse("{\"keys\": [{\"kty\": \"oct\", \"k\": \"AAAA\"}]}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no usable")));
  EXPECT_THAT(Jwks::Parse("{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": \"AA\", "
                          "\"y\": \"AA\"}]}"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Jwks::Parse("not json"), StatusIs(absl::StatusCode::kInvalidArgument));
  // A point not on the curve.
  json bad_point = {{"keys",
                     {{{"kty", "EC"},
                       {"crv", "P-256"},
                       {"kid", "p"},
                       {"x", Base64UrlEncode(std::string(32, '\x01'))},
                       {"y", Base64UrlEncode(std::string(32, '\x01'))}}}}};
  EXPECT_THAT(Jwks::Parse(bad_point.dump()), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace spanvault
