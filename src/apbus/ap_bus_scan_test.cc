// Bus scans and host configuration changes (ap_scan_bus() in
// drivers/s390/crypto/ap_bus.c, with the drivers' on_config_changed and
// on_scan_complete callbacks).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "apbus/ap_bus.h"
#include "apbus/bus_fixture.h"

namespace vap::apbus {
namespace {

using ::testing::ElementsAre;

class ApBusScanTest : public BusFixture {
 protected:
  explicit ApBusScanTest(const char* profile = "default")
      : BusFixture(profile) {
    EXPECT_TRUE(bus_.RegisterDriver(vfio_).ok());
    bus_.Scan();
  }

  ap::CardSpec Spec(uint8_t apid, const char* type) {
    return ap::CardSpec::For(apid, *ap::CardType::Parse(type));
  }

};

// ap_bus_force_rescan(): nothing before the first scan, a scan when none
// runs, and joining (not repeating) a scan that runs.
class ApBusForceRescanTest : public BusFixture {};

TEST_F(ApBusForceRescanTest, IgnoredBeforeTheFirstScanJoinsARunningOne) {
  EXPECT_FALSE(bus_.ForceRescan());
  EXPECT_EQ(bus_.scans(), 0u);
  bus_.Scan();
  EXPECT_TRUE(bus_.ForceRescan());
  EXPECT_EQ(bus_.scans(), 2u);
  std::atomic<bool> done{false};
  std::thread forced;
  {
    MutexLock scanning(bus_.scan_mu());  // stands for a running scan
    forced = std::thread([&] {
      EXPECT_FALSE(bus_.ForceRescan());
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(done.load());  // it waits for the scan
  }
  forced.join();
  EXPECT_EQ(bus_.scans(), 2u);  // and does not scan again
}

TEST_F(ApBusScanTest, ScanWithoutChangesCallsNoDriverHooks) {
  vfio_.events.clear();
  bus_.Scan();
  EXPECT_TRUE(vfio_.events.empty());
  EXPECT_EQ(bus_.scans(), 2u);
}

TEST_F(ApBusScanTest, RemovedAdapterGoesWithItsQueuesBetweenTheHooks) {
  ASSERT_TRUE(bus_.WriteApmask("-5").ok());  // 05.xxxx to vfio_ap
  vfio_.events.clear();
  ASSERT_TRUE(fw_.RemoveAdapter(5).ok());
  bus_.Scan();
  EXPECT_FALSE(bus_.Card(5).has_value());
  EXPECT_EQ(bus_.Queues().size(), 54u);
  ASSERT_GE(vfio_.events.size(), 2u);
  EXPECT_EQ(vfio_.events.front(), "config_changed");
  EXPECT_EQ(vfio_.events[1], "remove 05.0000");
  EXPECT_EQ(vfio_.events.back(), "scan_complete");
  EXPECT_TRUE(vfio_.last_prev.apm.Test(5));
  EXPECT_FALSE(vfio_.last_cur.apm.Test(5));
  EXPECT_TRUE(bus_.bindings().complete);
}

TEST_F(ApBusScanTest, AddedAdapterAndDomainGetDevices) {
  ASSERT_TRUE(fw_.AddAdapter(Spec(7, "CEX7A")).ok());
  ASSERT_TRUE(fw_.AddUsageDomain(0x20).ok());
  bus_.Scan();
  ASSERT_TRUE(bus_.Card(7).has_value());
  EXPECT_EQ(bus_.Card(7)->hwtype, 13);
  EXPECT_EQ(bus_.QueuesOfCard(7).size(), 19u);
  EXPECT_EQ(bus_.Queue(Apqn(3, 0x20))->driver, "cex4queue");
  EXPECT_EQ(bus_.bindings().total, 5u * 19u);
  EXPECT_TRUE(bus_.bindings().complete);
  // Removing a usage domain removes a queue per card.
  ASSERT_TRUE(fw_.RemoveUsageDomain(0x20).ok());
  bus_.Scan();
  EXPECT_FALSE(bus_.Queue(Apqn(3, 0x20)).has_value());
}

TEST_F(ApBusScanTest, HostConfigurationApiScansAtOnce) {
  ASSERT_TRUE(bus_.AddAdapter(Spec(0x0a, "CEX8P")).ok());
  EXPECT_EQ(bus_.QueuesOfCard(0x0a).size(), 18u);
  EXPECT_EQ(bus_.AddAdapter(Spec(0x0a, "CEX8P")).errno_value(), EEXIST);
  const uint64_t scans = bus_.scans();
  EXPECT_EQ(bus_.RemoveUsageDomain(0x99).errno_value(), ENOENT);
  EXPECT_EQ(bus_.scans(), scans);  // nothing changed, nothing scanned
  ASSERT_TRUE(bus_.RemoveUsageDomain(0x47).ok());
  EXPECT_FALSE(bus_.Queue(Apqn(3, 0x47)).has_value());
  ASSERT_TRUE(bus_.AddUsageDomain(0x47).ok());
  EXPECT_TRUE(bus_.Queue(Apqn(3, 0x47)).has_value());
  ASSERT_TRUE(bus_.AddControlDomain(0x20).ok());
  EXPECT_TRUE(bus_.qci()->adm.Test(0x20));
  ASSERT_TRUE(bus_.RemoveControlDomain(0x20).ok());
  ASSERT_TRUE(bus_.RemoveAdapter(0x0a).ok());
  EXPECT_FALSE(bus_.Card(0x0a).has_value());
  EXPECT_EQ(bus_.RemoveAdapter(0x0a).errno_value(), ENOENT);
}

TEST_F(ApBusScanTest, ControlDomainChangesCallTheHooksButChangeNoDevice) {
  vfio_.events.clear();
  ASSERT_TRUE(fw_.AddControlDomain(0x30).ok());
  bus_.Scan();
  EXPECT_THAT(vfio_.events, ElementsAre("config_changed", "scan_complete"));
  EXPECT_EQ(bus_.Queues().size(), 72u);
}

TEST_F(ApBusScanTest, UnsupportedAndNewerCardTypes) {
  ASSERT_TRUE(fw_.AddAdapter(Spec(8, "CEX3C")).ok());
  ap::CardSpec future = Spec(9, "CEX8C");
  future.raw_hwtype = 15;  // unknown to the bus; QACT maps it to CEX8
  ASSERT_TRUE(fw_.AddAdapter(future).ok());
  bus_.Scan();
  EXPECT_FALSE(bus_.Card(8).has_value());
  ASSERT_TRUE(bus_.Card(9).has_value());
  EXPECT_EQ(bus_.Card(9)->hwtype, 14);
  EXPECT_EQ(bus_.Card(9)->raw_hwtype, 15);
}

TEST_F(ApBusScanTest, DeconfiguredAndCheckstoppedCardsKeepTheirDevices) {
  ASSERT_TRUE(bus_.SetCardConfig(6, false).ok());
  EXPECT_FALSE(bus_.Card(6)->config);
  EXPECT_TRUE(bus_.Queue(Apqn(6, 0))->config);  // until the next scan
  bus_.Scan();
  EXPECT_FALSE(bus_.Queue(Apqn(6, 0))->config);
  EXPECT_EQ(bus_.Queue(Apqn(6, 0))->driver, "cex4queue");
  ASSERT_TRUE(
      fw_.InjectFault({ap::FaultKind::kCheckstop, 5, std::nullopt, 1}).ok());
  bus_.Scan();
  EXPECT_TRUE(bus_.Card(5)->chkstop);
  EXPECT_TRUE(bus_.Queue(Apqn(5, 0xab))->chkstop);
  ASSERT_TRUE(fw_.ClearFaults(5, std::nullopt).ok());
  bus_.Scan();
  EXPECT_FALSE(bus_.Card(5)->chkstop);
  EXPECT_FALSE(bus_.Queue(Apqn(5, 0xab))->chkstop);
}

TEST_F(ApBusScanTest, FunctionChangeRebuildsTheCard) {
  ASSERT_TRUE(fw_.RemoveAdapter(6).ok());
  ASSERT_TRUE(fw_.AddAdapter(Spec(6, "CEX8C")).ok());
  bus_.Scan();
  EXPECT_EQ(ZcryptTypeName(*bus_.Card(6)), "CEX8C");
}

TEST_F(ApBusScanTest, WorkerScansPeriodically) {
  ManualClock clock;
  ap::Firmware fw(clock, *ap::BuiltinProfile("legacy"));
  Logger log(clock);
  ApBus bus(fw, log, clock);
  bus.StartScanWorker();
  bus.RequestScan();
  for (int i = 0; i < 5000 && bus.scans() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(bus.scans(), 1u);
  // config_time (30 s of model time) later, another scan.
  for (int i = 0; i < 5000 && bus.scans() < 2; ++i) {
    clock.Advance(std::chrono::seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE(bus.scans(), 2u);
  EXPECT_GE(clock.Now(), std::chrono::seconds(30));
}

class LegacyScanTest : public ApBusScanTest {
 protected:
  LegacyScanTest() : ApBusScanTest("legacy") {}
};

TEST_F(LegacyScanTest, MaximaAreThoseWithoutApxa) {
  EXPECT_EQ(bus_.max_adapter_id(), 63);
  EXPECT_EQ(bus_.max_domain_id(), 15);
  EXPECT_EQ(bus_.Queues().size(), 32u);
  EXPECT_TRUE(bus_.bindings().complete);
}

}  // namespace
}  // namespace vap::apbus
