// The AP firmware of one host: its configuration (what PQAP(QCI) reports),
// its cards, and one queue per configured (adapter, usage domain), each a
// small state machine answering TAPQ, RAPQ, ZAPQ and AQIC with the
// architected status word (struct ap_queue_status and the
// ap_tapq()/ap_zapq()/ap_aqic() wrappers in arch/s390/include/asm/ap.h).
//
// Queue state machine (every function first checks, in order):
//   adapter or domain not in the configuration      -> RC 0x01
//   card checkstopped (fault)                       -> RC 0x04
//   card deconfigured (SCLP, or fault)              -> RC 0x03
//   queue checkstopped / deconfigured (fault)       -> RC 0x04 / 0x03
//   "busy for the next N calls" fault, N > 0        -> RC 0x05, N -= 1
//   "answer R to the next N calls of F" fault       -> RC R, N -= 1
// then:
//   TAPQ  reset in progress -> RC 0x02; else RC 0x00, E = 1, I = enabled.
//   RAPQ/ZAPQ  reset in progress -> RC 0x02 (nothing changes); else RC
//         0x00: interrupts are disabled and the queue stays "reset in
//         progress" for reset_duration() of model time (20 ms by default,
//         as on hardware), or for ever with the "reset never completes"
//         fault.
//   AQIC enable  reset in progress -> 0x02; NIB address 0 -> 0x06; else
//         RC 0x00 and I = 1 (again: the new NIB and ISC replace the old).
//   AQIC disable  reset in progress -> 0x02; else RC 0x00 and I = 0.
//   An adapter interrupt (RaiseInterrupt) reaches the guest's GISA named
//   at enable, if the queue's interrupts are enabled.
// Queues are created in their idle state (empty, interrupts off) when
// their adapter and domain are both configured, and forgotten when either
// leaves the configuration.
//
// Thread safety: every method may be called from any thread; one leaf
// lock (docs/locking.md). An adapter interrupt is delivered after it is
// released. Time comes from the injected Clock.
#ifndef VAP_AP_FIRMWARE_H_
#define VAP_AP_FIRMWARE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ap/ap_instructions.h"
#include "ap/card_type.h"
#include "ap/profile.h"
#include "ap/qci.h"
#include "ap/queue_status.h"
#include "base/change_count.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "matrix/apqn.h"

namespace vap::ap {

// Where the machine makes an adapter interrupt pending for a guest: its
// GISA (kvm::Gisa). Called with no firmware lock held.
class InterruptSink {
 public:
  virtual ~InterruptSink() = default;
  // The queue's notification-indicator byte at `nib` was set and guest
  // ISC `gisc` made pending.
  virtual void AdapterInterrupt(uint8_t gisc, uint64_t nib) = 0;
};

// The GISA controls of an AQIC enable: whose GISA, which guest ISC. The
// firmware shares the GISA, so an interrupt in flight when the queue is
// disabled (or its guest goes) lands in live memory.
struct GisaTarget {
  std::shared_ptr<InterruptSink> gisa;
  uint8_t gisc = 0;
};

// What the card model reports besides queue answers.
struct CardState {
  CardSpec spec;
  bool configured = true;     // SCLP state; `config` in sysfs
  bool checkstopped = false;  // `chkstop` in sysfs
};

enum class FaultKind : uint8_t {
  kCheckstop,       // every function answers RC 0x04
  kDeconfigure,     // every function answers RC 0x03
  kResetNeverEnds,  // the next reset stays in progress until cleared
  kBusy,            // the next `count` functions answer RC 0x05
  kAnswer,          // the next `count` calls of `function` answer `rc`
};

// The queue functions a kAnswer fault can target.
enum class QueueFunction : uint8_t { kTapq, kRapq, kZapq, kAqic };

struct Fault {
  FaultKind kind;
  uint8_t apid = 0;
  std::optional<uint8_t> apqi;                    // none: the whole card
  int count = 1;                                  // kBusy and kAnswer
  QueueFunction function = QueueFunction::kTapq;  // kAnswer only
  uint8_t rc = 0;                                 // kAnswer only
};

class Firmware : public ApInstructions {
 public:
  static constexpr Nanos kResetDuration = std::chrono::milliseconds(20);

  // `clock` must outlive the firmware.
  Firmware(const Clock& clock, const HostProfile& profile);
  Firmware(const Firmware&) = delete;
  Firmware& operator=(const Firmware&) = delete;

  // PQAP(QCI): none if the host has no QCI facility (facility 12).
  std::optional<QciInfo> Qci() const VAP_EXCLUDES(mu_);

  // The AP queue functions.
  TapqResult Tapq(Apqn apqn) VAP_EXCLUDES(mu_);
  QueueStatus Rapq(Apqn apqn) VAP_EXCLUDES(mu_);
  QueueStatus Zapq(Apqn apqn) VAP_EXCLUDES(mu_);
  QueueStatus AqicEnable(Apqn apqn, uint8_t isc, uint64_t nib,
                         GisaTarget gisa = {}) VAP_EXCLUDES(mu_);
  QueueStatus AqicDisable(Apqn apqn) VAP_EXCLUDES(mu_);

  // ApInstructions: the host's own AP bus issues these.
  std::optional<QciInfo> QueryConfig() override { return Qci(); }
  TapqResult TestQueue(Apqn apqn) override { return Tapq(apqn); }
  QueueStatus ResetQueue(Apqn apqn) override { return Rapq(apqn); }
  QueueStatus ZeroizeQueue(Apqn apqn) override { return Zapq(apqn); }
  QueueStatus EnableInterrupts(Apqn apqn, uint8_t isc, uint64_t nib) override {
    return AqicEnable(apqn, isc, nib);
  }
  Status ConfigureAdapter(uint8_t apid, bool configured) override {
    return SetAdapterConfigured(apid, configured);
  }

  // Cards in the configuration, by APID.
  std::vector<CardState> Cards() const VAP_EXCLUDES(mu_);
  std::optional<CardState> Card(uint8_t apid) const VAP_EXCLUDES(mu_);

  // --- Host configuration (the HMC and SCLP). None of these scans the AP
  // bus; the bus notices at its next scan, as the kernel does.
  // EEXIST if present, EINVAL if above na / nd.
  Status AddAdapter(const CardSpec& card) VAP_EXCLUDES(mu_);
  Status AddUsageDomain(uint8_t apqi) VAP_EXCLUDES(mu_);
  Status AddControlDomain(uint8_t domain) VAP_EXCLUDES(mu_);
  // ENOENT if absent.
  Status RemoveAdapter(uint8_t apid) VAP_EXCLUDES(mu_);
  Status RemoveUsageDomain(uint8_t apqi) VAP_EXCLUDES(mu_);
  Status RemoveControlDomain(uint8_t domain) VAP_EXCLUDES(mu_);
  // SCLP configure / deconfigure of a card (the card's `config`). The card
  // stays in QCI; its queues answer RC 0x03 while deconfigured. ENOENT.
  Status SetAdapterConfigured(uint8_t apid, bool configured) VAP_EXCLUDES(mu_);

  // --- Faults. ENOENT for an unknown card; EINVAL for a bad request.
  Status InjectFault(const Fault& fault) VAP_EXCLUDES(mu_);
  // Clears every fault of the card (apqi none) or of one queue.
  Status ClearFaults(uint8_t apid, std::optional<uint8_t> apqi)
      VAP_EXCLUDES(mu_);

  // The adapter raises an interrupt for the queue (a reply arrived): true
  // if it was delivered, i.e. the queue's interrupts are enabled.
  bool RaiseInterrupt(Apqn apqn) VAP_EXCLUDES(mu_);
  // Whether interrupts are enabled on the queue (for invariant checks).
  bool IrqEnabled(Apqn apqn) const VAP_EXCLUDES(mu_);
  // Whether they are enabled for a guest's GISA (vfio_ap's AQIC), not for
  // the host's own AP bus (its state machine enables them without one).
  bool GuestIrqEnabled(Apqn apqn) const VAP_EXCLUDES(mu_);

  // Counts the configuration changes above (adapters, domains, `config`,
  // faults and their clearing), for durable state.
  const ChangeCount& changes() const { return changes_; }

 private:
  struct QueueState {
    Nanos reset_until{0};           // reset in progress while now < reset_until
    bool reset_never_ends = false;  // fault armed for the next reset
    bool checkstopped = false;
    bool deconfigured = false;
    int busy = 0;
    int answer_count = 0;  // kAnswer fault
    QueueFunction answer_function = QueueFunction::kTapq;
    uint8_t answer_rc = 0;
    bool irq_enabled = false;
    uint8_t isc = 0;
    uint64_t nib = 0;
    GisaTarget gisa;
  };
  struct CardRecord {
    CardState state;
    bool fault_deconfigured = false;
    int busy = 0;  // card-wide busy fault
  };

  // The status every function starts from; RC != 0 means stop there.
  QueueStatus CommonChecksLocked(Apqn apqn, QueueFunction fn) VAP_REQUIRES(mu_);
  QueueState& QueueLocked(Apqn apqn) VAP_REQUIRES(mu_);
  // The common checks, then no reset in progress: the queue's state, or
  // null with the status to answer in *s (an empty queue otherwise).
  QueueState* ReadyLocked(Apqn apqn, QueueFunction fn, QueueStatus* s)
      VAP_REQUIRES(mu_);
  bool ResetInProgressLocked(const QueueState& q) const VAP_REQUIRES(mu_);
  QueueStatus ResetLocked(Apqn apqn, QueueFunction fn) VAP_REQUIRES(mu_);
  void DropIrqsLocked(uint8_t apid, std::optional<uint8_t> apqi)
      VAP_REQUIRES(mu_);

  const Clock& clock_;

  // Guards everything below; rank kLeaf ("ap_firmware").
  mutable Mutex mu_{LockRank::kLeaf, "ap_firmware"};
  bool has_qci_ VAP_GUARDED_BY(mu_);
  QciInfo qci_ VAP_GUARDED_BY(mu_);
  std::map<uint8_t, CardRecord> cards_ VAP_GUARDED_BY(mu_);
  // Only queues whose state differs from idle, by qid.
  std::unordered_map<uint16_t, QueueState> queues_ VAP_GUARDED_BY(mu_);
  ChangeCount changes_;
};

}  // namespace vap::ap

#endif  // VAP_AP_FIRMWARE_H_
