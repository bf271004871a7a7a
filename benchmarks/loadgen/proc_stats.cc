#include "benchmarks/loadgen/proc_stats.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace spanvault::bench {
namespace {

// utime + stime in seconds from a /proc stat file, or -1.
double StatCpuSeconds(const std::string& path) {
  std::ifstream stat(path);
  std::string line;
  if (!stat || !std::getline(stat, line)) return -1;
  // The command name (field 2) may hold spaces; the fields after its ')' are space-separated,
  // utime and stime being the 14th and 15th of the line.
  size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 > line.size()) return -1;
  std::istringstream rest(line.substr(paren + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void ReadThreads(int pid, std::map<std::string, double>* out) {
  std::error_code ec;
  std::filesystem::directory_iterator tasks(absl::StrCat("/proc/", pid, "/task"), ec);
  for (const auto& task : tasks) {
    std::string name;
    std::ifstream comm(task.path() / "comm");
    if (!std::getline(comm, name)) continue;
    while (!name.empty() && std::isdigit(static_cast<unsigned char>(name.back()))) name.pop_back();
    double cpu = StatCpuSeconds((task.path() / "stat").string());
    if (cpu >= 0) (*out)[name] += cpu;
  }
}

}  // namespace

absl::StatusOr<ProcSample> ReadProcSample(int pid) {
  ProcSample sample;
  sample.cpu_seconds = StatCpuSeconds(absl::StrCat("/proc/", pid, "/stat"));
  if (sample.cpu_seconds < 0) return absl::NotFoundError(absl::StrCat("no process ", pid));
  ReadThreads(pid, &sample.thread_cpu_seconds);
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      sample.rss_bytes = std::stoll(line.substr(6)) * 1024;  // "VmRSS:   12345 kB"
      break;
    }
  }
  return sample;
}

double ReadLoadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  if (!(in >> load)) return -1;
  return load;
}

ProcessMonitor::ProcessMonitor(int pid, absl::Time from) : pid_(pid), from_(from) {
  if (pid_ > 0) thread_ = std::thread([this] { Loop(); });
}

ProcessMonitor::~ProcessMonitor() { Stop(); }

void ProcessMonitor::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

std::map<std::string, double> ProcessMonitor::thread_cpu_seconds() const {
  std::map<std::string, double> out;
  for (const auto& [name, cpu] : end_.thread_cpu_seconds) {
    auto before = start_.thread_cpu_seconds.find(name);
    double delta = cpu - (before == start_.thread_cpu_seconds.end() ? 0 : before->second);
    if (delta > 0) out[name] = delta;
  }
  return out;
}

void ProcessMonitor::Loop() {
  if (stop_.WaitForNotificationWithDeadline(from_)) return;
  auto sample = ReadProcSample(pid_);
  if (!sample.ok()) return;
  start_ = *sample;
  while (true) {
    bool stopping = stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
    sample = ReadProcSample(pid_);
    if (!sample.ok()) return;
    peak_rss_ = std::max(peak_rss_, sample->rss_bytes);
    end_ = *sample;
    if (stopping) return;
  }
}

}  // namespace spanvault::bench
