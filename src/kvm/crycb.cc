#include "kvm/crycb.h"

#include <cstring>
#include <thread>

namespace vap::kvm {

Crycb::Crycb() {
  for (auto& w : words_) w.store(0, std::memory_order_relaxed);
  MutexLock lock(ring_mu_);
  ring_[0] = {0, Bytes{}};
}

void Crycb::Stage(const Bytes& image) {
  // Record the image first, so a reader that sees it can find it.
  const uint64_t seq = seq_.load(std::memory_order_relaxed);
  MutexLock lock(ring_mu_);
  ring_[((seq + 2) / 2) % kRing] = {seq + 2, image};
}

void Crycb::Commit(const Bytes& image, bool slow) {
  const uint64_t seq = seq_.load(std::memory_order_relaxed);
  // Sequence lock without fences (gcc's TSan cannot see them): each word
  // is stored with release, so a reader that sees it also sees the odd
  // sequence stored before it.
  seq_.store(seq + 1, std::memory_order_relaxed);
  for (size_t i = 0; i < kWords; ++i) {
    uint64_t w;
    std::memcpy(&w, image.data() + i * sizeof w, sizeof w);
    // Only the words that change are stored (the masks are a few of the
    // 32): no cache line the vCPUs read is taken from them for nothing.
    if (!slow && words_[i].load(std::memory_order_relaxed) == w) continue;
    words_[i].store(w, std::memory_order_release);
    if (slow) std::this_thread::yield();
  }
  seq_.store(seq + 2, std::memory_order_release);
}

Crycb::Bytes Crycb::Read() const {
  Bytes out;
  for (size_t i = 0; i < kWords; ++i) {
    const uint64_t w = words_[i].load(std::memory_order_acquire);
    std::memcpy(out.data() + i * sizeof w, &w, sizeof w);
  }
  return out;
}

Crycb::ReadResult Crycb::ReadChecked(Bytes* out) const {
  const uint64_t before = seq_.load(std::memory_order_acquire);
  *out = Read();  // acquire loads: a byte of a later write makes `after` newer
  const uint64_t after = seq_.load(std::memory_order_relaxed);
  if (before != after || before % 2 != 0) return ReadResult::kTorn;
  MutexLock lock(ring_mu_);
  const auto& [seq, image] = ring_[(before / 2) % kRing];
  if (seq != before) return ReadResult::kUnchecked;
  return image == *out ? ReadResult::kWhole : ReadResult::kTorn;
}

}  // namespace vap::kvm
