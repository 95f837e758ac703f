// ApBus: construction, drivers, queries, the scan worker and the small
// bus attributes. Binding is in ap_bus_binding.cc, scans in ap_bus_scan.cc.
#include "apbus/ap_bus.h"

#include <fmt/format.h>

#include <cerrno>

#include "matrix/kernel_number.h"

namespace vap::apbus {

ApBus::ApBus(ap::Firmware& firmware, Logger& log, const Clock& clock)
    : ApBus(firmware, firmware, log, clock, HostIrq{}, kHostRanks) {}

ApBus::ApBus(ap::ApInstructions& machine, ap::Firmware& firmware, Logger& log,
             const Clock& clock, HostIrq irq)
    : ApBus(machine, firmware, log, clock, irq, kGuestRanks) {}

ApBus::ApBus(ap::ApInstructions& machine, ap::Firmware& firmware, Logger& log,
             const Clock& clock, HostIrq irq, const Ranks& ranks)
    : machine_(machine),
      firmware_(firmware),
      log_(log),
      clock_(clock),
      scan_mu_(ranks.scan, "ap_scan_bus_mutex"),
      attr_mu_(ranks.attr, "ap_attr_mutex"),
      sm_mu_(ranks.queue, "ap_queue_lock"),
      host_irq_(irq),
      poll_mu_(ranks.poll, "ap_poll_timer_lock") {
  std::optional<ap::QciInfo> qci = machine_.QueryConfig();
  if (qci) {
    max_adapter_id_ = qci->BusMaxAdapterId();
    max_domain_id_ = qci->BusMaxDomainId();
  }
  MutexLock lock(devices_mu_);
  qci_ = qci;
}

ApBus::~ApBus() { StopWorkers(); }

void ApBus::StopWorkers() {
  {
    MutexLock lock(worker_mu_);
    worker_stop_ = true;
  }
  worker_cv_.SignalAll();
  if (worker_.joinable()) worker_.join();
  {
    MutexLock lock(poll_mu_);
    poll_stop_ = true;
  }
  poll_cv_.SignalAll();
  if (poller_.joinable()) poller_.join();
}

void ApBus::AddObserver(BusObserver& observer) {
  MutexLock lock(scan_mu_);
  observers_.push_back(&observer);
}

Status ApBus::RegisterDriver(ApDriver& drv) {
  MutexLock scan(scan_mu_);
  std::vector<ApDevice> unbound;
  {
    MutexLock lock(devices_mu_);
    if (FindDriverLocked(drv.name()) != nullptr) {
      return Status::Error(
          EEXIST, fmt::format("driver {} is already registered", drv.name()));
    }
    drivers_.push_back(&drv);
    for (const auto& [apid, card] : cards_) {
      if (card.driver == nullptr) unbound.push_back(card.dev);
      for (const auto& [apqi, queue] : card.queues) {
        if (queue.driver == nullptr) unbound.push_back(queue.dev);
      }
    }
  }
  for (BusObserver* o : observers_) o->OnDriverRegistered(drv);
  // bus_add_driver(): driver_attach() only with drivers_autoprobe on.
  if (!drivers_autoprobe()) unbound.clear();
  for (const ApDevice& dev : unbound) {
    // A device the driver refuses stays unbound (driver_attach()).
    if (drv.Matches(dev)) (void)ProbeLocked(dev, drv);
  }
  CheckBindingsCompleteLocked();  // ap_driver_register()
  return Status::Ok();
}

bool ApBus::drivers_autoprobe() const {
  MutexLock lock(devices_mu_);
  return drivers_autoprobe_;
}

void ApBus::SetDriversAutoprobe(bool on) {
  MutexLock lock(devices_mu_);
  if (drivers_autoprobe_ == on) return;
  ChangeCount::Scope change(changes_);
  drivers_autoprobe_ = on;
}

uint64_t ApBus::bindings_complete_count() const {
  MutexLock lock(devices_mu_);
  return bindings_complete_count_;
}

void ApBus::SendChangeEvent(const ApDevice* dev,
                            std::vector<std::string> env) {
  MutexLock scan(scan_mu_);
  ChangeEventLocked(dev, env);
}

void ApBus::ChangeEventLocked(const ApDevice* dev,
                              const std::vector<std::string>& env) {
  for (BusObserver* o : observers_) o->OnChangeEvent(dev, env);
}

void ApBus::CheckBindingsCompleteLocked() {
  uint64_t count = 0;
  {
    MutexLock lock(devices_mu_);
    if (scans_ == 0 || !bindings_armed_) return;
    for (const auto& [apid, card] : cards_) {
      for (const auto& [apqi, queue] : card.queues) {
        if (queue.driver == nullptr) return;
      }
    }
    bindings_armed_ = false;
    count = ++bindings_complete_count_;
  }
  ChangeEventLocked(nullptr, {"BINDINGS=complete",
                              fmt::format("COMPLETECOUNT={}", count)});
}

std::vector<std::string> ApBus::DriverNames() const {
  MutexLock lock(devices_mu_);
  std::vector<std::string> out;
  for (const ApDriver* d : drivers_) out.emplace_back(d->name());
  return out;
}

ApDriver* ApBus::FindDriverLocked(std::string_view name) const {
  for (ApDriver* d : drivers_) {
    if (d->name() == name) return d;
  }
  return nullptr;
}

void ApBus::Scan() {
  MutexLock scan(scan_mu_);
  ScanLocked();
}

bool ApBus::ForceRescan() {
  if (scans() == 0) return false;
  if (scan_mu_.TryLock()) {
    ScanLocked();
    scan_mu_.Unlock();
    return true;
  }
  MutexLock running(scan_mu_);  // the scan that runs, to its end
  return false;
}

uint64_t ApBus::scans() const {
  MutexLock lock(devices_mu_);
  return scans_;
}

void ApBus::StartScanWorker() {
  MutexLock lock(worker_mu_);
  if (worker_.joinable()) return;
  worker_ = std::thread([this] { WorkerLoop(); });
}

void ApBus::RequestScan() {
  {
    MutexLock lock(worker_mu_);
    scan_requested_ = true;
  }
  worker_cv_.SignalAll();
}

void ApBus::WorkerLoop() {
  while (WaitForScanRequest()) Scan();
}

bool ApBus::WaitForScanRequest() {
  MutexLock lock(worker_mu_);
  for (;;) {
    const int period = config_time_;
    const Nanos deadline = clock_.Now() + std::chrono::seconds(period);
    while (!worker_stop_ && !scan_requested_ && config_time_ == period &&
           clock_.Now() < deadline) {
      (void)clock_.WaitUntil(worker_cv_, worker_mu_, deadline);
    }
    if (worker_stop_) return false;
    if (scan_requested_ || config_time_ == period) break;
    // config_time changed: re-arm the timer without scanning.
  }
  scan_requested_ = false;
  return true;
}

ApMask ApBus::apmask() const {
  MutexLock lock(attr_mu_);
  return apmask_;
}

ApMask ApBus::aqmask() const {
  MutexLock lock(attr_mu_);
  return aqmask_;
}

ApDevice ApBus::SnapshotLocked(const ApDevice& dev, const ApDriver* drv) const {
  ApDevice out = dev;
  out.driver = drv == nullptr ? "" : std::string(drv->name());
  return out;
}

std::vector<ApDevice> ApBus::Cards() const {
  MutexLock lock(devices_mu_);
  std::vector<ApDevice> out;
  for (const auto& [apid, card] : cards_) {
    out.push_back(SnapshotLocked(card.dev, card.driver));
  }
  return out;
}

std::vector<ApDevice> ApBus::Queues() const {
  MutexLock lock(devices_mu_);
  std::vector<ApDevice> out;
  for (const auto& [apid, card] : cards_) {
    for (const auto& [apqi, q] : card.queues) {
      out.push_back(SnapshotLocked(q.dev, q.driver));
    }
  }
  return out;
}

std::vector<ApDevice> ApBus::QueuesOfCard(uint8_t apid) const {
  MutexLock lock(devices_mu_);
  std::vector<ApDevice> out;
  auto card = cards_.find(apid);
  if (card == cards_.end()) return out;
  for (const auto& [apqi, q] : card->second.queues) {
    out.push_back(SnapshotLocked(q.dev, q.driver));
  }
  return out;
}

std::optional<ApDevice> ApBus::Card(uint8_t apid) const {
  MutexLock lock(devices_mu_);
  auto card = cards_.find(apid);
  if (card == cards_.end()) return std::nullopt;
  return SnapshotLocked(card->second.dev, card->second.driver);
}

std::optional<ApDevice> ApBus::Queue(Apqn apqn) const {
  MutexLock lock(devices_mu_);
  auto card = cards_.find(apqn.apid);
  if (card == cards_.end()) return std::nullopt;
  auto q = card->second.queues.find(apqn.apqi);
  if (q == card->second.queues.end()) return std::nullopt;
  return SnapshotLocked(q->second.dev, q->second.driver);
}

std::optional<ApDevice> ApBus::DeviceLocked(std::string_view name) const {
  if (name.substr(0, 4) == "card" && name.size() == 6) {
    for (const auto& [apid, card] : cards_) {
      if (card.dev.Name() == name) return SnapshotLocked(card.dev, card.driver);
    }
    return std::nullopt;
  }
  Result<Apqn> apqn = Apqn::Parse(name);
  // Device names are lowercase; "05.00AB" names no device.
  if (!apqn.ok() || apqn->ToString() != name) return std::nullopt;
  auto card = cards_.find(apqn->apid);
  if (card == cards_.end()) return std::nullopt;
  auto q = card->second.queues.find(apqn->apqi);
  if (q == card->second.queues.end()) return std::nullopt;
  return SnapshotLocked(q->second.dev, q->second.driver);
}

std::optional<ApDevice> ApBus::Device(std::string_view name) const {
  MutexLock lock(devices_mu_);
  return DeviceLocked(name);
}

std::vector<ApDevice> ApBus::DevicesOf(std::string_view driver) const {
  MutexLock lock(devices_mu_);
  std::vector<ApDevice> out;
  for (const auto& [apid, card] : cards_) {
    if (card.driver != nullptr && card.driver->name() == driver) {
      out.push_back(SnapshotLocked(card.dev, card.driver));
    }
    for (const auto& [apqi, q] : card.queues) {
      if (q.driver != nullptr && q.driver->name() == driver) {
        out.push_back(SnapshotLocked(q.dev, q.driver));
      }
    }
  }
  return out;
}

Bindings ApBus::BindingsLocked() const {
  Bindings b;
  for (const auto& [apid, card] : cards_) {
    for (const auto& [apqi, q] : card.queues) {
      ++b.total;
      if (q.driver != nullptr) ++b.bound;
    }
  }
  b.complete = scans_ >= 1 && b.bound == b.total;
  return b;
}

Bindings ApBus::bindings() const {
  MutexLock lock(devices_mu_);
  return BindingsLocked();
}

std::optional<ap::QciInfo> ApBus::qci() const {
  MutexLock lock(devices_mu_);
  return qci_;
}

int ApBus::ap_domain() const {
  MutexLock lock(devices_mu_);
  return ap_domain_;
}

Status ApBus::SetApDomain(std::string_view buf) {
  // sscanf(buf, "%i") in ap_domain_store().
  const Result<int> parsed = ScanfInt(buf, 0);
  if (!parsed.ok() || *parsed < 0 || *parsed > max_domain_id_)
    return Status::Error(EINVAL, "not a valid domain");
  const int domain = *parsed;
  {
    MutexLock lock(attr_mu_);
    if (!aqmask_.Test(static_cast<unsigned>(domain))) {
      return Status::Error(EINVAL, "domain is not in aqmask");
    }
  }
  ChangeCount::Scope change(changes_);
  MutexLock lock(devices_mu_);
  ap_domain_ = domain;
  return Status::Ok();
}

int ApBus::config_time() const {
  MutexLock lock(worker_mu_);
  return config_time_;
}

Status ApBus::SetConfigTime(std::string_view buf) {
  // sscanf(buf, "%d") in config_time_store().
  const Result<int> parsed = ScanfInt(buf, 10);
  if (!parsed.ok() || *parsed < 5 || *parsed > 120)
    return Status::Error(EINVAL, "config_time takes 5..120 seconds");
  const int seconds = *parsed;
  {
    ChangeCount::Scope change(changes_);
    MutexLock lock(worker_mu_);
    config_time_ = seconds;
  }
  worker_cv_.SignalAll();  // re-arm the timer
  return Status::Ok();
}

}  // namespace vap::apbus
