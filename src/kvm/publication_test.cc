// Invariant I1 (docs/architecture.md): vCPUs only ever see whole APCBs,
// and the check that says so is not blind.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "kvm/guest.h"

namespace vap::kvm {
namespace {

// Publishes `rounds` alternating configurations while the vCPUs run.
void Churn(Guest& g, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    MutexLock lock(g.kvm_mu());
    if (i % 2 == 0) {
      g.SetMasksLocked(ApMask::All(), ApMask::All(), ApMask::All());
    } else {
      g.SetMasksLocked(ApMask(), ApMask::Of({5}), ApMask());
    }
  }
}

void WaitForReads(const Guest& g, uint64_t at_least) {
  for (int i = 0; i < 20000 && g.observations().reads.load() < at_least; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

TEST(PublicationTest, VcpusNeverSeeAHalfWrittenApcb) {
  Guest g({"g"});
  g.StartVcpus(4);
  WaitForReads(g, 40);
  Churn(g, 300);
  WaitForReads(g, 400);
  g.StopVcpus();
  EXPECT_GT(g.observations().reads.load(), 0u);
  EXPECT_EQ(g.observations().torn.load(), 0u);
  EXPECT_EQ(g.observations().vsie_restarts.load(), 4u * 300u);
  EXPECT_EQ(g.publications(), 300u);
}

TEST(PublicationTest, PublishingWithoutBlockingIsCaught) {
  // The negative control: without the block step a vCPU in SIE reads the
  // CRYCB while it is being written, and the check must say so.
  Guest g({"g"});
  g.TEST_PublishWithoutBlocking(true);
  g.StartVcpus(4);
  WaitForReads(g, 40);
  for (int round = 0; round < 50 && g.observations().torn.load() == 0;
       ++round) {
    Churn(g, 200);
  }
  g.StopVcpus();
  EXPECT_GT(g.observations().torn.load(), 0u);
}

TEST(PublicationTest, PublicationWaitsForVcpusToLeaveSie) {
  Guest g({"g"});
  g.StartVcpus(2);
  WaitForReads(g, 10);
  {
    MutexLock lock(g.kvm_mu());
    g.SetMasksLocked(ApMask::Of({1}), ApMask::Of({2}), ApMask::Of({3}));
  }
  EXPECT_EQ(g.Apcb().apm(), ApMask::Of({1}));
  g.StopVcpus();
}

}  // namespace
}  // namespace vap::kvm
