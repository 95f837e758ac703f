// The AP queue status word and response codes that AP instructions
// return in GR1 (arch/s390/include/asm/ap.h; the response codes'
// AP_RESPONSE_* names are in drivers/s390/crypto/ap_bus.h).
#ifndef VAP_AP_QUEUE_STATUS_H_
#define VAP_AP_QUEUE_STATUS_H_

#include <cstdint>
#include <string>

namespace vap::ap {

// Response codes (the RC byte of the status word).
enum ResponseCode : uint8_t {
  kRcNormal = 0x00,
  kRcQueueNotAvailable = 0x01,
  kRcResetInProgress = 0x02,
  kRcDeconfigured = 0x03,
  kRcCheckstopped = 0x04,
  kRcBusy = 0x05,
  kRcInvalidAddress = 0x06,
  kRcOtherwiseChanged = 0x07,
  kRcInvalidGisa = 0x08,
  kRcQueueBoundToAnother = 0x09,
  kRcStateChangeInProgress = 0x0a,
  kRcQueueNotBound = 0x0b,
  kRcQueueFull = 0x10,  // also "no pending reply"
  kRcIndexTooBig = 0x11,
  kRcNoFirstPart = 0x13,
  kRcMessageTooBig = 0x15,
  kRcRequiredFacilityNotInstalled = 0x16,
  kRcBindError = 0x30,
  kRcNotAvailableForAssociation = 0x31,
  kRcQueueNotEmpty = 0x32,
  kRcBindLimitExceeded = 0x33,
  kRcInvalidAssociationSecret = 0x34,
  kRcAssociationSecretNotUnique = 0x35,
  kRcAssociationFailed = 0x36,
  kRcInvalidDomain = 0x42,
};

// "normal", "Q not available", ... ; "0xNN" for codes without a name.
std::string ResponseCodeName(uint8_t rc);

// struct ap_queue_status. As a 32-bit value (the low half of GR1): bit 31
// E (queue empty), 30 R (replies waiting), 29 F (queue full), 25 A (async
// error), 24 I (interruptions enabled), 23..16 the response code.
struct QueueStatus {
  bool queue_empty = false;
  bool replies_waiting = false;
  bool queue_full = false;
  bool async = false;
  bool irq_enabled = false;
  uint8_t response_code = kRcNormal;

  uint32_t Word() const;
  static QueueStatus FromWord(uint32_t word);
  // Just a response code, every flag off.
  static QueueStatus Rc(uint8_t rc) {
    QueueStatus s;
    s.response_code = rc;
    return s;
  }

  friend bool operator==(const QueueStatus&, const QueueStatus&) = default;
};

}  // namespace vap::ap

#endif  // VAP_AP_QUEUE_STATUS_H_
