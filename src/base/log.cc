#include "base/log.h"

#include <fmt/format.h>

#include <cstdio>
#include <utility>

namespace vap {

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kErr:
      return "err";
    case LogLevel::kWarning:
      return "warn";
    case LogLevel::kNotice:
      return "notice";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "unknown";
}

std::string DmesgTimestamp(Nanos time) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(time);
  return fmt::format("[{:5}.{:06}] ", us.count() / 1000000,
                     us.count() % 1000000);
}

Logger::Logger(const Clock& clock, size_t capacity)
    : clock_(clock), capacity_(capacity == 0 ? 1 : capacity) {}

void Logger::Log(LogLevel level, std::string_view text) {
  LogLine line{0, clock_.Now(), level, std::string(text)};
  bool echo;
  std::shared_ptr<const Sink> sink;
  {
    MutexLock lock(mu_);
    line.seq = next_seq_++;
    echo = echo_ && level <= echo_level_;
    sink = sink_;
    if (ring_.size() == capacity_) ring_.pop_front();
    ring_.push_back(line);
  }
  if (echo) {
    const std::string out = DmesgTimestamp(line.time) + line.text + "\n";
    std::fwrite(out.data(), 1, out.size(), stderr);
  }
  if (sink != nullptr && *sink) (*sink)(line);
}

void Logger::SetSink(Sink sink) {
  auto shared = std::make_shared<const Sink>(std::move(sink));
  MutexLock lock(mu_);
  sink_ = std::move(shared);
}

void Logger::DevLog(LogLevel level, std::string_view driver,
                    std::string_view device, std::string_view text) {
  Log(level, fmt::format("{} {}: {}", driver, device, text));
}

std::vector<LogLine> Logger::Read(uint64_t after_seq) const {
  MutexLock lock(mu_);
  std::vector<LogLine> out;
  for (const LogLine& line : ring_) {
    if (line.seq > after_seq) out.push_back(line);
  }
  return out;
}

std::string Logger::LastText() const {
  MutexLock lock(mu_);
  return ring_.empty() ? std::string() : ring_.back().text;
}

uint64_t Logger::last_seq() const {
  MutexLock lock(mu_);
  return next_seq_ - 1;
}

void Logger::EchoToStderr(bool on, LogLevel level) {
  MutexLock lock(mu_);
  echo_ = on;
  echo_level_ = level;
}

}  // namespace vap
