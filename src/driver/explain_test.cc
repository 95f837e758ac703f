#include "driver/explain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "driver/driver_fixture.h"

namespace vap::driver {
namespace {

using ExplainTest = DriverFixture;
using ::testing::HasSubstr;

const MissingResource* Find(const Explanation& e, ResourceKind kind,
                            uint8_t id) {
  for (const MissingResource& r : e.missing) {
    if (r.kind == kind && r.id == id) return &r;
  }
  return nullptr;
}

TEST_F(ExplainTest, NothingMissing) {
  MakeU1();
  kvm::Guest guest({"g"});
  ASSERT_TRUE(vfio_.Attach(kU1, &guest).ok());
  const Explanation e = *Explain(vfio_, bus_, kU1);
  EXPECT_TRUE(e.missing.empty());
  EXPECT_EQ(e.summary,
            "guest g has 4 queues and 1 control domain; 0 assigned resources "
            "are missing");
}

TEST_F(ExplainTest, NoGuest) {
  MakeU1();
  const Explanation e = *Explain(vfio_, bus_, kU1);
  EXPECT_THAT(e.summary, HasSubstr("no guest is attached"));
  EXPECT_THAT(e.summary, HasSubstr("4 queues"));
  // Everything assigned is missing, for that one reason.
  ASSERT_EQ(e.missing.size(), 5u);  // adapters 5, 6; domains 4, 0xab; cdom 0xab
  for (const MissingResource& r : e.missing)
    EXPECT_EQ(r.reason, MissingReason::kNoGuest);
  EXPECT_EQ(e.missing[0].text,
            "adapter 05 would be passed through, but no guest is attached");
  EXPECT_EQ(e.missing[0].fix,
            "start a guest with mdev 62177883-f1bb-47f0-914d-32a22e3a8804");
}

TEST_F(ExplainTest, NotInTheHostConfiguration) {
  MakeU1();
  ASSERT_TRUE(vfio_.AssignAdapter(kU1, "7").ok());
  ASSERT_TRUE(vfio_.AssignControlDomain(kU1, "0x10").ok());
  const Explanation e = *Explain(vfio_, bus_, kU1);
  const MissingResource* cd = Find(e, ResourceKind::kControlDomain, 0x10);
  ASSERT_NE(cd, nullptr);
  EXPECT_EQ(cd->reason, MissingReason::kNotInHostConfig);
  EXPECT_EQ(cd->text,
            "control domain 0010 is not in the host's AP configuration");
  const MissingResource* a = Find(e, ResourceKind::kAdapter, 7);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->reason, MissingReason::kNotInHostConfig);
  EXPECT_EQ(a->text, "adapter 07 is not in the host's AP configuration");
}

TEST_F(ExplainTest, UnboundQueueKeepsItsAdapterOut) {
  MakeU1();
  ASSERT_TRUE(bus_.Unbind("vfio_ap", "05.00ab").ok());
  const Explanation e = *Explain(vfio_, bus_, kU1);
  const MissingResource* a = Find(e, ResourceKind::kAdapter, 5);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->reason, MissingReason::kQueueNotBound);
  EXPECT_EQ(a->queue, Apqn(5, 0xab));
  EXPECT_EQ(a->driver, "");
  EXPECT_FALSE(a->reserved_by_masks);
  EXPECT_EQ(a->text,
            "adapter 05: queue 05.00ab is bound to no driver, not vfio_ap");
  EXPECT_EQ(a->fix, "echo 05.00ab > /sys/bus/ap/drivers/vfio_ap/bind");
}

TEST_F(ExplainTest, AdapterTypeTooOld) {
  MakeU1();
  const ap::CardSpec old = ap::CardSpec::For(7, *ap::CardType::Parse("CEX3C"));
  ASSERT_TRUE(bus_.AddAdapter(old).ok());
  ASSERT_TRUE(vfio_.AssignAdapter(kU1, "7").ok());
  const Explanation e = *Explain(vfio_, bus_, kU1);
  const MissingResource* a = Find(e, ResourceKind::kAdapter, 7);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->reason, MissingReason::kAdapterTypeTooOld);
  EXPECT_EQ(a->text,
            "adapter 07: type CEX3C is older than CEX4, the AP bus gives it no "
            "device");
}

TEST_F(ExplainTest, FailedResetAndStaleFilter) {
  MakeU1();
  ASSERT_TRUE(
      fw_.InjectFault({ap::FaultKind::kResetNeverEnds, 6, uint8_t{4}, 1}).ok());
  vfio_.set_reset_timeout(std::chrono::milliseconds(100));
  ASSERT_TRUE(vfio_.UnassignAdapter(kU1, "6").ok());
  ASSERT_TRUE(fw_.ClearFaults(6, std::nullopt).ok());
  ASSERT_TRUE(vfio_.AssignAdapter(kU1, "6").ok());
  Explanation e = *Explain(vfio_, bus_, kU1);
  const MissingResource* a = Find(e, ResourceKind::kAdapter, 6);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->reason, MissingReason::kResetFailed);
  EXPECT_EQ(a->reset_rc, 0x02);
  EXPECT_EQ(a->text,
            "adapter 06: the last reset of queue 06.0004 ended with response "
            "code 0x02 "
            "(reset in progress)");
}

TEST_F(ExplainTest, UnknownMdev) {
  EXPECT_EQ(Explain(vfio_, bus_, kU2).status().errno_value(), ENODEV);
}

}  // namespace
}  // namespace vap::driver
