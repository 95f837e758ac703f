// The CRYCB (the kernel's struct kvm_s390_crypto_cb, in
// arch/s390/include/asm/kvm_host_types.h): 256 bytes that the machine reads
// while a vCPU runs in SIE, without any lock. KVM writes it only while every
// vCPU is out of SIE (Guest's publication protocol), so a vCPU never reads a
// half-written APCB.
//
// To prove that rather than assume it, the CRYCB is a sequence lock: the
// writer makes the sequence odd while it writes and keeps the last images
// it published; a vCPU's checked read reports whether it saw exactly one
// published image. The bytes are atomics, so a deliberately broken
// publisher (the test switch that skips blocking) is caught by the check,
// not by a data race.
#ifndef VAP_KVM_CRYCB_H_
#define VAP_KVM_CRYCB_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <utility>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace vap::kvm {

class Crycb {
 public:
  using Bytes = std::array<uint8_t, 256>;

  Crycb();
  Crycb(const Crycb&) = delete;
  Crycb& operator=(const Crycb&) = delete;

  // One writer at a time (the caller holds kvm->lock), in two steps, so
  // that a publication records the image in the history before it blocks
  // the vCPUs and only stores it while they are blocked: Stage (the
  // history), then Commit (the words). With `slow`, Commit yields between
  // words, to give a reader every chance to see a torn image.
  void Stage(const Bytes& image) VAP_EXCLUDES(ring_mu_);
  void Commit(const Bytes& image, bool slow);
  // The current bytes (for a writer or a quiescent reader).
  Bytes Read() const;

  enum class ReadResult : uint8_t {
    kWhole,      // exactly the image of one publication
    kUnchecked,  // a stable image too old to compare (not a violation)
    kTorn,       // read during a write, or bytes of no publication
  };
  // A vCPU's read in SIE.
  ReadResult ReadChecked(Bytes* out) const VAP_EXCLUDES(ring_mu_);

 private:
  static constexpr size_t kRing = 64;

  static constexpr size_t kWords = sizeof(Bytes) / sizeof(uint64_t);
  // The 256 bytes as 32 words (host order, copied from and to Bytes).
  std::array<std::atomic<uint64_t>, kWords> words_;
  std::atomic<uint64_t> seq_{0};  // odd while a write is in progress
  // The last kRing images, by the (even) sequence they were published at;
  // rank kLeaf.
  mutable Mutex ring_mu_{LockRank::kLeaf, "crycb_history"};
  std::array<std::pair<uint64_t, Bytes>, kRing> ring_
      VAP_GUARDED_BY(ring_mu_){};
};

}  // namespace vap::kvm

#endif  // VAP_KVM_CRYCB_H_
