// The AP bus of builtin:default on a manual clock with zcrypt's drivers
// registered, for the bus's unit tests; a test scans when its other
// drivers are in place.
#ifndef VAP_APBUS_BUS_FIXTURE_H_
#define VAP_APBUS_BUS_FIXTURE_H_

#include <gtest/gtest.h>

#include "apbus/ap_bus.h"
#include "apbus/test_driver.h"
#include "apbus/zcrypt.h"

namespace vap::apbus {

class BusFixture : public ::testing::Test {
 protected:
  explicit BusFixture(const char* profile = "default")
      : fw_(clock_, *ap::BuiltinProfile(profile)),
        log_(clock_),
        bus_(fw_, log_, clock_),
        zcrypt_(bus_) {
    EXPECT_TRUE(bus_.RegisterDriver(zcrypt_.card_driver()).ok());
    EXPECT_TRUE(bus_.RegisterDriver(zcrypt_.queue_driver()).ok());
  }

  ManualClock clock_;
  ap::Firmware fw_;
  Logger log_;
  ApBus bus_;
  Zcrypt zcrypt_;
  FakeVfioDriver vfio_;
};

}  // namespace vap::apbus

#endif  // VAP_APBUS_BUS_FIXTURE_H_
