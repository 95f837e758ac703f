// vapd's shutdown signals (SIGTERM, SIGINT, SIGHUP), handled from the
// first instruction of RunDaemon to the last.
//
// The signals are blocked in every thread and a dedicated thread takes
// them with sigwait(). Until Serving() is called nothing is mounted or
// served and nothing has been acknowledged, so a signal then ends the
// process at once (exit status 1, a line on stderr): a long or stuck
// start-up (a large state file, a slow disk) never makes vapd
// unstoppable. From Serving() on, a signal is handed to Wait() and vapd
// shuts down cleanly (unmount, last commit).
#ifndef VAP_DAEMON_SIGNALS_H_
#define VAP_DAEMON_SIGNALS_H_

#include <signal.h>

#include <thread>

#include "base/mutex.h"

namespace vap::daemon {

class ShutdownSignals {
 public:
  // Blocks the signals (call before any other thread is started) and
  // starts the signal thread.
  ShutdownSignals();
  // Stops the signal thread.
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // From now on a signal is handed to Wait() instead of ending vapd.
  void Serving() VAP_EXCLUDES(mu_);
  // Blocks until a shutdown signal arrives; returns its number.
  int Wait() VAP_EXCLUDES(mu_);

 private:
  void Loop();

  sigset_t set_;
  std::thread thread_;
  // Rank kLeaf: never held while anything else is taken.
  Mutex mu_{LockRank::kLeaf, "vapd_signals"};
  CondVar cv_;
  bool serving_ VAP_GUARDED_BY(mu_) = false;
  int signal_ VAP_GUARDED_BY(mu_) = 0;
};

}  // namespace vap::daemon

#endif  // VAP_DAEMON_SIGNALS_H_
