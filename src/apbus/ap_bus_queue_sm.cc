// ApBus: the queues' state machines (ap_queue_init_state(), reset_store(),
// ap_queue_prepare_remove()/ap_queue_remove(), the state changes of
// ap_scan_domains(), and the poll timer with its tasklet). The steps
// themselves are in queue_sm.cc.
//
// Every write of a queue's machine, config or chkstop holds sm_mu_, so a
// step that read them under devices_mu_, ran its firmware calls with only
// sm_mu_ held and wrote the machine back cannot lose a change.
#include <cerrno>

#include "apbus/ap_bus.h"

namespace vap::apbus {

std::optional<ApBus::SmView> ApBus::LoadSmLocked(Apqn apqn) const {
  MutexLock lock(devices_mu_);
  auto card = cards_.find(apqn.apid);
  if (card == cards_.end()) return std::nullopt;
  auto q = card->second.queues.find(apqn.apqi);
  if (q == card->second.queues.end()) return std::nullopt;
  return SmView{q->second.dev.sm, q->second.dev.config, q->second.dev.chkstop,
                q->second.driver != nullptr};
}

void ApBus::StoreSmLocked(Apqn apqn, const QueueSm& sm) {
  MutexLock lock(devices_mu_);
  auto card = cards_.find(apqn.apid);
  if (card == cards_.end()) return;
  auto q = card->second.queues.find(apqn.apqi);
  if (q != card->second.queues.end()) q->second.dev.sm = sm;
}

void ApBus::StepQueueLocked(Apqn apqn, bool loop) {
  std::optional<SmView> v = LoadSmLocked(apqn);
  if (!v) {
    sm_polls_.reset(apqn.qid());
    return;
  }
  SmStepLog log;
  const SmWait wait =
      loop ? StepLoop(v->sm, v->config, v->chkstop, apqn, machine_,
                      host_irq_, &log)
           : Step(v->sm, v->config, v->chkstop, apqn, machine_, host_irq_,
                  &log);
  StoreSmLocked(apqn, v->sm);
  if (!log.err.empty()) log_.Log(LogLevel::kErr, log.err);
  // Only queues a driver has are in the kernel's ap_queues hash, which
  // the tasklet walks; an unbound queue's machine waits until a probe.
  if (wait == SmWait::kNone || !v->bound) {
    sm_polls_.reset(apqn.qid());
    return;
  }
  sm_polls_.set(apqn.qid());
  ArmPoll();
}

void ApBus::InitQueueState(Apqn apqn) {
  MutexLock lock(sm_mu_);
  RestartQueueLocked(apqn, /*init=*/true);
}

Status ApBus::ResetQueue(Apqn apqn) {
  MutexLock lock(sm_mu_);
  if (!RestartQueueLocked(apqn, /*init=*/false))
    return Status::Error(ENODEV, "no such queue");
  return Status::Ok();
}

bool ApBus::RestartQueueLocked(Apqn apqn, bool init) {
  std::optional<SmView> v = LoadSmLocked(apqn);
  if (!v) return false;
  if (init) {
    InitState(v->sm);
  } else {
    // Set whether or not the machine runs: a queue no host driver has
    // shows "Reset in progress." from now until a host driver initiates it.
    v->sm.sm_state = SmState::kResetStart;
  }
  StoreSmLocked(apqn, v->sm);
  StepQueueLocked(apqn, /*loop=*/false);
  return true;
}

void ApBus::QueueBound(Apqn apqn) {
  MutexLock lock(sm_mu_);
  std::optional<SmView> v = LoadSmLocked(apqn);
  if (!v || !v->sm.initiated() || v->sm.sm_state == SmState::kIdle) return;
  sm_polls_.set(apqn.qid());
  ArmPoll();
}

void ApBus::QueueShutdown(Apqn apqn) {
  MutexLock lock(sm_mu_);
  std::optional<SmView> v = LoadSmLocked(apqn);
  if (!v) return;
  v->sm.dev_state = DevState::kShutdown;
  StoreSmLocked(apqn, v->sm);
}

void ApBus::QueueRemoved(Apqn apqn) {
  MutexLock lock(sm_mu_);
  sm_polls_.reset(apqn.qid());
  std::optional<SmView> v = LoadSmLocked(apqn);
  if (!v) return;
  // A reset with zero also clears the interrupt registration.
  (void)machine_.ZeroizeQueue(apqn);
  v->sm.dev_state = DevState::kUninitiated;
  StoreSmLocked(apqn, v->sm);
}

void ApBus::UpdateQueueLocked(const ApDevice& queue, bool decfg,
                              bool chkstop) {
  const Apqn apqn = queue.apqn();
  std::optional<bool> config_event;
  {
    MutexLock lock(sm_mu_);
    std::optional<SmView> v = LoadSmLocked(apqn);
    if (!v) return;
    bool reinit = false;
    if (chkstop != v->chkstop) {
      v->chkstop = chkstop;
      if (chkstop && v->sm.initiated()) {
        v->sm.dev_state = DevState::kError;
        v->sm.last_err_rc = ap::kRcCheckstopped;
      }
      reinit = !chkstop && v->sm.initiated();
    } else if (decfg == v->config) {
      v->config = !decfg;
      if (decfg && v->sm.initiated()) {
        v->sm.dev_state = DevState::kError;
        v->sm.last_err_rc = ap::kRcDeconfigured;
      }
      reinit = !decfg && v->sm.initiated();
      config_event = !decfg;
    } else {
      // "reinit enforced": a configured queue in the error state.
      reinit = !decfg && v->sm.dev_state == DevState::kError;
    }
    if (reinit) InitState(v->sm);
    {
      MutexLock records(devices_mu_);
      ApDevice& dev = cards_[apqn.apid].queues[apqn.apqi].dev;
      dev.chkstop = v->chkstop;
      dev.config = v->config;
      dev.sm = v->sm;
    }
    if (reinit) StepQueueLocked(apqn, /*loop=*/false);
  }
  if (config_event) SendConfigLocked(apqn.apid, apqn.apqi, *config_event);
}

void ApBus::PollQueues() {
  MutexLock lock(sm_mu_);
  const std::bitset<1 << 16> polls = sm_polls_;
  for (size_t qid = polls._Find_first(); qid < polls.size();
       qid = polls._Find_next(qid)) {
    StepQueueLocked(Apqn::FromQid(static_cast<uint16_t>(qid)), /*loop=*/true);
  }
}

bool ApBus::QueuesPolling() const {
  MutexLock lock(sm_mu_);
  return sm_polls_.any();
}

void ApBus::ArmPoll() {
  {
    MutexLock lock(poll_mu_);
    if (poll_due_) return;  // hrtimer_is_queued()
    poll_due_ = clock_.Now() + kQueuePollInterval;
  }
  poll_cv_.SignalAll();
}

void ApBus::StartQueuePoller() {
  MutexLock lock(poll_mu_);
  if (poller_.joinable() || poll_stop_) return;
  poller_ = std::thread([this] { PollerLoop(); });
}

void ApBus::PollerLoop() {
  for (;;) {
    {
      MutexLock lock(poll_mu_);
      while (!poll_stop_ && (!poll_due_ || clock_.Now() < *poll_due_)) {
        if (poll_due_) {
          (void)clock_.WaitUntil(poll_cv_, poll_mu_, *poll_due_);
        } else {
          poll_cv_.Wait(poll_mu_);
        }
      }
      if (poll_stop_) return;
      poll_due_.reset();
    }
    PollQueues();
  }
}

}  // namespace vap::apbus
