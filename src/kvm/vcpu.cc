#include "kvm/vcpu.h"

#include <chrono>

namespace vap::kvm {

namespace {

// Time outside SIE between entries: keeps idle vCPUs from eating the
// machine while leaving many entries per publication.
constexpr auto kOutsideSie = std::chrono::microseconds(50);

}  // namespace

Vcpu::Vcpu(int id, const Crycb& crycb, VcpuObservations& observations,
           std::chrono::microseconds pause)
    : id_(id),
      crycb_(crycb),
      observations_(observations),
      pause_(pause.count() > 0 ? pause : kOutsideSie) {}

Vcpu::~Vcpu() { Stop(); }

void Vcpu::Start() {
  MutexLock lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Vcpu::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void Vcpu::Block() {
  MutexLock lock(mu_);
  blocked_ = true;
  while (in_sie_) cv_.Wait(mu_);  // kicked out; wait until it left SIE
}

void Vcpu::ClearBlocked() {
  MutexLock lock(mu_);
  blocked_ = false;
}

// A vCPU waiting in EnterSie either saw the cleared flag under mu_ or is
// waiting on cv_ and gets this signal: no wake-up is lost.
void Vcpu::Wake() { cv_.SignalAll(); }

bool Vcpu::EnterSie() {
  MutexLock lock(mu_);
  while (blocked_ && !stop_) cv_.Wait(mu_);
  if (stop_) return false;
  in_sie_ = true;
  return true;
}

void Vcpu::LeaveSie() {
  MutexLock lock(mu_);
  in_sie_ = false;
  cv_.SignalAll();
}

void Vcpu::Loop() {
  while (EnterSie()) {
    // In SIE: the machine checks the guest's AP instructions against the
    // APCB, read here as it would be.
    Crycb::Bytes image;
    const Crycb::ReadResult r = crycb_.ReadChecked(&image);
    ++observations_.reads;
    if (r == Crycb::ReadResult::kTorn) ++observations_.torn;
    LeaveSie();
    std::this_thread::sleep_for(pause_);
  }
}

}  // namespace vap::kvm
