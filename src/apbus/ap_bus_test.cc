// Binding, masks and the driver directories (apmask_store(),
// aqmask_store(), ap_device_probe() in drivers/s390/crypto/ap_bus.c; the
// example sessions host-10.1 and host-10.6 of docs/sysfs-abi.md).
#include "apbus/ap_bus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>

#include "apbus/bus_fixture.h"
#include "matrix/mask_format.h"

namespace vap::apbus {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

class ApBusTest : public BusFixture {
 protected:
  ApBusTest() { bus_.Scan(); }

  std::string Driver(const char* name) { return bus_.Device(name)->driver; }
};

TEST_F(ApBusTest, DefaultHostAfterTheFirstScan) {
  ASSERT_EQ(bus_.Cards().size(), 4u);
  EXPECT_EQ(bus_.Queues().size(), 72u);
  for (const ApDevice& card : bus_.Cards()) {
    EXPECT_EQ(card.driver, "cex4card");
    EXPECT_EQ(card.hwtype, 14);
    EXPECT_EQ(bus_.QueuesOfCard(card.apid).size(), 18u);
  }
  for (const ApDevice& q : bus_.Queues()) EXPECT_EQ(q.driver, "cex4queue");
  const Bindings b = bus_.bindings();
  EXPECT_EQ(b.bound, 72u);
  EXPECT_EQ(b.total, 72u);
  EXPECT_TRUE(b.complete);
  EXPECT_EQ(bus_.scans(), 1u);
  EXPECT_EQ(bus_.ap_domain(), 0);
  EXPECT_EQ(ZcryptTypeName(*bus_.Card(3)), "CEX8C");
  EXPECT_EQ(ZcryptTypeName(*bus_.Card(4)), "CEX8P");
  EXPECT_EQ(ZcryptTypeName(*bus_.Card(6)), "CEX8A");
}

TEST_F(ApBusTest, BindingsAreIncompleteBeforeTheFirstScan) {
  ApBus fresh(fw_, log_, clock_);
  EXPECT_EQ(fresh.bindings().total, 0u);
  EXPECT_FALSE(fresh.bindings().complete);
}

TEST_F(ApBusTest, ClearingMaskBitsHandsQueuesToVfio) {
  // Example session host-10.1, with and without a vfio_ap driver.
  ASSERT_TRUE(bus_.WriteApmask("-5,-6\n").ok());
  ASSERT_TRUE(bus_.WriteAqmask("-4,-0x47,-0xab,-0xff\n").ok());
  EXPECT_EQ(
      FormatApBusMask(bus_.apmask()),
      "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  EXPECT_EQ(
      FormatApBusMask(bus_.aqmask()),
      "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n");
  // Adapters 5 and 6 (all domains) and domains 4/0x47/0xab (all adapters)
  // are no longer reserved: 36 + 2 x 3 = 42 queues left the host driver.
  EXPECT_EQ(bus_.bindings().bound, 30u);
  EXPECT_EQ(Driver("05.0004"), "");
  EXPECT_EQ(Driver("03.0001"), "cex4queue");
  EXPECT_EQ(Driver("03.0004"), "");
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  EXPECT_EQ(Driver("05.0004"), "vfio_ap");
  EXPECT_EQ(Driver("03.00ab"), "vfio_ap");
  EXPECT_EQ(bus_.bindings().bound, 72u);
  // Taking them back rebinds them to the host driver.
  ASSERT_TRUE(bus_.WriteApmask("+5").ok());
  EXPECT_EQ(Driver("05.0001"), "cex4queue");
  EXPECT_EQ(Driver("05.0004"), "vfio_ap");  // domain 4 still not reserved
  EXPECT_THAT(vfio_.events, Contains("remove 05.0001"));
}

TEST_F(ApBusTest, MaskParseErrorsChangeNothing) {
  EXPECT_EQ(bus_.WriteApmask("0x41zz\n").errno_value(), EINVAL);
  EXPECT_EQ(bus_.WriteApmask("+256\n").errno_value(), EINVAL);
  EXPECT_EQ(bus_.apmask(), ApMask::All());
  EXPECT_TRUE(
      bus_.WriteApmask(FormatApBusMask(ApMask::All())).ok());  // no change
}

TEST_F(ApBusTest, InUseRefusesToReserveWithEbusy) {
  // Example session host-10.6: an mdev holds (5,4) and (7,4).
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  ASSERT_TRUE(bus_.WriteApmask("-5,-6").ok());
  ASSERT_TRUE(bus_.WriteAqmask("-4,-0x47,-0xab,-0xff").ok());
  vfio_.in_use = {Apqn(5, 4), Apqn(7, 4)};
  // +5 reserves (5,d) only for d in aqmask: 4 is not, so no conflict.
  ASSERT_TRUE(bus_.WriteApmask("+5\n").ok());
  const ApMask aqmask = bus_.aqmask();
  EXPECT_EQ(bus_.WriteAqmask("+4\n").errno_value(), EBUSY);
  EXPECT_EQ(bus_.aqmask(), aqmask);
  EXPECT_EQ(Driver("05.0004"), "vfio_ap");
}

TEST_F(ApBusTest, BindAndUnbindFollowTheDriverCore) {
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  EXPECT_EQ(bus_.Unbind("vfio_ap", "05.0004").errno_value(),
            ENODEV);  // not its
  EXPECT_EQ(bus_.Bind("vfio_ap", "05.0004").errno_value(), EBUSY);
  ASSERT_TRUE(bus_.Unbind("cex4queue", "05.0004").ok());
  EXPECT_EQ(Driver("05.0004"), "");
  EXPECT_EQ(bus_.bindings().bound, 71u);
  EXPECT_FALSE(bus_.bindings().complete);
  // Reserved for the host: vfio_ap's probe is refused.
  EXPECT_EQ(bus_.Bind("vfio_ap", "05.0004").errno_value(), ENODEV);
  EXPECT_EQ(bus_.Bind("nope", "05.0004").errno_value(), ENODEV);
  EXPECT_EQ(bus_.Bind("cex4queue", "05.0099").errno_value(), ENODEV);
  EXPECT_EQ(bus_.Bind("cex4queue", "05.0004\n").errno_value(), ENODEV);
  EXPECT_EQ(bus_.Bind("cex4card", "05.0004").errno_value(),
            ENODEV);  // no match
  ASSERT_TRUE(bus_.Bind("cex4queue", "05.0004").ok());
  EXPECT_EQ(Driver("05.0004"), "cex4queue");
  EXPECT_EQ(bus_.Unbind("cex4queue", "card05").errno_value(), ENODEV);
  ASSERT_TRUE(bus_.Unbind("cex4card", "card05").ok());
  EXPECT_EQ(bus_.Card(5)->driver, "");
}

TEST_F(ApBusTest, AnUnboundQueueStaysUnboundUntilReprobed) {
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  ASSERT_TRUE(bus_.WriteApmask("-5").ok());
  ASSERT_TRUE(bus_.Unbind("vfio_ap", "05.0004").ok());
  bus_.Scan();
  EXPECT_EQ(Driver("05.0004"), "");
  ASSERT_TRUE(bus_.DriversProbe("05.0004").ok());
  EXPECT_EQ(Driver("05.0004"), "vfio_ap");
  EXPECT_EQ(bus_.DriversProbe("05.0099").errno_value(), ENODEV);
}

TEST_F(ApBusTest, ProbeErrorsAreLogged) {
  vfio_.probe_error = ENOMEM;
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  ASSERT_TRUE(bus_.WriteApmask("-5").ok());
  EXPECT_EQ(Driver("05.0004"), "");
  EXPECT_THAT(
      log_.LastText(),
      ::testing::HasSubstr("probe with driver vfio_ap failed with error -12"));
}

TEST_F(ApBusTest, DriverOverride) {
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  ASSERT_TRUE(bus_.SetDriverOverride(Apqn(5, 4), "vfio_ap").ok());
  EXPECT_EQ(bus_.Queue(Apqn(5, 4))->driver_override, "vfio_ap");
  // Mask writes are refused while an override is set.
  EXPECT_EQ(bus_.WriteApmask("-5").errno_value(), EINVAL);
  ASSERT_TRUE(bus_.Unbind("cex4queue", "05.0004").ok());
  ASSERT_TRUE(bus_.DriversProbe("05.0004").ok());
  EXPECT_EQ(Driver("05.0004"), "vfio_ap");
  {
    // Bound to vfio_ap through the override: not the host's, masks or not.
    MutexLock lock(bus_.attr_mu());
    EXPECT_FALSE(bus_.OwnedByDefaultDriverLocked(Apqn(5, 4)));
    EXPECT_TRUE(bus_.OwnedByDefaultDriverLocked(Apqn(5, 5)));
  }
  ASSERT_TRUE(bus_.SetDriverOverride(Apqn(5, 4), "").ok());
  ASSERT_TRUE(bus_.WriteApmask("-6").ok());
  // Overrides need both masks all ones.
  EXPECT_EQ(bus_.SetDriverOverride(Apqn(5, 4), "vfio_ap").errno_value(),
            EINVAL);
  EXPECT_EQ(bus_.SetDriverOverride(Apqn(9, 4), "").errno_value(), EINVAL);
}

TEST_F(ApBusTest, ApDomainAndConfigTime) {
  EXPECT_EQ(bus_.SetApDomain("0x47\n").errno_value(), 0);
  EXPECT_EQ(bus_.ap_domain(), 0x47);
  EXPECT_EQ(bus_.SetApDomain("256").errno_value(), EINVAL);
  EXPECT_EQ(bus_.SetApDomain("x").errno_value(), EINVAL);
  ASSERT_TRUE(bus_.WriteAqmask("-3").ok());
  EXPECT_EQ(bus_.SetApDomain("3").errno_value(), EINVAL);
  EXPECT_EQ(bus_.config_time(), 30);
  EXPECT_TRUE(bus_.SetConfigTime("5\n").ok());
  EXPECT_EQ(bus_.SetConfigTime("4").errno_value(), EINVAL);
  EXPECT_EQ(bus_.SetConfigTime("121").errno_value(), EINVAL);
  EXPECT_EQ(bus_.config_time(), 5);
}

TEST_F(ApBusTest, ZcryptOnline) {
  EXPECT_TRUE(zcrypt_.CardOnline(*bus_.Card(5)));
  ASSERT_TRUE(zcrypt_.StoreCardOnline(5, "0\n").ok());
  EXPECT_FALSE(zcrypt_.CardOnline(*bus_.Card(5)));
  EXPECT_FALSE(zcrypt_.QueueOnline(*bus_.Queue(Apqn(5, 4))));
  EXPECT_EQ(zcrypt_.StoreQueueOnline(Apqn(5, 4), "1").errno_value(), EINVAL);
  EXPECT_EQ(zcrypt_.StoreCardOnline(5, "2").errno_value(), EINVAL);
  ASSERT_TRUE(zcrypt_.StoreCardOnline(5, "1").ok());
  EXPECT_TRUE(zcrypt_.QueueOnline(*bus_.Queue(Apqn(5, 4))));
  ASSERT_TRUE(bus_.SetCardConfig(5, false).ok());
  EXPECT_FALSE(zcrypt_.CardOnline(*bus_.Card(5)));
  EXPECT_EQ(zcrypt_.StoreCardOnline(5, "1").errno_value(), ENODEV);
  EXPECT_EQ(bus_.SetCardConfig(9, false).errno_value(), ENODEV);
}

}  // namespace
}  // namespace vap::apbus
