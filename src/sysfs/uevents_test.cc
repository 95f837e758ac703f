// The kernel's uevents through the tree, as `udevadm monitor --kernel
// --property` would see them (docs/sysfs-abi.md, "uevents").
#include "sysfs/uevents.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ap/profile.h"
#include "base/clock.h"
#include "sysfs/host_tree.h"

namespace vap::sysfs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string kU = "62177883-f1bb-47f0-914d-32a22e3a8804";
const std::string kSynth = "fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18eed";
const std::string kType =
    "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/";

ap::HostProfile Profile() {
  return *ap::ParseHostProfile(R"({
    "adapters": [{"id": 5, "type": "CEX7C"}, {"id": 6, "type": "CEX7C"}],
    "usage_domains": [4, 71], "control_domains": [4, 71]})");
}

class UeventsTest : public ::testing::Test {
 protected:
  UeventsTest()
      : clock_(/*auto_advance=*/true),
        host_(clock_, Profile()),
        sub_(host_.uevents().Subscribe()) {}

  int Write(const std::string& path, const std::string& value) {
    const Result<size_t> r = host_.tree().Write(path, value);
    return r.ok() ? 0 : r.status().errno_value();
  }
  // Every event sent since the last call: "action devpath" and its keys
  // without ACTION, DEVPATH and SEQNUM, one line each.
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    while (std::optional<Uevent> e = sub_->Next(1ms)) {
      std::string line = e->action() + " " + e->devpath();
      for (const std::string& kv : e->Env()) {
        if (kv.starts_with("ACTION=") || kv.starts_with("DEVPATH=") ||
            kv.starts_with("SEQNUM="))
          continue;
        line += " " + kv;
      }
      out.push_back(line);
    }
    return out;
  }

  ManualClock clock_;
  HostTree host_;
  std::unique_ptr<UeventHub::Subscription> sub_;
};

TEST_F(UeventsTest, BootSentTheMatrixAndTheScanAndNumbersGoOn) {
  // add+bind+registered, 2 cards and 4 queues added and bound, INITSCAN,
  // BINDINGS=complete: 3 + 12 + 2.
  EXPECT_EQ(host_.uevents().seqnum(), 17u);
  EXPECT_EQ(*host_.tree().Read("bus/ap/bindings_complete_count"), "1\n");
  ASSERT_EQ(Write(kType + "create", kU), 0);
  const std::optional<Uevent> e = host_.uevents().Subscribe()->Next(1ms);
  EXPECT_FALSE(e.has_value());  // a new subscriber hears only what follows
  EXPECT_EQ(sub_->Next(1ms)->seqnum(), 18u);
}

TEST_F(UeventsTest, AnMdevsLifeAsMdevCoreSendsIt) {
  ASSERT_EQ(Write(kType + "create", kU), 0);
  ASSERT_EQ(Write("devices/vfio_ap/matrix/" + kU + "/remove", "1"), 0);
  const std::string dev = "/devices/vfio_ap/matrix/" + kU;
  EXPECT_THAT(Events(),
              ElementsAre("add " + dev + " SUBSYSTEM=mdev",
                          "bind " + dev + " SUBSYSTEM=mdev DRIVER=vfio_ap_mdev",
                          "unbind " + dev + " SUBSYSTEM=mdev",
                          "remove " + dev + " SUBSYSTEM=mdev"));
}

TEST_F(UeventsTest, AMaskStoreRebindsThenSaysTheMaskAndTheScanCompletes) {
  ASSERT_EQ(Write("bus/ap/apmask", "-5\n"), 0);
  const std::string q = "/devices/ap/card05/05.00";
  EXPECT_THAT(
      Events(),
      ElementsAre(
          "unbind " + q + "04 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
          "bind " + q + "04 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap "
                        "MODE=cca",
          "unbind " + q + "47 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
          "bind " + q + "47 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap "
                        "MODE=cca",
          "change /devices/ap SUBSYSTEM=ap APMASK=0xfb" + std::string(62, 'f') +
              "\n"));
  // The next scan finds every queue bound again: BINDINGS=complete, once.
  ASSERT_EQ(Write("bus/ap/scans", "1"), 0);
  EXPECT_THAT(Events(), ElementsAre("change /devices/ap SUBSYSTEM=ap "
                                    "BINDINGS=complete COMPLETECOUNT=2"));
  EXPECT_EQ(*host_.tree().Read("bus/ap/bindings_complete_count"), "2\n");
  ASSERT_EQ(Write("bus/ap/scans", "1"), 0);
  EXPECT_THAT(Events(), ElementsAre());
  // The same mask again changes nothing and says nothing.
  ASSERT_EQ(Write("bus/ap/apmask", "-5\n"), 0);
  EXPECT_THAT(Events(), ElementsAre());
}

TEST_F(UeventsTest, OnlineAndConfigStoresSayWhatChanged) {
  const std::string card =
      "/devices/ap/card06 SUBSYSTEM=ap ";
  const std::string keys =
      " DEVTYPE=ap_card DRIVER=cex4card DEV_TYPE=000D MODALIAS=ap:t0D MODE=cca";
  const std::string qkeys = " DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca";
  ASSERT_EQ(Write("devices/ap/card06/online", "0"), 0);
  EXPECT_THAT(
      Events(),
      ElementsAre("change " + card + "ONLINE=0" + keys,
                  "change /devices/ap/card06/06.0004 SUBSYSTEM=ap ONLINE=0" +
                      qkeys,
                  "change /devices/ap/card06/06.0047 SUBSYSTEM=ap ONLINE=0" +
                      qkeys));
  // A queue's store says so even when nothing changes.
  ASSERT_EQ(Write("devices/ap/card06/06.0004/online", "0"), 0);
  EXPECT_THAT(Events(),
              ElementsAre("change /devices/ap/card06/06.0004 SUBSYSTEM=ap "
                          "ONLINE=0" + qkeys));
  ASSERT_EQ(Write("devices/ap/card06/config", "0"), 0);
  EXPECT_THAT(Events(), ElementsAre("change " + card + "CONFIG=0" + keys));
  // Refused writes say nothing.
  EXPECT_EQ(Write("devices/ap/card06/online", "2"), EINVAL);
  EXPECT_THAT(Events(), ElementsAre());
}

TEST_F(UeventsTest, WritesToUeventFilesSendSyntheticEvents) {
  ASSERT_EQ(Write("devices/ap/card05/uevent", "change " + kSynth + " A=1\n"),
            0);
  ASSERT_EQ(Write("devices/ap/card05/05.0004/uevent", "unbind"), 0);
  ASSERT_EQ(Write("devices/ap/uevent", "change"), 0);
  ASSERT_EQ(Write("devices/vfio_ap/matrix/uevent", "add " + kSynth), 0);
  ASSERT_EQ(Write("bus/ap/uevent", "add"), 0);
  ASSERT_EQ(Write("bus/ap/drivers/vfio_ap/uevent", "remove\n"), 0);
  ASSERT_EQ(Write("devices/vfio_ap/uevent", "add"), 0);  // filtered: nothing
  ASSERT_EQ(Write("bus/matrix/uevent", "add"), 0);
  ASSERT_EQ(Write("bus/mdev/drivers/vfio_ap_mdev/uevent", "add"), 0);
  EXPECT_THAT(
      Events(),
      ElementsAre(
          "change /devices/ap/card05 SUBSYSTEM=ap SYNTH_UUID=" + kSynth +
              " SYNTH_ARG_A=1 DEVTYPE=ap_card DRIVER=cex4card DEV_TYPE=000D "
              "MODALIAS=ap:t0D MODE=cca",
          "unbind /devices/ap/card05/05.0004 SUBSYSTEM=ap SYNTH_UUID=0 "
          "DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
          "change /devices/ap SUBSYSTEM=ap SYNTH_UUID=0",
          "add /devices/vfio_ap/matrix SUBSYSTEM=matrix SYNTH_UUID=" + kSynth +
              " DRIVER=vfio_ap",
          "add /bus/ap SUBSYSTEM=bus SYNTH_UUID=0",
          "remove /bus/ap/drivers/vfio_ap SUBSYSTEM=drivers SYNTH_UUID=0",
          "add /bus/matrix SUBSYSTEM=bus SYNTH_UUID=0",
          "add /bus/mdev/drivers/vfio_ap_mdev SUBSYSTEM=drivers SYNTH_UUID=0"));
}

TEST_F(UeventsTest, MalformedWritesAreRefusedAndLoggedAsTheKernelDoes) {
  EXPECT_EQ(Write("devices/ap/card05/uevent", "hello"), EINVAL);
  const std::vector<LogLine> lines = host_.drivers().log().Read();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[lines.size() - 2].text,
            "synth uevent: /devices/ap/card05: unknown uevent action string");
  EXPECT_EQ(lines.back().text,
            "cex4card card05: uevent: failed to send synthetic uevent: -22");
  EXPECT_EQ(Write("devices/vfio_ap/uevent", "add x"), EINVAL);
  EXPECT_EQ(host_.drivers().log().LastText(),
            " vfio_ap: uevent: failed to send synthetic uevent: -22");
  EXPECT_EQ(Write("bus/ap/uevent", "add x"), EINVAL);
  EXPECT_EQ(host_.drivers().log().LastText(),
            "synth uevent: /bus/ap: incorrect uevent action arguments");
  EXPECT_THAT(Events(), ElementsAre());
}

TEST_F(UeventsTest, UeventFilesShowTheDevicesKeys) {
  EXPECT_EQ(*host_.tree().Read("devices/ap/card05/uevent"),
            "DEVTYPE=ap_card\nDRIVER=cex4card\nDEV_TYPE=000D\n"
            "MODALIAS=ap:t0D\nMODE=cca\n");
  EXPECT_EQ(*host_.tree().Read("devices/ap/card05/05.0004/uevent"),
            "DEVTYPE=ap_queue\nDRIVER=cex4queue\nMODE=cca\n");
  EXPECT_EQ(*host_.tree().Read("devices/ap/uevent"), "");
  EXPECT_EQ(*host_.tree().Read("devices/vfio_ap/uevent"), "");
  EXPECT_EQ(*host_.tree().Read("devices/vfio_ap/matrix/uevent"),
            "DRIVER=vfio_ap\n");
  ASSERT_EQ(Write(kType + "create", kU), 0);
  EXPECT_EQ(*host_.tree().Read("devices/vfio_ap/matrix/" + kU + "/uevent"),
            "DRIVER=vfio_ap_mdev\n");
}

// A subscriber that reads nothing loses events, counted; stores go on.
TEST_F(UeventsTest, ASubscriberThatDoesNotReadNeverHoldsAStore) {
  auto stalled = host_.uevents().Subscribe(/*queue_bytes=*/4096);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(Write("devices/ap/card05/05.0004/uevent", "change"), 0);
  }
  EXPECT_GT(stalled->dropped(), 150u);
  EXPECT_EQ(sub_->dropped(), 0u);
  EXPECT_EQ(Events().size(), 200u);
}

}  // namespace
}  // namespace vap::sysfs
