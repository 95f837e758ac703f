// A guest's live migration between two whole hosts in one process, as
// `vap guest migrate` runs it between two vapd: the source's stream fed to
// the destination in pieces, then the guest running there with the same
// APCB, its kernel seeing its queues, and gone from the source; a refused
// destination leaves the source's guest running.
#include <gtest/gtest.h>

#include "ap/profile.h"
#include "system/system.h"

namespace vap {
namespace {

using ap::BuiltinProfile;

const Uuid kU = *Uuid::Parse("62177883-f1bb-47f0-914d-32a22e3a8804");
const Uuid kV = *Uuid::Parse("4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2");

std::unique_ptr<System> Host(const Uuid& mdev, bool assign,
                             bool se_guest = false) {
  SystemOptions o;
  o.time_scale = 0.01;
  o.periodic_scans = false;
  o.profile = BuiltinProfile("default").value();
  o.profile->se_guest = se_guest;
  Result<std::unique_ptr<System>> s = System::Create(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  sysfs::Tree& t = (*s)->tree();
  EXPECT_TRUE(t.Write("bus/ap/apmask", "-5\n").ok());
  EXPECT_TRUE(t.Write("bus/ap/aqmask", "-0x47,-0xab\n").ok());
  EXPECT_TRUE(t.Write("devices/vfio_ap/matrix/mdev_supported_types/"
                      "vfio_ap-passthrough/create",
                      mdev.ToString())
                  .ok());
  if (assign) {
    const std::string dir = "devices/vfio_ap/matrix/" + mdev.ToString() + "/";
    EXPECT_TRUE(t.Write(dir + "assign_adapter", "5").ok());
    EXPECT_TRUE(t.Write(dir + "assign_domain", "0x47").ok());
    EXPECT_TRUE(t.Write(dir + "assign_domain", "0xab").ok());
    EXPECT_TRUE(t.Write(dir + "assign_control_domain", "0xab").ok());
  }
  return std::move(*s);
}

// The whole stream from `src` into `dst`: what the CLI does.
Status Migrate(System& src, System& dst, const Uuid& mdev) {
  VAP_ASSIGN_OR_RETURN(std::string setup, src.MigrateOutBegin("g"));
  Status s = dst.MigrateInBegin("g", mdev, 2);
  if (s.ok()) s = dst.MigrateInWrite("g", setup);
  while (s.ok()) {
    Result<std::string> piece = src.MigrateOutRead("g", 100);
    if (!piece.ok()) {
      s = piece.status();
      break;
    }
    if (piece->empty()) break;
    // In two halves, as a socket may deliver it.
    const size_t half = piece->size() / 2;
    s = dst.MigrateInWrite("g", piece->substr(0, half));
    if (s.ok()) s = dst.MigrateInWrite("g", piece->substr(half));
  }
  if (s.ok()) s = dst.MigrateInEnd("g");
  EXPECT_TRUE(src.MigrateOutEnd("g", s.ok()).ok());
  return s;
}

TEST(SystemMigrationTest, TheGuestMovesWithItsApcb) {
  std::unique_ptr<System> a = Host(kU, true), b = Host(kU, false);
  ASSERT_TRUE(a->StartGuest("g", kU, 2).ok());
  const GuestInfo before = *a->ShowGuest("g");
  ASSERT_TRUE(Migrate(*a, *b, kU).ok());
  EXPECT_EQ(a->ShowGuest("g").status().errno_value(), ENOENT);
  const GuestInfo after = *b->ShowGuest("g");
  EXPECT_EQ(after.apcb, before.apcb);
  EXPECT_EQ(after.vcpus, 2);
  EXPECT_EQ(after.mdev, kU.ToString());
  EXPECT_EQ(after.torn_reads, 0u);
  std::shared_ptr<guest::GuestKernel> kernel = *b->GuestKernelOf("g");
  EXPECT_TRUE(kernel->tree().GetAttr("devices/ap/card05/05.0047").ok());
  kernel.reset();
  // And back, onto another mdev of the first host.
  ASSERT_TRUE(a->tree()
                  .Write("devices/vfio_ap/matrix/" + kU.ToString() + "/remove",
                         "1")
                  .ok());
  ASSERT_TRUE(a->tree()
                  .Write("devices/vfio_ap/matrix/mdev_supported_types/"
                         "vfio_ap-passthrough/create",
                         kV.ToString())
                  .ok());
  ASSERT_TRUE(Migrate(*b, *a, kV).ok());
  EXPECT_EQ(a->ShowGuest("g")->apcb, before.apcb);
  EXPECT_EQ(b->GuestNames().size(), 0u);
}

TEST(SystemMigrationTest, ARefusedDestinationLeavesTheSourceRunning) {
  std::unique_ptr<System> a = Host(kU, true), b = Host(kU, false);
  ASSERT_TRUE(b->tree().Write("bus/ap/aqmask", "+0xab").ok());
  ASSERT_TRUE(b->tree().Write("bus/ap/apmask", "+5").ok());
  ASSERT_TRUE(a->StartGuest("g", kU, 1).ok());
  EXPECT_EQ(Migrate(*a, *b, kU).errno_value(), ENODEV);
  EXPECT_EQ(b->GuestNames().size(), 0u);  // its QEMU exited
  const GuestInfo g = *a->ShowGuest("g");
  EXPECT_EQ(g.vcpus, 1);
  EXPECT_EQ(g.queues.size(), 2u);
  EXPECT_TRUE(a->GuestReset("g").ok());  // the device is RUNNING again
}

TEST(SystemMigrationTest, ASecureExecutionHostBlocksTheMigration) {
  std::unique_ptr<System> a = Host(kU, true, /*se_guest=*/true);
  ASSERT_TRUE(a->StartGuest("g", kU, 1).ok());
  const Result<std::string> begun = a->MigrateOutBegin("g");
  EXPECT_EQ(begun.status().errno_value(), ENOTTY);
  EXPECT_NE(begun.status().message().find(
                "VFIO migration is not supported in kernel"),
            std::string::npos);
  // Nothing stopped: the guest runs on, and a later attempt is refused the
  // same way rather than as one in progress.
  EXPECT_EQ(a->ShowGuest("g")->vcpus, 1);
  EXPECT_EQ(a->MigrateOutBegin("g").status().errno_value(), ENOTTY);
  EXPECT_EQ(*a->tree().Read("devices/vfio_ap/matrix/features"),
            "guest_matrix hotplug ap_config migratable\n");
}

TEST(SystemMigrationTest, AnAbortTearsDownOnlyAGuestStillIncoming) {
  std::unique_ptr<System> a = Host(kU, true), b = Host(kU, false);
  ASSERT_TRUE(b->MigrateInBegin("g", kU, 1).ok());
  EXPECT_TRUE(b->MigrateInAbort("g").ok());
  EXPECT_EQ(b->ShowGuest("g").status().errno_value(), ENOENT);
  EXPECT_EQ(b->MigrateInAbort("g").errno_value(), ENOENT);
  // Once the guest runs, an abort leaves it alone.
  ASSERT_TRUE(a->StartGuest("g", kU, 1).ok());
  ASSERT_TRUE(Migrate(*a, *b, kU).ok());
  EXPECT_TRUE(b->MigrateInAbort("g").ok());
  EXPECT_EQ(b->ShowGuest("g")->vcpus, 2);  // as Migrate() starts it
}

}  // namespace
}  // namespace vap
