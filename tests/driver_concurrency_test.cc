// Several threads drive vfio_ap's stores through the sysfs tree while
// others change masks, bind and unbind queues, change the host
// configuration and attach and detach guests. Run under TSan in CI; the
// rank checker aborts on any out-of-order acquisition. Bounded: a fixed
// number of operations per thread.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "host_fixture.h"
#include "kvm/guest.h"

namespace vap {
namespace {

class DriverConcurrencyTest : public HostFixture {
 protected:
  DriverConcurrencyTest() {
    vfio_.set_reset_timeout(std::chrono::milliseconds(100));
  }
};

TEST_F(DriverConcurrencyTest, StoresRaceHostEventsAndGuests) {
  ASSERT_EQ(Echo("-5,-6", "bus/ap/apmask"), 0);
  ASSERT_EQ(Echo("-4,-0x47,-0xab,-0xff", "bus/ap/aqmask"), 0);
  const std::vector<std::string> uuids = {
      "00000000-0000-0000-0000-00000000000a",
      "00000000-0000-0000-0000-00000000000b",
      "00000000-0000-0000-0000-00000000000c"};
  const std::string create =
      "devices/vfio_ap/matrix/mdev_supported_types/"
      "vfio_ap-passthrough/create";
  for (const std::string& u : uuids) ASSERT_EQ(Echo(u, create), 0);
  std::array<kvm::Guest, 2> guests{kvm::Guest({"g0"}), kvm::Guest({"g1"})};
  constexpr int kOps = 400;
  std::atomic<int> errors_seen{0};

  auto store_thread = [&](unsigned seed) {
    std::mt19937 rng(seed);
    const char* attrs[] = {"assign_adapter",        "unassign_adapter",
                           "assign_domain",         "unassign_domain",
                           "assign_control_domain", "ap_config"};
    const char* ids[] = {"5", "6", "4", "0x47", "0xab", "0xff"};
    for (int i = 0; i < kOps; ++i) {
      const std::string& u = uuids[rng() % uuids.size()];
      const char* attr = attrs[rng() % 6];
      std::string value = ids[rng() % 6];
      if (std::string_view(attr) == "ap_config") {
        value = fmt::format("0x{:02x},0x{:02x},0x", (rng() % 4) << 1,
                            (rng() % 16) << 4);
      }
      Result<size_t> r = tree_.Write(
          fmt::format("devices/vfio_ap/matrix/{}/{}", u, attr), value + "\n");
      if (!r.ok()) ++errors_seen;
      (void)tree_.Read(
          fmt::format("devices/vfio_ap/matrix/{}/guest_matrix", u));
      (void)tree_.Read("devices/ap/card05/05.0004/status");
    }
  };
  auto host_thread = [&] {
    std::mt19937 rng(99);
    for (int i = 0; i < kOps / 4; ++i) {
      switch (rng() % 6) {
        case 0:
          (void)tree_.Write("bus/ap/aqmask", rng() % 2 ? "+0x47\n" : "-0x47\n");
          break;
        case 1:
          (void)tree_.Write("bus/ap/drivers/vfio_ap/unbind", "05.00ab\n");
          break;
        case 2:
          (void)tree_.Write("bus/ap/drivers/vfio_ap/bind", "05.00ab\n");
          break;
        case 3:
          (void)bus_.RemoveUsageDomain(0xff);
          break;
        case 4:
          (void)bus_.AddUsageDomain(0xff);
          break;
        case 5:
          (void)tree_.Write("bus/ap/scans", "1\n");
          break;
      }
    }
  };
  auto guest_thread = [&] {
    std::mt19937 rng(7);
    for (int i = 0; i < kOps / 4; ++i) {
      const Uuid u = *Uuid::Parse(uuids[rng() % uuids.size()]);
      if (rng() % 2) {
        (void)vfio_.Attach(u, &guests[rng() % 2]);
      } else {
        vfio_.Detach(u);
      }
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(store_thread, 1);
  threads.emplace_back(store_thread, 2);
  threads.emplace_back(host_thread);
  threads.emplace_back(guest_thread);
  for (auto& t : threads) t.join();
  for (const std::string& u : uuids) vfio_.Detach(*Uuid::Parse(u));
  vfio_.CheckInvariants();
  EXPECT_GT(errors_seen.load(), 0);  // conflicts happened: the race was real
  for (const std::string& u : uuids) {
    EXPECT_EQ(Echo("1", "devices/vfio_ap/matrix/" + u + "/remove"), 0);
  }
}

}  // namespace
}  // namespace vap
