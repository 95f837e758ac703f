#include "ap/queue_status.h"

#include <fmt/format.h>

namespace vap::ap {

namespace {

constexpr uint32_t kEmptyBit = 1u << 31;
constexpr uint32_t kRepliesBit = 1u << 30;
constexpr uint32_t kFullBit = 1u << 29;
constexpr uint32_t kAsyncBit = 1u << 25;
constexpr uint32_t kIrqBit = 1u << 24;
constexpr int kRcShift = 16;

}  // namespace

std::string ResponseCodeName(uint8_t rc) {
  switch (rc) {
    case kRcNormal:
      return "normal";
    case kRcQueueNotAvailable:
      return "Q not available";
    case kRcResetInProgress:
      return "reset in progress";
    case kRcDeconfigured:
      return "deconfigured";
    case kRcCheckstopped:
      return "checkstopped";
    case kRcBusy:
      return "busy";
    case kRcInvalidAddress:
      return "invalid address";
    case kRcOtherwiseChanged:
      return "otherwise changed";
    case kRcInvalidGisa:
      return "invalid GISA";
    case kRcQueueBoundToAnother:
      return "Q bound to another";
    case kRcStateChangeInProgress:
      return "state change in progress";
    case kRcQueueNotBound:
      return "Q not bound";
    case kRcQueueFull:
      return "Q full";
    case kRcIndexTooBig:
      return "index too big";
    case kRcNoFirstPart:
      return "no first part";
    case kRcMessageTooBig:
      return "message too big";
    case kRcRequiredFacilityNotInstalled:
      return "required facility not installed";
    case kRcBindError:
      return "bind error";
    case kRcNotAvailableForAssociation:
      return "not available for association";
    case kRcQueueNotEmpty:
      return "Q not empty";
    case kRcBindLimitExceeded:
      return "bind limit exceeded";
    case kRcInvalidAssociationSecret:
      return "invalid association secret";
    case kRcAssociationSecretNotUnique:
      return "association secret not unique";
    case kRcAssociationFailed:
      return "association failed";
    case kRcInvalidDomain:
      return "invalid domain";
  }
  return fmt::format("0x{:02x}", rc);
}

uint32_t QueueStatus::Word() const {
  return (queue_empty ? kEmptyBit : 0) | (replies_waiting ? kRepliesBit : 0) |
         (queue_full ? kFullBit : 0) | (async ? kAsyncBit : 0) |
         (irq_enabled ? kIrqBit : 0) |
         static_cast<uint32_t>(response_code) << kRcShift;
}

QueueStatus QueueStatus::FromWord(uint32_t word) {
  QueueStatus s;
  s.queue_empty = (word & kEmptyBit) != 0;
  s.replies_waiting = (word & kRepliesBit) != 0;
  s.queue_full = (word & kFullBit) != 0;
  s.async = (word & kAsyncBit) != 0;
  s.irq_enabled = (word & kIrqBit) != 0;
  s.response_code = static_cast<uint8_t>(word >> kRcShift);
  return s;
}

}  // namespace vap::ap
