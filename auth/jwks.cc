#include "auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "auth/base64.h"
#include "nlohmann/json.hpp"

namespace spanvault {
namespace {

using nlohmann::json;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

constexpr int kMinRsaBits = 2048;
constexpr size_t kP256CoordinateBytes = 32;

// The public key that `params` describe for key type `type` ("RSA", "EC"), or null.
Pkey FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  Pkey key(pkey);
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

// The base64url-decoded member `field` of `jwk`; nullopt when absent, not a string or malformed.
std::optional<std::string> Member(const json& jwk, const char* field) {
  auto it = jwk.find(field);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return Base64UrlDecode(it->get<std::string>());
}

absl::StatusOr<Pkey> RsaKey(const json& jwk, const std::string& label) {
  std::optional<std::string> n = Member(jwk, "n"), e = Member(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": n and e must be base64url"));
  }
  auto to_bn = [](const std::string& bytes) {
    return std::unique_ptr<BIGNUM, BnFree>(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()), nullptr));
  };
  auto bn_n = to_bn(*n), bn_e = to_bn(*e);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return absl::InternalError("OpenSSL could not build an RSA key");
  }
  Pkey key = FromParams("RSA", bld.get());
  if (!key) return absl::InvalidArgumentError(absl::StrCat(label, ": not a valid RSA key"));
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": RSA keys must have at least ", kMinRsaBits, " bits"));
  }
  return key;
}

absl::StatusOr<Pkey> EcKey(const json& jwk, const std::string& label) {
  std::optional<std::string> x = Member(jwk, "x"), y = Member(jwk, "y");
  if (!x || !y || x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": x and y must be base64url of 32 bytes each"));
  }
  std::string point = absl::StrCat("\x04", *x, *y);  // uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return absl::InternalError("OpenSSL could not build an EC key");
  }
  Pkey key = FromParams("EC", bld.get());
  if (!key) return absl::InvalidArgumentError(absl::StrCat(label, ": not a point on P-256"));
  return key;
}

// JWS ES256 signatures are r||s (RFC 7518 §3.4); OpenSSL verifies DER. nullopt unless the
// signature is exactly 64 bytes.
std::optional<std::string> Es256ToDer(std::string_view raw) {
  if (raw.size() != 2 * kP256CoordinateBytes) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, kP256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kP256CoordinateBytes, kP256CoordinateBytes, nullptr);
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), len);
  OPENSSL_free(der);
  return out;
}

}  // namespace

struct Jwks::Key {
  std::string kid;    // may be empty
  JwsAlgorithm type;  // the algorithm family the key type serves (RSA: RS256, EC P-256: ES256)
  std::optional<std::string> alg;
  Pkey pkey;
};

namespace {

// The key `jwk` describes; null (no error) for a key type, curve or use spanvault skips.
absl::StatusOr<std::unique_ptr<Jwks::Key>> ParseKey(const json& jwk, size_t index) {
  if (!jwk.is_object())
    return absl::InvalidArgumentError(absl::StrCat("JWKS key ", index, ": not an object"));
  auto key = std::make_unique<Jwks::Key>();
  key->kid = jwk.value("kid", "");
  const std::string label = key->kid.empty() ? absl::StrCat("JWKS key ", index)
                                             : absl::StrCat("JWKS key \"", key->kid, "\"");
  const std::string kty = jwk.value("kty", ""), use = jwk.value("use", "sig");
  if (use != "sig") return nullptr;
  if (jwk.contains("alg")) key->alg = jwk["alg"].get<std::string>();
  if (kty == "RSA") {
    key->type = JwsAlgorithm::kRs256;
    absl::StatusOr<Pkey> pkey = RsaKey(jwk, label);
    if (!pkey.ok()) return pkey.status();
    key->pkey = std::move(*pkey);
  } else if (kty == "EC" && jwk.value("crv", "") == "P-256") {
    key->type = JwsAlgorithm::kEs256;
    absl::StatusOr<Pkey> pkey = EcKey(jwk, label);
    if (!pkey.ok()) return pkey.status();
    key->pkey = std::move(*pkey);
  } else {
    return nullptr;
  }
  return key;
}

}  // namespace

std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name) {
  if (name == "RS256") return JwsAlgorithm::kRs256;
  if (name == "ES256") return JwsAlgorithm::kEs256;
  return std::nullopt;
}

std::string_view JwsAlgorithmName(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kRs256 ? "RS256" : "ES256";
}

absl::StatusOr<std::shared_ptr<const Jwks>> Jwks::Parse(std::string_view text) {
  try {
    json doc = json::parse(text);
    if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
      return absl::InvalidArgumentError("JWKS: must be an object with a \"keys\" array");
    }
    std::vector<std::unique_ptr<Key>> keys;
    std::set<std::string> kids;
    for (size_t i = 0; i < doc["keys"].size(); ++i) {
      absl::StatusOr<std::unique_ptr<Key>> key = ParseKey(doc["keys"][i], i);
      if (!key.ok()) return key.status();
      if (!*key) continue;
      if (!(*key)->kid.empty() && !kids.insert((*key)->kid).second) {
        return absl::InvalidArgumentError(absl::StrCat("JWKS: kid \"", (*key)->kid, "\" repeats"));
      }
      keys.push_back(std::move(*key));
    }
    if (keys.empty()) return absl::InvalidArgumentError("JWKS: no usable RS256 or ES256 key");
    return std::shared_ptr<const Jwks>(new Jwks(std::move(keys)));
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("JWKS: ", e.what()));
  }
}

Jwks::Jwks(std::vector<std::unique_ptr<Key>> keys) : keys_(std::move(keys)) {}
Jwks::~Jwks() = default;

absl::StatusOr<const Jwks::Key*> Jwks::Select(std::optional<std::string_view> kid,
                                              JwsAlgorithm alg) const {
  const Key* found = nullptr;
  for (const auto& key : keys_) {
    if (kid.has_value() ? key->kid == *kid : key->type == alg) {
      if (found != nullptr)
        return absl::UnauthenticatedError("token names no kid and several keys fit");
      found = key.get();
    }
  }
  if (found == nullptr) return absl::NotFoundError("no key for the token's kid");
  if (found->type != alg || (found->alg.has_value() && *found->alg != JwsAlgorithmName(alg))) {
    return absl::UnauthenticatedError("the token's alg does not match its key");
  }
  return found;
}

absl::Status Jwks::Verify(std::optional<std::string_view> kid, JwsAlgorithm alg,
                          std::string_view signing_input, std::string_view signature) const {
  absl::StatusOr<const Key*> key = Select(kid, alg);
  if (!key.ok()) return key.status();
  std::string der;
  if (alg == JwsAlgorithm::kEs256) {
    std::optional<std::string> converted = Es256ToDer(signature);
    if (!converted) return absl::UnauthenticatedError("bad ES256 signature length");
    der = std::move(*converted);
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, (*key)->pkey.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
    return absl::UnauthenticatedError("bad signature");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<StaticJwksProvider>> StaticJwksProvider::FromFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read JWKS file ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::shared_ptr<const Jwks>> keys = Jwks::Parse(text.str());
  if (!keys.ok()) {
    return absl::Status(keys.status().code(), absl::StrCat(path, ": ", keys.status().message()));
  }
  return std::make_unique<StaticJwksProvider>(std::move(*keys));
}

}  // namespace spanvault
