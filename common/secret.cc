#include "common/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace spanvault {

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (n > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("the OpenSSL random generator failed (RAND_bytes)");
  }
  return bytes;
}

absl::StatusOr<std::string> RandomString(size_t length, std::string_view alphabet) {
  if (alphabet.empty() || alphabet.size() > 256) {
    return absl::InvalidArgumentError("alphabet: must hold 1 to 256 characters");
  }
  // Accept a random byte only below the largest multiple of the alphabet size, so every
  // character is equally likely.
  const size_t limit = 256 - 256 % alphabet.size();
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    absl::StatusOr<std::string> batch = RandomBytes(length);
    if (!batch.ok()) return batch.status();
    for (unsigned char byte : *batch) {
      if (byte < limit && out.size() < length) out.push_back(alphabet[byte % alphabet.size()]);
    }
    Wipe(*batch);
  }
  return out;
}

std::string Sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

bool HexDecode(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = HexValue(hex[i]), low = HexValue(hex[i + 1]);
    if (high < 0 || low < 0) return false;
    bytes.push_back(static_cast<char>(high << 4 | low));
  }
  *out = std::move(bytes);
  return true;
}

bool SecretEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void Wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace spanvault
