// A vCPU thread of a guest: it loops entering SIE, where the machine
// reads the CRYCB for the guest's AP instructions, and leaving it
// (kvm_s390_vcpu_block_all() in arch/s390/kvm/kvm-s390.c is the other
// side). KVM's publication blocks every vCPU first: a blocked vCPU
// cannot enter SIE, and blocking waits until it has left.
#ifndef VAP_KVM_VCPU_H_
#define VAP_KVM_VCPU_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "kvm/crycb.h"

namespace vap::kvm {

// What every vCPU of a guest saw, for the invariant checks (I1).
struct VcpuObservations {
  std::atomic<uint64_t> reads{0};  // CRYCB reads in SIE
  std::atomic<uint64_t> torn{0};   // reads that saw no whole image
  // Counted by the publisher inside the blocked window: on a cache line of
  // its own, so that it never waits for the line the vCPUs count reads on.
  alignas(64) std::atomic<uint64_t> vsie_restarts{0};
};

class Vcpu {
 public:
  // `pause`: time outside SIE between two entries (0: the default, 50 us).
  Vcpu(int id, const Crycb& crycb, VcpuObservations& observations,
       std::chrono::microseconds pause = {});
  ~Vcpu();
  Vcpu(const Vcpu&) = delete;
  Vcpu& operator=(const Vcpu&) = delete;

  void Start() VAP_EXCLUDES(mu_);
  void Stop() VAP_EXCLUDES(mu_);

  // kvm_s390_vcpu_block + the wait for it to leave SIE.
  void Block() VAP_EXCLUDES(mu_);
  // The unblock, in two steps, so that a guest unblocks all its vCPUs
  // before it wakes any (a woken vCPU thread could otherwise preempt the
  // one still unblocking the others): clear the flag, then wake.
  void ClearBlocked() VAP_EXCLUDES(mu_);
  void Wake();
  // KVM_REQ_VSIE_RESTART: counted; the request carries no work.
  void RequestVsieRestart() { ++observations_.vsie_restarts; }

  int id() const { return id_; }

 private:
  void Loop() VAP_EXCLUDES(mu_);
  // Waits until the vCPU may enter SIE, and enters; false when stopping.
  bool EnterSie() VAP_EXCLUDES(mu_);
  void LeaveSie() VAP_EXCLUDES(mu_);

  const int id_;
  const Crycb& crycb_;
  VcpuObservations& observations_;
  const std::chrono::microseconds pause_;
  // The vCPU's run state; rank kLeaf.
  Mutex mu_{LockRank::kLeaf, "vcpu"};
  CondVar cv_;
  bool blocked_ VAP_GUARDED_BY(mu_) = false;
  bool in_sie_ VAP_GUARDED_BY(mu_) = false;
  bool stop_ VAP_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace vap::kvm

#endif  // VAP_KVM_VCPU_H_
