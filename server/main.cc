// spanvault: the server binary. Parses the configuration, runs the server until SIGTERM or
// SIGINT, then shuts down gracefully.

#include <csignal>
#include <cstdio>
#include <iostream>

#include "server/config.h"
#include "server/server.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  // Block the shutdown signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
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

  spanvault::Server server(*config);
  absl::Status started = server.Start();
  if (!started.ok()) {
    spdlog::error("cannot start: {}", std::string(started.message()));
    server.Shutdown();
    return 1;
  }
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  server.Shutdown();
  spdlog::info("stopped");
  return 0;
}
