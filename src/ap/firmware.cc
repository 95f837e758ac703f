#include "ap/firmware.h"

#include <fmt/format.h>

#include <cerrno>

namespace vap::ap {

namespace {

uint16_t Qid(Apqn apqn) { return apqn.qid(); }

Status NoCard(uint8_t apid) {
  return Status::Error(ENOENT, fmt::format("adapter {:02x} is not in the host "
                                           "configuration",
                                           apid));
}

}  // namespace

Firmware::Firmware(const Clock& clock, const HostProfile& profile)
    : clock_(clock) {
  MutexLock lock(mu_);
  has_qci_ = profile.qci;
  qci_.apsc = profile.apsc;
  qci_.apxa = profile.apxa;
  qci_.qact = profile.qact;
  qci_.rc8a = profile.rc8a;
  qci_.apsb = profile.apsb;
  qci_.na = profile.na;
  qci_.nd = profile.nd;
  qci_.aqm = profile.usage_domains;
  qci_.adm = profile.control_domains;
  for (const CardSpec& spec : profile.cards) {
    qci_.apm.Set(spec.apid);
    CardRecord card;
    card.state.spec = spec;
    card.state.configured = spec.configured;
    cards_.emplace(spec.apid, card);
  }
}

std::optional<QciInfo> Firmware::Qci() const {
  MutexLock lock(mu_);
  if (!has_qci_) return std::nullopt;
  return qci_;
}

QueueStatus Firmware::CommonChecksLocked(Apqn apqn, QueueFunction fn) {
  auto card = cards_.find(apqn.apid);
  if (card == cards_.end() || !qci_.apm.Test(apqn.apid) ||
      !qci_.aqm.Test(apqn.apqi)) {
    return QueueStatus::Rc(kRcQueueNotAvailable);
  }
  CardRecord& c = card->second;
  if (c.state.checkstopped) return QueueStatus::Rc(kRcCheckstopped);
  if (!c.state.configured || c.fault_deconfigured) {
    return QueueStatus::Rc(kRcDeconfigured);
  }
  auto q = queues_.find(Qid(apqn));
  if (q != queues_.end()) {
    if (q->second.checkstopped) return QueueStatus::Rc(kRcCheckstopped);
    if (q->second.deconfigured) return QueueStatus::Rc(kRcDeconfigured);
    if (q->second.busy > 0) {
      --q->second.busy;
      return QueueStatus::Rc(kRcBusy);
    }
    if (q->second.answer_count > 0 && q->second.answer_function == fn) {
      --q->second.answer_count;
      return QueueStatus::Rc(q->second.answer_rc);
    }
  }
  if (c.busy > 0) {
    --c.busy;
    return QueueStatus::Rc(kRcBusy);
  }
  return QueueStatus::Rc(kRcNormal);
}

Firmware::QueueState& Firmware::QueueLocked(Apqn apqn) {
  return queues_[Qid(apqn)];
}

bool Firmware::ResetInProgressLocked(const QueueState& q) const {
  return clock_.Now() < q.reset_until;
}

TapqResult Firmware::Tapq(Apqn apqn) {
  MutexLock lock(mu_);
  TapqResult result;
  result.status = CommonChecksLocked(apqn, QueueFunction::kTapq);
  auto card = cards_.find(apqn.apid);
  if (card != cards_.end() &&
      result.status.response_code != kRcQueueNotAvailable) {
    const CardSpec& spec = card->second.state.spec;
    result.info =
        TapqInfo{spec.functions, spec.raw_hwtype, spec.depth, qci_.nd};
  }
  if (result.status.response_code != kRcNormal) return result;
  // Read without creating state: an idle queue has no entry.
  auto q = queues_.find(Qid(apqn));
  if (q != queues_.end() && ResetInProgressLocked(q->second)) {
    result.status = QueueStatus::Rc(kRcResetInProgress);
    return result;
  }
  result.status.queue_empty = true;
  result.status.irq_enabled = q != queues_.end() && q->second.irq_enabled;
  return result;
}

Firmware::QueueState* Firmware::ReadyLocked(Apqn apqn, QueueFunction fn,
                                            QueueStatus* s) {
  *s = CommonChecksLocked(apqn, fn);
  if (s->response_code != kRcNormal) return nullptr;
  QueueState& q = QueueLocked(apqn);
  if (ResetInProgressLocked(q)) {
    *s = QueueStatus::Rc(kRcResetInProgress);
    return nullptr;
  }
  s->queue_empty = true;
  return &q;
}

QueueStatus Firmware::ResetLocked(Apqn apqn, QueueFunction fn) {
  QueueStatus s;
  QueueState* const ready = ReadyLocked(apqn, fn, &s);
  if (ready == nullptr) return s;
  QueueState& q = *ready;
  q.irq_enabled = false;
  q.nib = 0;
  q.gisa = {};
  q.reset_until =
      q.reset_never_ends ? Nanos::max() : clock_.Now() + kResetDuration;
  return s;
}

QueueStatus Firmware::Rapq(Apqn apqn) {
  MutexLock lock(mu_);
  return ResetLocked(apqn, QueueFunction::kRapq);
}

QueueStatus Firmware::Zapq(Apqn apqn) {
  MutexLock lock(mu_);
  return ResetLocked(apqn, QueueFunction::kZapq);
}

QueueStatus Firmware::AqicEnable(Apqn apqn, uint8_t isc, uint64_t nib,
                                 GisaTarget gisa) {
  MutexLock lock(mu_);
  QueueStatus s;
  QueueState* const q = ReadyLocked(apqn, QueueFunction::kAqic, &s);
  if (q == nullptr) return s;
  if (nib == 0) return QueueStatus::Rc(kRcInvalidAddress);
  // Enabling again replaces the NIB and ISC (as vfio_ap_irq_enable()
  // expects when a guest re-enables with a new NIB).
  q->irq_enabled = true;
  q->isc = isc;
  q->nib = nib;
  q->gisa = gisa;
  s.irq_enabled = true;
  return s;
}

QueueStatus Firmware::AqicDisable(Apqn apqn) {
  MutexLock lock(mu_);
  QueueStatus s;
  QueueState* const q = ReadyLocked(apqn, QueueFunction::kAqic, &s);
  if (q == nullptr) return s;
  q->irq_enabled = false;
  q->nib = 0;
  q->gisa = {};
  return s;
}

std::vector<CardState> Firmware::Cards() const {
  MutexLock lock(mu_);
  std::vector<CardState> out;
  for (const auto& [apid, card] : cards_) {
    CardState state = card.state;
    if (card.fault_deconfigured) state.configured = false;
    out.push_back(state);
  }
  return out;
}

std::optional<CardState> Firmware::Card(uint8_t apid) const {
  MutexLock lock(mu_);
  auto it = cards_.find(apid);
  if (it == cards_.end()) return std::nullopt;
  CardState state = it->second.state;
  if (it->second.fault_deconfigured) state.configured = false;
  return state;
}

Status Firmware::AddAdapter(const CardSpec& spec) {
  ChangeCount::Scope change(changes_);
  MutexLock lock(mu_);
  if (spec.apid > qci_.na) {
    return Status::Error(
        EINVAL,
        fmt::format("adapter {:02x} is above na {:02x}", spec.apid, qci_.na));
  }
  if (cards_.count(spec.apid) != 0) {
    return Status::Error(EEXIST, fmt::format("adapter {:02x} is already in the "
                                             "host configuration",
                                             spec.apid));
  }
  CardRecord card;
  card.state.spec = spec;
  card.state.configured = spec.configured;
  cards_.emplace(spec.apid, card);
  qci_.apm.Set(spec.apid);
  return Status::Ok();
}

Status Firmware::RemoveAdapter(uint8_t apid) {
  ChangeCount::Scope change(changes_);
  MutexLock lock(mu_);
  if (cards_.erase(apid) == 0) return NoCard(apid);
  qci_.apm.Clear(apid);
  for (auto it = queues_.begin(); it != queues_.end();) {
    it = Apqn::FromQid(it->first).apid == apid ? queues_.erase(it) : ++it;
  }
  return Status::Ok();
}

namespace {

// Adds or removes `id` in `mask`, with the errors of the configuration API.
Status ChangeDomain(ApMask& mask, uint8_t id, uint8_t nd, bool add,
                    const char* what) {
  if (add && id > nd) {
    return Status::Error(
        EINVAL, fmt::format("{} {:02x} is above nd {:02x}", what, id, nd));
  }
  if (mask.Test(id) == add) {
    return Status::Error(add ? EEXIST : ENOENT,
                         fmt::format("{} {:02x} is {} the host configuration",
                                     what, id, add ? "already in" : "not in"));
  }
  mask.Assign(id, add);
  return Status::Ok();
}

}  // namespace

Status Firmware::AddUsageDomain(uint8_t apqi) {
  ChangeCount::Scope change(changes_);
  MutexLock lock(mu_);
  return ChangeDomain(qci_.aqm, apqi, qci_.nd, true, "usage domain");
}

Status Firmware::RemoveUsageDomain(uint8_t apqi) {
  ChangeCount::Scope change(changes_);
  MutexLock lock(mu_);
  VAP_RETURN_IF_ERROR(
      ChangeDomain(qci_.aqm, apqi, qci_.nd, false, "usage domain"));
  for (auto it = queues_.begin(); it != queues_.end();) {
    it = Apqn::FromQid(it->first).apqi == apqi ? queues_.erase(it) : ++it;
  }
  return Status::Ok();
}

Status Firmware::AddControlDomain(uint8_t domain) {
  ChangeCount::Scope change(changes_);
  MutexLock lock(mu_);
  return ChangeDomain(qci_.adm, domain, qci_.nd, true, "control domain");
}

Status Firmware::RemoveControlDomain(uint8_t domain) {
  ChangeCount::Scope change(changes_);
  MutexLock lock(mu_);
  return ChangeDomain(qci_.adm, domain, qci_.nd, false, "control domain");
}

Status Firmware::SetAdapterConfigured(uint8_t apid, bool configured) {
  ChangeCount::Scope change(changes_);
  MutexLock lock(mu_);
  auto it = cards_.find(apid);
  if (it == cards_.end()) return NoCard(apid);
  it->second.state.configured = configured;
  if (!configured) DropIrqsLocked(apid, std::nullopt);
  return Status::Ok();
}

// A checkstopped or deconfigured adapter (or queue) has lost its queues'
// state: their interrupts are off, and come back off when it recovers
// (a configuration on zeroizes the queues).
void Firmware::DropIrqsLocked(uint8_t apid, std::optional<uint8_t> apqi) {
  for (auto& [qid, q] : queues_) {
    const Apqn a = Apqn::FromQid(static_cast<uint16_t>(qid));
    if (a.apid != apid || (apqi && a.apqi != *apqi)) continue;
    q.irq_enabled = false;
    q.nib = 0;
    q.gisa = {};
  }
}

Status Firmware::InjectFault(const Fault& fault) {
  ChangeCount::Scope change(changes_);
  MutexLock lock(mu_);
  auto it = cards_.find(fault.apid);
  if (it == cards_.end()) return NoCard(fault.apid);
  CardRecord& card = it->second;
  if ((fault.kind == FaultKind::kBusy || fault.kind == FaultKind::kAnswer) &&
      fault.count <= 0) {
    return Status::Error(EINVAL,
                         "a busy or answer fault needs a positive "
                         "count");
  }
  if (fault.kind == FaultKind::kAnswer && !fault.apqi) {
    return Status::Error(EINVAL, "an answer fault needs a queue");
  }
  if (fault.kind == FaultKind::kCheckstop ||
      fault.kind == FaultKind::kDeconfigure) {
    DropIrqsLocked(fault.apid, fault.apqi);
  }
  if (!fault.apqi) {
    switch (fault.kind) {
      case FaultKind::kCheckstop:
        card.state.checkstopped = true;
        return Status::Ok();
      case FaultKind::kDeconfigure:
        card.fault_deconfigured = true;
        return Status::Ok();
      case FaultKind::kBusy:
        card.busy = fault.count;
        return Status::Ok();
      case FaultKind::kAnswer:  // refused above
        return Status::Ok();
      case FaultKind::kResetNeverEnds:
        for (unsigned apqi : qci_.aqm.Ids()) {
          QueueLocked(Apqn(fault.apid, static_cast<uint8_t>(apqi)))
              .reset_never_ends = true;
        }
        return Status::Ok();
    }
  }
  QueueState& q = QueueLocked(Apqn(fault.apid, *fault.apqi));
  switch (fault.kind) {
    case FaultKind::kCheckstop:
      q.checkstopped = true;
      break;
    case FaultKind::kDeconfigure:
      q.deconfigured = true;
      break;
    case FaultKind::kBusy:
      q.busy = fault.count;
      break;
    case FaultKind::kResetNeverEnds:
      q.reset_never_ends = true;
      break;
    case FaultKind::kAnswer:
      q.answer_count = fault.count;
      q.answer_function = fault.function;
      q.answer_rc = fault.rc;
      break;
  }
  return Status::Ok();
}

Status Firmware::ClearFaults(uint8_t apid, std::optional<uint8_t> apqi) {
  ChangeCount::Scope change(changes_);
  MutexLock lock(mu_);
  auto it = cards_.find(apid);
  if (it == cards_.end()) return NoCard(apid);
  const auto clear_queue = [&](QueueState& q) {
    q.checkstopped = q.deconfigured = false;
    q.busy = 0;
    q.answer_count = 0;
    q.reset_never_ends = false;
    if (q.reset_until == Nanos::max()) q.reset_until = clock_.Now();
  };
  if (apqi) {
    auto q = queues_.find(Apqn(apid, *apqi).qid());
    if (q != queues_.end()) clear_queue(q->second);
    return Status::Ok();
  }
  it->second.state.checkstopped = false;
  it->second.fault_deconfigured = false;
  it->second.busy = 0;
  for (auto& [qid, q] : queues_) {
    if (Apqn::FromQid(qid).apid == apid) clear_queue(q);
  }
  return Status::Ok();
}

bool Firmware::RaiseInterrupt(Apqn apqn) {
  GisaTarget target;
  uint64_t nib;
  {
    MutexLock lock(mu_);
    auto q = queues_.find(apqn.qid());
    if (q == queues_.end() || !q->second.irq_enabled) return false;
    target = q->second.gisa;
    nib = q->second.nib;
  }
  // Outside the leaf lock: the GISA takes its own.
  if (target.gisa != nullptr) target.gisa->AdapterInterrupt(target.gisc, nib);
  return true;
}

bool Firmware::IrqEnabled(Apqn apqn) const {
  MutexLock lock(mu_);
  auto q = queues_.find(apqn.qid());
  return q != queues_.end() && q->second.irq_enabled;
}

bool Firmware::GuestIrqEnabled(Apqn apqn) const {
  MutexLock lock(mu_);
  auto q = queues_.find(apqn.qid());
  return q != queues_.end() && q->second.irq_enabled &&
         q->second.gisa.gisa != nullptr;
}

}  // namespace vap::ap
