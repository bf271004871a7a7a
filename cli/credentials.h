#pragma once

// How spanvaultctl finds the credentials it sends as "authorization" call metadata, and the
// credentials file `spanvaultctl login` writes.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace spanvault::cli {

// What the command line and the environment offer. Passwords never come from argv.
struct CredentialSources {
  std::string token;            // --token, else $SPANVAULT_TOKEN
  std::string user;             // --user, else $SPANVAULT_USER
  bool password_stdin = false;  // --password-stdin
  std::string env_password;     // $SPANVAULT_PASSWORD
};

// What `spanvaultctl login` stores (JSON {"server": ..., "token": ...}).
struct StoredCredentials {
  std::string server;
  std::string token;
};

// "Basic base64(user:password)".
std::string BasicAuthorization(std::string_view user, std::string_view password);

// The first line of `in`, without its line ending. kInvalidArgument when it is empty.
absl::StatusOr<std::string> ReadPasswordLine(std::istream& in);

// The user's password from --password-stdin (`read_stdin`) or $SPANVAULT_PASSWORD;
// kInvalidArgument, saying how to give one, when neither is there.
absl::StatusOr<std::string> PasswordOf(
    const CredentialSources& sources,
    const std::function<absl::StatusOr<std::string>()>& read_stdin);

// The authorization value: a token ("Bearer ..."), else the user's password ("Basic ..."), else
// the stored token, else "" (none; the server answers "credentials required").
absl::StatusOr<std::string> ResolveAuthorization(
    const CredentialSources& sources, const std::optional<StoredCredentials>& stored,
    const std::function<absl::StatusOr<std::string>()>& read_stdin);

// $XDG_CONFIG_HOME/spanvault/credentials, else $HOME/.config/spanvault/credentials; "" when
// neither variable is set.
std::string DefaultCredentialsPath();

// The stored credentials at `path`; nullopt when the file does not exist. kInvalidArgument
// naming the file when it is not the expected JSON.
absl::StatusOr<std::optional<StoredCredentials>> LoadCredentials(const std::string& path);

// Writes `credentials` to `path` with mode 0600, creating its directory with mode 0700.
absl::Status SaveCredentials(const std::string& path, const StoredCredentials& credentials);

}  // namespace spanvault::cli
