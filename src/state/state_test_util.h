// Shared by the state tests: a system with something of everything the
// state keeps changed from the boot state.
#ifndef VAP_STATE_STATE_TEST_UTIL_H_
#define VAP_STATE_STATE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "system/system.h"

namespace vap::state {

inline const Uuid kMdevA = *Uuid::Parse("62177883-f1bb-47f0-914d-32a22e3a8804");
inline const Uuid kMdevB = *Uuid::Parse("0b6e8f3a-2c1d-4e5f-8a9b-0c1d2e3f4a5b");

inline SystemOptions TestOptions() {
  SystemOptions o;
  o.time_scale = 0.01;
  o.periodic_scans = false;
  return o;
}

inline std::string MdevDir(const Uuid& u) {
  return "devices/vfio_ap/matrix/" + u.ToString() + "/";
}

// Masks, two mdevs with assignments, a queue unbound from vfio_ap, a host
// card offline, ap_domain, config_time and drivers_autoprobe set, a domain added to and an
// adapter removed from the host configuration.
inline void ChangeEverything(System& s) {
  sysfs::Tree& t = s.tree();
  auto write = [&t](const std::string& path, const std::string& value) {
    Result<size_t> n = t.Write(path, value);
    ASSERT_TRUE(n.ok()) << path << " <- " << value << ": "
                        << n.status().ToString();
  };
  ASSERT_TRUE(s.bus().AddUsageDomain(0x20).ok());
  ASSERT_TRUE(s.bus().RemoveAdapter(0x06).ok());
  write("bus/ap/apmask", "-5,-4");
  write("bus/ap/aqmask", "-0x47,-0xab,-0x20");
  const std::string create =
      "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create";
  write(create, kMdevA.ToString());
  write(create, kMdevB.ToString() + "\n");
  write(MdevDir(kMdevA) + "assign_adapter", "5");
  write(MdevDir(kMdevA) + "assign_domain", "0x47");
  write(MdevDir(kMdevA) + "assign_domain", "0x20");
  write(MdevDir(kMdevA) + "assign_control_domain", "0x10");
  write(MdevDir(kMdevB) + "assign_adapter", "4");
  write(MdevDir(kMdevB) + "assign_domain", "0xab");
  write("bus/ap/drivers/vfio_ap/unbind", "05.0020");
  write("devices/ap/card03/online", "0");
  write("bus/ap/config_time", "45");
  write("bus/ap/drivers_autoprobe", "0");
}

}  // namespace vap::state

#endif  // VAP_STATE_STATE_TEST_UTIL_H_
