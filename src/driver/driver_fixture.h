// The reference host of the example sessions (docs/sysfs-abi.md) with
// vfio_ap loaded and the queues of adapters 5 and 6 x domains 4, 0x47,
// 0xab, 0xff given to vfio_ap (as session host-10.1 does), for the
// driver's unit tests. Resets run on an auto-advancing clock.
#ifndef VAP_DRIVER_DRIVER_FIXTURE_H_
#define VAP_DRIVER_DRIVER_FIXTURE_H_

#include <gtest/gtest.h>

#include "ap/profile.h"
#include "apbus/zcrypt.h"
#include "driver/host_drivers.h"
#include "driver/vfio_ap.h"

namespace vap::driver {

inline const Uuid kU1 = *Uuid::Parse("62177883-f1bb-47f0-914d-32a22e3a8804");
inline const Uuid kU2 = *Uuid::Parse("4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2");

class DriverFixture : public ::testing::Test {
 protected:
  DriverFixture()
      : clock_(/*auto_advance=*/true), host_(clock_, Profile()) {
    bus_.Scan();
    EXPECT_TRUE(bus_.WriteApmask("-5,-6").ok());
    EXPECT_TRUE(bus_.WriteAqmask("-4,-0x47,-0xab,-0xff").ok());
    // The bus reset each queue cex4queue gave up (ap_queue_remove()): let
    // those resets end before the tests use the queues.
    clock_.Advance(ap::Firmware::kResetDuration);
  }
  ~DriverFixture() override { vfio_.CheckInvariants(); }

  static ap::HostProfile Profile() {
    return *ap::ParseHostProfile(R"({
      "adapters": [{"id": 5, "type": "CEX7C"}, {"id": 6, "type": "CEX7C"}],
      "usage_domains": [4, 71, 171, 255], "control_domains": [4, 71, 171, 255]})");
  }

  // U1 = {5,6} x {4,0xab}, adm {0xab}.
  void MakeU1() {
    ASSERT_TRUE(vfio_.CreateMdev(kU1).ok());
    ASSERT_TRUE(vfio_.AssignAdapter(kU1, "5").ok());
    ASSERT_TRUE(vfio_.AssignAdapter(kU1, "6").ok());
    ASSERT_TRUE(vfio_.AssignDomain(kU1, "4").ok());
    ASSERT_TRUE(vfio_.AssignDomain(kU1, "0xab").ok());
    ASSERT_TRUE(vfio_.AssignControlDomain(kU1, "0xab").ok());
  }
  MdevInfo Info(const Uuid& u) { return *vfio_.Mdev(u); }

  ManualClock clock_;
  HostDrivers host_;
  ap::Firmware& fw_ = host_.firmware();
  Logger& log_ = host_.log();
  apbus::ApBus& bus_ = host_.bus();
  apbus::Zcrypt& zcrypt_ = host_.zcrypt();
  VfioAp& vfio_ = host_.vfio();
};

}  // namespace vap::driver

#endif  // VAP_DRIVER_DRIVER_FIXTURE_H_
