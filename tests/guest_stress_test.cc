// Guests (QEMU models with running vCPUs) issue AQIC and TAPQ while other
// threads hot plug and unplug, change masks and the host configuration,
// inject faults, raise adapter interrupts, restart guests and remove mdevs
// their guests hold (issue 5's stress test).
//
// Bounded by time: VAP_STRESS_SECONDS (default 2) of real time per run;
// the seed is VAP_STRESS_SEED (default 1) and is printed, so a failing run
// can be repeated with the same random choices (thread interleavings
// differ). Checked continuously: no vCPU ever reads a half-written APCB
// (I1); the driver's invariants after every 50 mutations; at the end,
// with every guest gone: no ISC registered, no page pinned, no queue with
// interrupts enabled (I6, I7), and every attached guest showed its
// shadow (I2).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "host_fixture.h"
#include "kvm/guest.h"
#include "vm/qemu.h"

namespace vap {
namespace {

using SteadyClock = std::chrono::steady_clock;

unsigned EnvOr(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? static_cast<unsigned>(std::strtoul(v, nullptr, 10))
                      : fallback;
}

class GuestStressTest : public HostFixture {
 protected:
  static constexpr size_t kGuests = 3;

  GuestStressTest() : HostFixture(Profile()) {
    vfio_.set_reset_timeout(std::chrono::milliseconds(100));
  }
  static ap::HostProfile Profile() {
    return *ap::ParseHostProfile(R"({
      "adapters": [{"id": 0, "type": "CEX8C"}, {"id": 1, "type": "CEX8A"},
                   {"id": 2, "type": "CEX8P"}, {"id": 3, "type": "CEX8C"}],
      "usage_domains": ["0-5"], "control_domains": ["0-5"]})");
  }
  vm::VmOptions Options(size_t i) {
    vm::VmOptions o;
    o.guest.name = fmt::format("guest{}", i);
    o.guest.firmware = &fw_;
    o.vcpus = 2;
    return o;
  }
  static Uuid MdevUuid(size_t i) {
    return *Uuid::Parse(
        fmt::format("00000000-0000-0000-0000-0000000000a{}", i));
  }
  // Mdev i: adapter i x domain 2i. While the walk runs, another mdev
  // may hold them (EADDRINUSE) or the host may lack the domain.
  bool MakeMdev(size_t i) {
    const Uuid u = MdevUuid(i);
    return vfio_.CreateMdev(u).ok() &&
           vfio_.AssignAdapter(u, std::to_string(i)).ok() &&
           vfio_.AssignDomain(u, std::to_string(2 * i)).ok();
  }
};

// One of a guest's vCPUs issuing PQAP: AQIC enable/disable and TAPQ.
void IssuePqap(kvm::Guest& guest, size_t g, std::mt19937& rng,
               std::atomic<int>& enabled) {
  const unsigned own = static_cast<unsigned>(g);
  const unsigned apid = rng() % 4 == 0 ? rng() % 4 : own;
  const unsigned apqi = rng() % 4 == 0 ? rng() % 6 : 2 * own;
  const Apqn q(static_cast<uint8_t>(apid), static_cast<uint8_t>(apqi));
  kvm::PqapRegs r;
  const unsigned what = rng() % 3;
  r.gr0 = (what == 2 ? 0 : uint64_t{kvm::kPqapAqic} << 24) | q.qid();
  r.gr1 = (what == 0 ? kvm::kAqicIrBit : 0) | (rng() % 8);
  r.gr2 = 0x1000 * (1 + rng() % 16);
  const kvm::PqapResult res = guest.Pqap(false, r);
  EXPECT_EQ(res.outcome, kvm::PqapOutcome::kCompleted);
  if (what == 0 && res.cc == 0) ++enabled;
}

TEST_F(GuestStressTest, GuestsAndHostEventsRace) {
  const unsigned seed = EnvOr("VAP_STRESS_SEED", 1);
  const auto deadline =
      SteadyClock::now() + std::chrono::seconds(EnvOr("VAP_STRESS_SECONDS", 2));
  std::printf("guest stress: seed %u\n", seed);
  ASSERT_TRUE(bus_.WriteApmask("-0-3").ok());
  ASSERT_TRUE(bus_.WriteAqmask("-0-5").ok());
  std::vector<std::unique_ptr<vm::Qemu>> vms;
  for (size_t i = 0; i < kGuests; ++i) {
    ASSERT_TRUE(MakeMdev(i));
    vms.push_back(std::make_unique<vm::Qemu>(vfio_, Options(i)));
    ASSERT_TRUE(vms.back()->Realize(MdevUuid(i)).ok());
    vms.back()->StartVcpus();
  }
  std::atomic<int> enabled{0};    // AQIC enables that succeeded
  std::atomic<int> delivered{0};  // adapter interrupts delivered
  std::atomic<int> removals{0};   // mdevs removed while attached
  const auto running = [&] { return SteadyClock::now() < deadline; };

  auto pqap = [&](size_t g) {
    std::mt19937 rng(seed * 100 + static_cast<unsigned>(g));
    while (running()) IssuePqap(vms[g]->guest(), g, rng, enabled);
  };
  // Configuration changes of every kind, faults and interrupts.
  auto mutate = [&] {
    std::mt19937 rng(seed * 100 + 11);
    for (int i = 0; running(); ++i) {
      const Uuid u = MdevUuid(rng() % kGuests);
      const std::string id = std::to_string(rng() % 6);
      const auto apid = static_cast<uint8_t>(rng() % 4);
      const auto apqi = static_cast<uint8_t>(rng() % 6);
      switch (rng() % 10) {
        case 0:
          (void)vfio_.AssignAdapter(u, std::to_string(apid));
          break;
        case 1:
          (void)vfio_.UnassignAdapter(u, std::to_string(apid));
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
          const std::string q = Apqn(apid, apqi).ToString();
          if (rng() % 2 != 0) {
            (void)bus_.Unbind("vfio_ap", q);
          } else {
            (void)bus_.Bind("vfio_ap", q);
          }
          break;
        }
        case 6:
          if (rng() % 2 != 0) {
            (void)bus_.RemoveUsageDomain(apqi);
          } else {
            (void)bus_.AddUsageDomain(apqi);
          }
          break;
        case 7:
          (void)fw_.InjectFault({ap::FaultKind::kBusy, apid, apqi, 2});
          break;
        default:
          if (fw_.RaiseInterrupt(Apqn(apid, apqi))) ++delivered;
          break;
      }
      if (i % 50 == 0) vfio_.CheckInvariants();
    }
  };
  // Guests restart; one tries to open another's mdev; an mdev a guest
  // holds is removed (QEMU unplugs it on the request) and made again.
  auto lifecycle = [&] {
    std::mt19937 rng(seed * 100 + 23);
    while (running()) {
      const size_t g = rng() % kGuests;
      vm::Qemu& vm = *vms[g];
      switch (rng() % 4) {
        case 0: {
          const Uuid other = MdevUuid((g + 1) % kGuests);
          const Status s = vfio_.Attach(other, &vm.guest());
          EXPECT_TRUE(s.ok() || s.errno_value() == EPERM ||
                      s.errno_value() == EBUSY || s.errno_value() == ENODEV)
              << s.ToString();
          if (s.ok()) vfio_.Detach(other);
          break;
        }
        case 1:
          if (vfio_.RemoveMdev(MdevUuid(g)).ok()) ++removals;
          EXPECT_FALSE(vm.device().has_value());
          (void)MakeMdev(g);
          (void)vm.Realize(MdevUuid(g));
          break;
        default:
          vm.Unrealize();
          std::this_thread::yield();
          (void)vm.Realize(MdevUuid(g));
          break;
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t g = 0; g < kGuests; ++g) threads.emplace_back(pqap, g);
  threads.emplace_back(mutate);
  threads.emplace_back(lifecycle);
  for (auto& t : threads) t.join();

  vfio_.CheckInvariants();
  // The walk did enable interrupts and remove held mdevs, so the checks
  // below are not empty.
  EXPECT_GT(enabled.load(), 0);
  EXPECT_GT(removals.load(), 0);
  std::printf("guest stress: %d enables, %d interrupts, %d removals\n",
              enabled.load(), delivered.load(), removals.load());
  // I2: attached guests show their shadow.
  for (size_t i = 0; i < kGuests; ++i) {
    const driver::MdevInfo info = *vfio_.Mdev(MdevUuid(i));
    for (const auto& vm : vms) {
      if (vm->guest().name() != info.guest) continue;
      EXPECT_EQ(vm->guest().Apcb().apm(), info.shadow_apcb.apm());
      EXPECT_EQ(vm->guest().Apcb().aqm(), info.shadow_apcb.aqm());
    }
  }
  for (const auto& vm : vms) {
    vm->StopVcpus();
    vm->Unrealize();
    const kvm::Guest& g = vm->guest();
    // I1: every read in SIE saw a whole APCB; and the vCPUs did read.
    EXPECT_GT(g.observations().reads.load(), 0u) << g.name();
    EXPECT_EQ(g.observations().torn.load(), 0u) << g.name();
    // I7: no hook, no masks, nothing registered.
    EXPECT_EQ(g.pqap_hook(), nullptr);
    EXPECT_EQ(g.Apcb().apm(), ApMask());
    EXPECT_EQ(g.AlertMask(), 0) << g.name();
  }
  // I6: no page pinned, no queue with interrupts enabled for a guest.
  for (size_t i = 0; i < kGuests; ++i)
    EXPECT_TRUE(vfio_.PinnedPages(MdevUuid(i)).empty());
  for (const apbus::ApDevice& q : bus_.Queues()) {
    EXPECT_FALSE(fw_.GuestIrqEnabled(q.apqn())) << q.Name();
  }
}

}  // namespace
}  // namespace vap
