#include "kvm/guest.h"

#include <algorithm>
#include <cstring>

namespace vap::kvm {

namespace {

// CRYCB offsets (struct kvm_s390_crypto_cb, kvm_s390_apcb0 and
// kvm_s390_apcb1 in arch/s390/include/asm/kvm_host_types.h).
constexpr size_t kApcb0Apm = 0x00;
constexpr size_t kApcb0Aqm = 0x08;
constexpr size_t kApcb0Adm = 0x10;
constexpr size_t kApcb0Size = 0x20;
constexpr size_t kApcb1 = 0x80;
constexpr size_t kApcb1Apm = kApcb1 + 0x00;
constexpr size_t kApcb1Aqm = kApcb1 + 0x20;
constexpr size_t kApcb1Adm = kApcb1 + 0x40;
constexpr size_t kApcb1Size = 0x80;

CrycbFormat ChooseFormat(const GuestOptions& o) {
  if (!o.facility76) return CrycbFormat::kFormat0;
  return o.host_apxa ? CrycbFormat::kFormat2 : CrycbFormat::kFormat1;
}

void CopyBytes(Crycb::Bytes& crycb, size_t offset, const ApMask& mask,
               size_t count) {
  const std::array<uint8_t, 32> bytes = mask.BigEndianBytes();
  std::copy_n(bytes.begin(), count, crycb.begin() + static_cast<long>(offset));
}

ApMask ReadBytes(const Crycb::Bytes& crycb, size_t offset, size_t count) {
  std::array<uint8_t, 32> bytes{};
  std::copy_n(crycb.begin() + static_cast<long>(offset), count, bytes.begin());
  return ApMask::FromBigEndianBytes(bytes);
}

}  // namespace

Guest::Guest(GuestOptions options)
    : options_(std::move(options)), format_(ChooseFormat(options_)) {}

Guest::~Guest() { StopVcpus(); }

void Guest::PublishLocked(const Crycb::Bytes& image) {
  kvm_mu_.AssertHeld();
  crycb_.Stage(image);  // the torn-read check's history, before blocking
  const auto start = std::chrono::steady_clock::now();
  // 1. Block all vCPUs: each leaves SIE and cannot re-enter.
  if (!unblocked_publish_) {
    for (auto& v : vcpus_) v->Block();
  }
  // 2. Write the masks.
  crycb_.Commit(image, /*slow=*/unblocked_publish_);
  // 3. VSIE restart, so nested guests rebuild their shadow CRYCB.
  for (auto& v : vcpus_) v->RequestVsieRestart();
  // 4. Unblock.
  if (!unblocked_publish_) {
    for (auto& v : vcpus_) v->ClearBlocked();
  }
  last_blocked_ = std::chrono::steady_clock::now() - start;
  if (!unblocked_publish_) {
    for (auto& v : vcpus_) v->Wake();
  }
  ++publications_;
}

std::chrono::nanoseconds Guest::BlockRoundTripLocked() {
  kvm_mu_.AssertHeld();
  const auto start = std::chrono::steady_clock::now();
  for (auto& v : vcpus_) v->Block();
  for (auto& v : vcpus_) v->ClearBlocked();
  const auto blocked = std::chrono::steady_clock::now() - start;
  for (auto& v : vcpus_) v->Wake();
  return blocked;
}

std::chrono::nanoseconds Guest::last_blocked() const {
  MutexLock lock(kvm_mu_);
  return last_blocked_;
}

void Guest::SetMasksLocked(const ApMask& apm, const ApMask& aqm,
                           const ApMask& adm) {
  Crycb::Bytes image = crycb_.Read();
  if (format_ == CrycbFormat::kFormat2) {
    CopyBytes(image, kApcb1Apm, apm, 32);
    CopyBytes(image, kApcb1Aqm, aqm, 32);
    CopyBytes(image, kApcb1Adm, adm, 32);
  } else {
    // APCB0 takes the first 8 bytes of the APM and 2 of the AQM and ADM.
    CopyBytes(image, kApcb0Apm, apm, 8);
    CopyBytes(image, kApcb0Aqm, aqm, 2);
    CopyBytes(image, kApcb0Adm, adm, 2);
  }
  PublishLocked(image);
}

void Guest::ClearMasksLocked() {
  Crycb::Bytes image = crycb_.Read();
  std::fill_n(image.begin() + kApcb0Apm, kApcb0Size, 0);
  std::fill_n(image.begin() + kApcb1, kApcb1Size, 0);
  PublishLocked(image);
}

ApMatrix Guest::ApcbLocked() const { return DecodeApcb(); }

ApMatrix Guest::PublishedApcb() const { return DecodeApcb(); }

ApMatrix Guest::DecodeApcb() const {
  const Crycb::Bytes crycb = crycb_.Read();
  if (format_ == CrycbFormat::kFormat2) {
    ApMatrix m(255, 255, 255);
    m.apm() = ReadBytes(crycb, kApcb1Apm, 32);
    m.aqm() = ReadBytes(crycb, kApcb1Aqm, 32);
    m.adm() = ReadBytes(crycb, kApcb1Adm, 32);
    return m;
  }
  ApMatrix m(63, 15, 15);
  m.apm() = ReadBytes(crycb, kApcb0Apm, 8);
  m.aqm() = ReadBytes(crycb, kApcb0Aqm, 2);
  m.adm() = ReadBytes(crycb, kApcb0Adm, 2);
  return m;
}

void Guest::StartVcpus(int count) {
  MutexLock lock(kvm_mu_);
  if (!vcpus_.empty()) return;
  for (int i = 0; i < count; ++i) {
    vcpus_.push_back(std::make_unique<Vcpu>(i, crycb_, observations_,
                                            options_.vcpu_pause));
    vcpus_.back()->Start();
  }
}

void Guest::StopVcpus() {
  std::vector<std::unique_ptr<Vcpu>> vcpus;
  {
    MutexLock lock(kvm_mu_);
    vcpus.swap(vcpus_);
  }
  for (auto& v : vcpus) v->Stop();
}

void Guest::TEST_PublishWithoutBlocking(bool on) {
  MutexLock lock(kvm_mu_);
  unblocked_publish_ = on;
}

ApMatrix Guest::Apcb() const {
  MutexLock lock(kvm_mu_);
  return ApcbLocked();
}

std::array<uint8_t, 256> Guest::CrycbBytes() const {
  MutexLock lock(kvm_mu_);
  return crycb_.Read();
}

uint64_t Guest::publications() const {
  MutexLock lock(kvm_mu_);
  return publications_;
}

}  // namespace vap::kvm
