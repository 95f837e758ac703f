#include "daemon/signals.h"

#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>

#include <cstring>

namespace vap::daemon {

namespace {
// Sent by the destructor to end the signal thread; never a shutdown.
constexpr int kStopSignal = SIGUSR2;
}  // namespace

ShutdownSignals::ShutdownSignals() {
  sigemptyset(&set_);
  for (int s : {SIGTERM, SIGINT, SIGHUP, kStopSignal}) sigaddset(&set_, s);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  signal(SIGPIPE, SIG_IGN);
  thread_ = std::thread([this] { Loop(); });
}

ShutdownSignals::~ShutdownSignals() {
  pthread_kill(thread_.native_handle(), kStopSignal);
  thread_.join();
}

void ShutdownSignals::Loop() {
  for (;;) {
    int sig = 0;
    if (sigwait(&set_, &sig) != 0) continue;
    if (sig == kStopSignal) return;
    MutexLock lock(mu_);
    if (!serving_) {
      // Nothing mounted, served or acknowledged yet: nothing to undo.
      fmt::print(stderr, "vapd: {} during start-up, exiting\n",
                 strsignal(sig));
      _exit(1);
    }
    if (signal_ == 0) signal_ = sig;
    cv_.SignalAll();
  }
}

void ShutdownSignals::Serving() {
  MutexLock lock(mu_);
  serving_ = true;
}

int ShutdownSignals::Wait() {
  MutexLock lock(mu_);
  while (signal_ == 0) cv_.Wait(mu_);
  return signal_;
}

}  // namespace vap::daemon
