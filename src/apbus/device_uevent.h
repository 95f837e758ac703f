// What an AP card's or queue's uevents and `uevent` file carry
// (drivers/base/core.c dev_uevent() and ap_uevent() in
// drivers/s390/crypto/ap_bus.c), and where the device sits in /sys.
#ifndef VAP_APBUS_DEVICE_UEVENT_H_
#define VAP_APBUS_DEVICE_UEVENT_H_

#include <string>
#include <vector>

#include "apbus/ap_device.h"

namespace vap::apbus {

// "/devices/ap/card05", "/devices/ap/card05/05.0047".
std::string DeviceDevpath(const ApDevice& dev);

// In order: DEVTYPE=ap_card|ap_queue, DRIVER= (when bound), then for a
// card DEV_TYPE=%04X and MODALIAS=ap:t%02X of the compatible type, then
// MODE=accel|cca|ep11 from the card's functions.
std::vector<std::string> DeviceUeventEnv(const ApDevice& dev);

}  // namespace vap::apbus

#endif  // VAP_APBUS_DEVICE_UEVENT_H_
