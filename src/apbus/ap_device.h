// ApDevice: what the AP bus knows of one card or queue device, as a value
// (a snapshot; the bus's own records are private to it).
#ifndef VAP_APBUS_AP_DEVICE_H_
#define VAP_APBUS_AP_DEVICE_H_

#include <cstdint>
#include <string>

#include "apbus/queue_state.h"
#include "matrix/apqn.h"

namespace vap::apbus {

enum class DeviceKind : uint8_t { kCard, kQueue };

struct ApDevice {
  DeviceKind kind = DeviceKind::kQueue;
  uint8_t apid = 0;
  uint8_t apqi = 0;             // queues only
  uint8_t hwtype = 0;           // compatible type, 10..14 (driver matching)
  uint8_t raw_hwtype = 0;       // what TAPQ reported
  uint32_t functions = 0;       // the card's ap_functions
  uint8_t depth = 0;            // TAPQ QD
  uint8_t ml = 0;               // TAPQ ML
  bool config = true;           // not deconfigured
  bool chkstop = false;         // checkstopped
  std::string driver;           // bound driver's name; empty if unbound
  std::string driver_override;  // queues only [6.19]; empty if unset
  // Queues: the AP bus's state machine (apbus/queue_sm.h). It is
  // initiated (the kernel's aq->dev_state > AP_DEV_STATE_UNINITIATED) from
  // the queue's creation if it was configured and not checkstopped
  // (ap_scan_domains()), again when a host driver probes it (zcrypt's
  // queue probe calls ap_queue_init_state()), and no longer once its
  // driver is removed (ap_queue_remove()): so a queue handed from
  // cex4queue to vfio_ap is uninitiated, and its request_count shows "-".
  QueueSm sm;

  Apqn apqn() const { return Apqn(apid, apqi); }
  // "card05" or "05.0004", the device's name on the bus.
  std::string Name() const {
    return kind == DeviceKind::kCard ? CardName(apid) : apqn().ToString();
  }
};

}  // namespace vap::apbus

#endif  // VAP_APBUS_AP_DEVICE_H_
