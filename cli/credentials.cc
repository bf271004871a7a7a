#include "cli/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"

namespace spanvault::cli {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

absl::Status ErrnoError(std::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat(std::string(what), " ", path, ": ", std::strerror(errno)));
}

}  // namespace

std::string BasicAuthorization(std::string_view user, std::string_view password) {
  std::string plain = absl::StrCat(std::string(user), ":", std::string(password));
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                          reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size()));
  encoded.resize(static_cast<size_t>(n));
  return absl::StrCat("Basic ", encoded);
}

absl::StatusOr<std::string> ReadPasswordLine(std::istream& in) {
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return absl::InvalidArgumentError("--password-stdin: stdin has no password");
  return line;
}

absl::StatusOr<std::string> PasswordOf(
    const CredentialSources& sources,
    const std::function<absl::StatusOr<std::string>()>& read_stdin) {
  if (sources.password_stdin) return read_stdin();
  if (!sources.env_password.empty()) return sources.env_password;
  return absl::InvalidArgumentError(
      absl::StrCat("no password for user \"", sources.user,
                   "\": set SPANVAULT_PASSWORD or pass it on stdin with --password-stdin"));
}

absl::StatusOr<std::string> ResolveAuthorization(
    const CredentialSources& sources, const std::optional<StoredCredentials>& stored,
    const std::function<absl::StatusOr<std::string>()>& read_stdin) {
  if (!sources.token.empty()) return absl::StrCat("Bearer ", sources.token);
  if (!sources.user.empty()) {
    absl::StatusOr<std::string> password = PasswordOf(sources, read_stdin);
    if (!password.ok()) return password.status();
    return BasicAuthorization(sources.user, *password);
  }
  if (sources.password_stdin) {
    return absl::InvalidArgumentError("--password-stdin needs --user (or SPANVAULT_USER)");
  }
  if (stored.has_value() && !stored->token.empty()) return absl::StrCat("Bearer ", stored->token);
  return std::string();
}

std::string DefaultCredentialsPath() {
  std::string config = Env("XDG_CONFIG_HOME");
  if (config.empty()) {
    std::string home = Env("HOME");
    if (home.empty()) return "";
    config = home + "/.config";
  }
  return config + "/spanvault/credentials";
}

absl::StatusOr<std::optional<StoredCredentials>> LoadCredentials(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::optional<StoredCredentials>();
  std::stringstream text;
  text << in.rdbuf();
  try {
    nlohmann::json json = nlohmann::json::parse(text.str());
    return std::optional<StoredCredentials>(StoredCredentials{json.at("server").get<std::string>(),
                                                              json.at("token").get<std::string>()});
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     " is not a spanvaultctl credentials file (JSON with server and token); run "
                     "spanvaultctl login again"));
  }
}

absl::Status SaveCredentials(const std::string& path, const StoredCredentials& credentials) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  if (::chmod(dir.c_str(), 0700) != 0) return ErrnoError("cannot chmod", dir);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot write", tmp);
  std::string text =
      nlohmann::json{{"server", credentials.server}, {"token", credentials.token}}.dump() + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fchmod(fd, 0600) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status s = ErrnoError("cannot write", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return absl::OkStatus();
}

}  // namespace spanvault::cli
