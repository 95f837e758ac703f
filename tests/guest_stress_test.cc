// Guests with running vCPUs issue AQIC and TAPQ while other threads hot
// plug and unplug, change masks and the host configuration, and attach and
// detach guests (issue 5's stress test, bounded: a fixed number of
// operations per thread, fixed seeds). Checked continuously: no vCPU ever
// reads a half-written APCB (I1); checked after every mutation: the
// driver's invariants; checked at the end, with every guest detached: no
// ISC registered, no page pinned, no queue with interrupts enabled (I6,
// I7), and every attached guest had seen its shadow (I2).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "host_fixture.h"
#include "kvm/guest.h"

namespace vap {
namespace {

class GuestStressTest : public HostFixture {
 protected:
  GuestStressTest() : HostFixture(Profile()) {
    vfio_.set_reset_timeout(std::chrono::milliseconds(100));
  }
  static ap::HostProfile Profile() {
    return *ap::ParseHostProfile(R"({
      "adapters": [{"id": 0, "type": "CEX8C"}, {"id": 1, "type": "CEX8A"},
                   {"id": 2, "type": "CEX8P"}, {"id": 3, "type": "CEX8C"}],
      "usage_domains": ["0-5"], "control_domains": ["0-5"]})");
  }
  kvm::GuestOptions Options(int i) {
    kvm::GuestOptions o;
    o.name = fmt::format("guest{}", i);
    o.firmware = &fw_;
    return o;
  }
};

TEST_F(GuestStressTest, GuestsAndHostEventsRace) {
  ASSERT_TRUE(bus_.WriteApmask("-0-3").ok());
  ASSERT_TRUE(bus_.WriteAqmask("-0-5").ok());
  std::vector<Uuid> mdevs;
  for (int i = 0; i < 3; ++i) {
    mdevs.push_back(
        *Uuid::Parse(fmt::format("00000000-0000-0000-0000-0000000000a{}", i)));
    ASSERT_TRUE(vfio_.CreateMdev(mdevs.back()).ok());
    ASSERT_TRUE(vfio_.AssignAdapter(mdevs.back(), std::to_string(i)).ok());
    ASSERT_TRUE(vfio_.AssignDomain(mdevs.back(), std::to_string(2 * i)).ok());
  }
  // Guest i runs with mdev i.
  std::vector<std::unique_ptr<kvm::Guest>> guests;
  for (size_t i = 0; i < 3; ++i) {
    guests.push_back(
        std::make_unique<kvm::Guest>(Options(static_cast<int>(i))));
    guests.back()->StartVcpus(2);
    ASSERT_TRUE(vfio_.Attach(mdevs[i], guests.back().get()).ok());
  }
  constexpr int kOps = 1500;
  std::atomic<int> enabled{0};  // AQIC enables that succeeded

  // Each guest's vCPU issuing PQAP: AQIC enable/disable and TAPQ.
  auto pqap = [&](int g, unsigned seed) {
    std::mt19937 rng(seed);
    for (int i = 0; i < kOps; ++i) {
      // Mostly the guest's own queues, sometimes any.
      const unsigned apid =
          rng() % 4 == 0 ? rng() % 4 : static_cast<unsigned>(g);
      const unsigned apqi =
          rng() % 4 == 0 ? rng() % 6 : 2u * static_cast<unsigned>(g);
      const Apqn q(static_cast<uint8_t>(apid), static_cast<uint8_t>(apqi));
      kvm::PqapRegs r;
      const unsigned what = rng() % 3;
      r.gr0 = (what == 2 ? 0 : uint64_t{kvm::kPqapAqic} << 24) | q.qid();
      r.gr1 = (what == 0 ? kvm::kAqicIrBit : 0) | (rng() % 8);
      r.gr2 = 0x1000 * (1 + rng() % 16);
      const kvm::PqapResult res =
          guests[static_cast<size_t>(g)]->Pqap(false, r);
      EXPECT_EQ(res.outcome, kvm::PqapOutcome::kCompleted);
      if (what == 0 && res.cc == 0) ++enabled;
    }
  };
  // Configuration changes of every kind.
  auto mutate = [&] {
    std::mt19937 rng(11);
    for (int i = 0; i < kOps; ++i) {
      const Uuid& u = mdevs[rng() % mdevs.size()];
      const std::string id = std::to_string(rng() % 6);
      switch (rng() % 8) {
        case 0:
          (void)vfio_.AssignAdapter(u, std::to_string(rng() % 4));
          break;
        case 1:
          (void)vfio_.UnassignAdapter(u, std::to_string(rng() % 4));
          break;
        case 2:
          (void)vfio_.AssignDomain(u, id);
          break;
        case 3:
          (void)vfio_.UnassignDomain(u, id);
          break;
        case 4:
          (void)vfio_.AssignControlDomain(u, id);
          break;
        case 5: {
          const std::string q =
              fmt::format("{:02x}.{:04x}", rng() % 4, rng() % 6);
          if (rng() % 2 != 0) {
            (void)bus_.Unbind("vfio_ap", q);
          } else {
            (void)bus_.Bind("vfio_ap", q);
          }
          break;
        }
        case 6:
          if (rng() % 2 != 0) {
            (void)bus_.RemoveUsageDomain(static_cast<uint8_t>(rng() % 6));
          } else {
            (void)bus_.AddUsageDomain(static_cast<uint8_t>(rng() % 6));
          }
          break;
        case 7:
          (void)fw_.InjectFault({ap::FaultKind::kBusy,
                                 static_cast<uint8_t>(rng() % 4),
                                 static_cast<uint8_t>(rng() % 6), 2});
          break;
      }
    }
  };
  // Guests restart, and now and then one tries to open another's mdev.
  auto lifecycle = [&] {
    std::mt19937 rng(23);
    for (int i = 0; i < kOps / 10; ++i) {
      const size_t g = rng() % guests.size();
      if (rng() % 4 == 0) {
        const Status s =
            vfio_.Attach(mdevs[(g + 1) % mdevs.size()], guests[g].get());
        EXPECT_TRUE(s.errno_value() == EPERM || s.errno_value() == EBUSY ||
                    s.ok());
        if (s.ok()) vfio_.Detach(mdevs[(g + 1) % mdevs.size()]);
        continue;
      }
      vfio_.Detach(mdevs[g]);
      std::this_thread::yield();
      (void)vfio_.Attach(mdevs[g], guests[g].get());
    }
  };
  std::vector<std::thread> threads;
  for (int g = 0; g < 3; ++g)
    threads.emplace_back(pqap, g, 100u + static_cast<unsigned>(g));
  threads.emplace_back(mutate);
  threads.emplace_back(lifecycle);
  for (auto& t : threads) t.join();

  vfio_.CheckInvariants();
  // The walk did enable interrupts, so the checks below are not empty.
  EXPECT_GT(enabled.load(), 0);
  // I2: attached guests show their shadow.
  for (const Uuid& u : mdevs) {
    const driver::MdevInfo info = *vfio_.Mdev(u);
    for (const auto& g : guests) {
      if (g->name() != info.guest) continue;
      EXPECT_EQ(g->Apcb().apm(), info.shadow_apcb.apm());
      EXPECT_EQ(g->Apcb().aqm(), info.shadow_apcb.aqm());
    }
  }
  for (const Uuid& u : mdevs) vfio_.Detach(u);
  for (const auto& g : guests) {
    g->StopVcpus();
    // I1: every read in SIE saw a whole APCB; and the vCPUs did read.
    EXPECT_GT(g->observations().reads.load(), 0u) << g->name();
    EXPECT_EQ(g->observations().torn.load(), 0u) << g->name();
    // I7: no hook, no masks, nothing registered.
    EXPECT_EQ(g->pqap_hook(), nullptr);
    EXPECT_EQ(g->Apcb().apm(), ApMask());
    EXPECT_EQ(g->AlertMask(), 0) << g->name();
  }
  // I6: no page pinned, no queue with interrupts enabled.
  for (const Uuid& u : mdevs) EXPECT_TRUE(vfio_.PinnedPages(u).empty());
  for (const apbus::ApDevice& q : bus_.Queues()) {
    EXPECT_FALSE(fw_.IrqEnabled(q.apqn())) << q.Name();
  }
}

}  // namespace
}  // namespace vap
