// spanvault: the server binary. Parses the configuration, runs the server until SIGTERM or
// SIGINT (SIGHUP reloads the TLS certificates), then shuts down gracefully.

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "common/protobuf_parse.h"
#include "server/config.h"
#include "server/server.h"
#include "spdlog/spdlog.h"
#include "storage/crypto/key_file.h"

namespace {

// `spanvault keygen --out FILE`: writes a new key file (mode 0600), never over an existing one.
int Keygen(int argc, char** argv) {
  std::string out;
  CLI::App app{"spanvault keygen: write a new encryption key file (mode 0600)"};
  app.add_option("--out", out, "the key file to create (must not exist)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  absl::Status s = spanvault::WriteNewKeyFile(out);
  if (!s.ok()) {
    std::cerr << "spanvault keygen: " << s.message() << "\n";
    return 1;
  }
  std::cout << "wrote a new key (id 1) to " << out
            << "; keep it secret and backed up, and start spanvault with --encryption-key-file "
            << out << "\n";
  return 0;
}

// Raises the open-file limit to its hard maximum: every connection and RocksDB file takes a
// descriptor, and the soft default (often 1024) is smaller than the connection caps.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot raise the open-file limit above {}", before);
  }
}

}  // namespace

int main(int argc, char** argv) {
  spanvault::InstallProtobufLogCapture();
  if (argc >= 2 && std::string_view(argv[1]) == "keygen") return Keygen(argc - 1, argv + 1);
  // Block the shutdown signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::string help;
  auto config = spanvault::ParseServerConfig(argc, argv, &help);
  if (!help.empty()) {
    std::cout << help;
    return 0;
  }
  if (!config.ok()) {
    std::cerr << "spanvault: " << config.status().message() << "\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");

  RaiseOpenFileLimit();

  spanvault::Server server(*config);
  absl::Status started = server.Start();
  if (!started.ok()) {
    spdlog::error("cannot start: {}", std::string(started.message()));
    server.Shutdown();
    return 1;
  }
  int signal = 0;
  while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
    spdlog::info("received SIGHUP, reloading TLS certificates");
    server.ReloadTls();
  }
  spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  server.Shutdown();
  spdlog::info("stopped");
  return 0;
}
