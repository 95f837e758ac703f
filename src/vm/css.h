// The part of QEMU's channel subsystem that tells a guest its AP
// configuration changed (vfio_ap_cfg_chg_notifier_handler() and
// ap_chsc_sei_nt0_get_event() in QEMU's hw/vfio/ap.c, css_generate_css_crws()
// in hw/s390x/css.c): an event FIFO, channel report words (CRWs) and CHSC
// Store-Event-Information (SEI) answering with "NT0" blocks.
//
// When vfio-ap's config-change eventfd fires, QEMU appends one event and,
// unless an SEI is already pending, queues a CRW with RSC 0xB (channel
// subsystem) and ERC 0 (event information pending). The guest's CRW
// handler then issues SEI until no event is left; each returns one NT0
// block with rs 5 (AP) and cc 3 (AP configuration changed).
//
// Thread safety: all methods may be called concurrently; one leaf lock.
#ifndef VAP_VM_CSS_H_
#define VAP_VM_CSS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace vap::vm {

inline constexpr uint8_t kCrwRscCss = 0xb;
inline constexpr uint8_t kCrwErcEvent = 0x0;
inline constexpr uint16_t kChscResponseOk = 0x0001;
inline constexpr uint16_t kChscResponseNoEvent = 0x0005;
inline constexpr uint8_t kSeiFlagMorePending = 0x80;
inline constexpr uint8_t kNt0RsAp = 5;
inline constexpr uint8_t kNt0CcApConfigChanged = 3;

// A channel report word: flags (S, R, C, RSC, A, ERC) and the RSID.
struct Crw {
  uint16_t flags = 0;
  uint16_t rsid = 0;
  uint8_t rsc() const { return (flags >> 8) & 0x0f; }
  uint8_t erc() const { return flags & 0x3f; }
};

// What CHSC SEI stores: the response code and, with 0x0001, the 12-byte
// NT0 block (length, code, nt, flags, rs, cc at their offsets).
struct SeiResponse {
  uint16_t response_code = kChscResponseNoEvent;
  std::array<uint8_t, 12> nt0{};
  bool more_pending() const { return (nt0[8] & kSeiFlagMorePending) != 0; }
  uint8_t rs() const { return nt0[10]; }
  uint8_t cc() const { return nt0[11]; }
};

class ChannelSubsystem {
 public:
  // Events kept for the guest at most; a config change arriving while the
  // FIFO is full is dropped: an identical event is already waiting
  // (QEMU's list has no bound; docs/fidelity.md).
  static constexpr size_t kMaxEvents = 256;

  ChannelSubsystem() = default;
  ChannelSubsystem(const ChannelSubsystem&) = delete;
  ChannelSubsystem& operator=(const ChannelSubsystem&) = delete;

  // s390_ap_config_changed handling: one event, a CRW unless SEI pending.
  void ApConfigChanged() VAP_EXCLUDES(mu_);
  // STCRW: the oldest pending CRW, or none (condition code 1).
  std::optional<Crw> StoreCrw() VAP_EXCLUDES(mu_);
  // CHSC Store-Event-Information.
  SeiResponse StoreEventInformation() VAP_EXCLUDES(mu_);

  size_t pending_events() const VAP_EXCLUDES(mu_);
  bool sei_pending() const VAP_EXCLUDES(mu_);

 private:
  mutable Mutex mu_{LockRank::kLeaf, "qemu_css"};
  size_t events_ VAP_GUARDED_BY(mu_) = 0;  // all alike: "AP config changed"
  bool sei_pending_ VAP_GUARDED_BY(mu_) = false;
  std::deque<Crw> crws_ VAP_GUARDED_BY(mu_);
};

}  // namespace vap::vm

#endif  // VAP_VM_CSS_H_
