#include "apbus/device_uevent.h"

#include <fmt/format.h>

#include "ap/card_type.h"

namespace vap::apbus {

std::string DeviceDevpath(const ApDevice& dev) {
  if (dev.kind == DeviceKind::kCard)
    return fmt::format("/devices/ap/{}", dev.Name());
  return fmt::format("/devices/ap/{}/{}", CardName(dev.apid), dev.Name());
}

std::vector<std::string> DeviceUeventEnv(const ApDevice& dev) {
  const bool card = dev.kind == DeviceKind::kCard;
  std::vector<std::string> env = {card ? "DEVTYPE=ap_card" : "DEVTYPE=ap_queue"};
  if (!dev.driver.empty()) env.push_back("DRIVER=" + dev.driver);
  if (card) {
    env.push_back(fmt::format("DEV_TYPE={:04X}", dev.hwtype));
    env.push_back(fmt::format("MODALIAS=ap:t{:02X}", dev.hwtype));
  }
  if ((dev.functions & ap::kFuncAccelerator) != 0) {
    env.push_back("MODE=accel");
  } else if ((dev.functions & ap::kFuncCoprocessor) != 0) {
    env.push_back("MODE=cca");
  } else if ((dev.functions & ap::kFuncEp11) != 0) {
    env.push_back("MODE=ep11");
  }
  return env;
}

}  // namespace vap::apbus
