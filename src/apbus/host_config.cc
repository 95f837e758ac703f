// ApBus: host configuration changes as the daemon offers them (the HMC
// adding or removing resources). Each changes the firmware, then scans
// the bus at once, as the kernel does when the CHSC AP-configuration
// notification arrives (ap_bus_cfg_chg -> forced rescan).
#include "apbus/ap_bus.h"

namespace vap::apbus {

Status ApBus::ChangeHostAndScan(const std::function<Status()>& change) {
  VAP_RETURN_IF_ERROR(change());
  Scan();
  return Status::Ok();
}

Status ApBus::AddAdapter(const ap::CardSpec& card) {
  return ChangeHostAndScan([&] { return firmware_.AddAdapter(card); });
}

Status ApBus::RemoveAdapter(uint8_t apid) {
  return ChangeHostAndScan([&] { return firmware_.RemoveAdapter(apid); });
}

Status ApBus::AddUsageDomain(uint8_t apqi) {
  return ChangeHostAndScan([&] { return firmware_.AddUsageDomain(apqi); });
}

Status ApBus::RemoveUsageDomain(uint8_t apqi) {
  return ChangeHostAndScan([&] { return firmware_.RemoveUsageDomain(apqi); });
}

Status ApBus::AddControlDomain(uint8_t domain) {
  return ChangeHostAndScan([&] { return firmware_.AddControlDomain(domain); });
}

Status ApBus::RemoveControlDomain(uint8_t domain) {
  return ChangeHostAndScan(
      [&] { return firmware_.RemoveControlDomain(domain); });
}

}  // namespace vap::apbus
