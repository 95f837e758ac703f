#include "kvm/guest.h"

#include <algorithm>
#include <cstring>

namespace vap::kvm {

namespace {

// CRYCB offsets (spec/guest.md 2.1).
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

void CopyBytes(std::array<uint8_t, 256>& crycb, size_t offset,
               const ApMask& mask, size_t count) {
  const std::array<uint8_t, 32> bytes = mask.BigEndianBytes();
  std::copy_n(bytes.begin(), count, crycb.begin() + static_cast<long>(offset));
}

ApMask ReadBytes(const std::array<uint8_t, 256>& crycb, size_t offset,
                 size_t count) {
  std::array<uint8_t, 32> bytes{};
  std::copy_n(crycb.begin() + static_cast<long>(offset), count, bytes.begin());
  return ApMask::FromBigEndianBytes(bytes);
}

}  // namespace

Guest::Guest(GuestOptions options)
    : options_(std::move(options)), format_(ChooseFormat(options_)) {}

void Guest::SetMasksLocked(const ApMask& apm, const ApMask& aqm,
                           const ApMask& adm) {
  kvm_mu_.AssertHeld();
  if (format_ == CrycbFormat::kFormat2) {
    CopyBytes(crycb_, kApcb1Apm, apm, 32);
    CopyBytes(crycb_, kApcb1Aqm, aqm, 32);
    CopyBytes(crycb_, kApcb1Adm, adm, 32);
  } else {
    // APCB0 takes the first 8 bytes of the APM and 2 of the AQM and ADM.
    CopyBytes(crycb_, kApcb0Apm, apm, 8);
    CopyBytes(crycb_, kApcb0Aqm, aqm, 2);
    CopyBytes(crycb_, kApcb0Adm, adm, 2);
  }
  ++publications_;
}

void Guest::ClearMasksLocked() {
  kvm_mu_.AssertHeld();
  std::fill_n(crycb_.begin() + kApcb0Apm, kApcb0Size, 0);
  std::fill_n(crycb_.begin() + kApcb1, kApcb1Size, 0);
  ++publications_;
}

ApMatrix Guest::ApcbLocked() const {
  if (format_ == CrycbFormat::kFormat2) {
    ApMatrix m(255, 255, 255);
    m.apm() = ReadBytes(crycb_, kApcb1Apm, 32);
    m.aqm() = ReadBytes(crycb_, kApcb1Aqm, 32);
    m.adm() = ReadBytes(crycb_, kApcb1Adm, 32);
    return m;
  }
  ApMatrix m(63, 15, 15);
  m.apm() = ReadBytes(crycb_, kApcb0Apm, 8);
  m.aqm() = ReadBytes(crycb_, kApcb0Aqm, 2);
  m.adm() = ReadBytes(crycb_, kApcb0Adm, 2);
  return m;
}

ApMatrix Guest::Apcb() const {
  MutexLock lock(kvm_mu_);
  return ApcbLocked();
}

std::array<uint8_t, 256> Guest::Crycb() const {
  MutexLock lock(kvm_mu_);
  return crycb_;
}

uint64_t Guest::publications() const {
  MutexLock lock(kvm_mu_);
  return publications_;
}

}  // namespace vap::kvm
