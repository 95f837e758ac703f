// The public API as a user drives it: only include/vap headers.
#include "vap/host.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

namespace vap {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kU = "62177883-f1bb-47f0-914d-32a22e3a8804";
const std::string kU2 = "4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2";
const std::string kMatrix = "devices/vfio_ap/matrix/";

class HostApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HostOptions o;
    o.virtual_time = true;
    o.periodic_scans = false;
    o.guest_kernels = false;  // the tests issue the guests' PQAPs themselves
    o.log_sink = [this](int level, std::string_view line) {
      lines_.emplace_back(level, std::string(line));
    };
    Result<std::unique_ptr<Host>> h = Host::Create(o);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    host_ = std::move(*h);
  }
  // Adapter 5 and domains 0x47, 0xab for vfio_ap; kU holds 05.0047.
  void MakeMdev() {
    ASSERT_TRUE(host_->Write("bus/ap/apmask", "-5\n").ok());
    ASSERT_TRUE(host_->Write("bus/ap/aqmask", "-0x47,-0xab\n").ok());
    ASSERT_TRUE(host_->CreateMdev(kU).ok());
    ASSERT_TRUE(host_->AssignAdapter(kU, 5).ok());
    ASSERT_TRUE(host_->AssignDomain(kU, 0x47).ok());
  }

  std::vector<std::pair<int, std::string>> lines_;  // before host_ goes
  std::unique_ptr<Host> host_;
};

TEST(HostCreateTest, ProfilesByNameFileOrText) {
  HostOptions o;
  o.periodic_scans = false;
  o.profile = "builtin:nosuch";
  EXPECT_EQ(Host::Create(o).status().errno_value(), ENOENT);
  o.profile = R"({"adapters": [{"id": 9, "type": "CEX8P"}],
                  "usage_domains": [1], "control_domains": [1]})";
  Result<std::unique_ptr<Host>> h = Host::Create(o);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(*(*h)->Read("devices/ap/card09/type"), "CEX8P\n");
  o.profile = R"({"adapters": 3})";
  EXPECT_EQ(Host::Create(o).status().errno_value(), EINVAL);
  o.profile = "builtin:default";
  o.time_scale = 0;
  EXPECT_EQ(Host::Create(o).status().errno_value(), EINVAL);
}

TEST_F(HostApiTest, TheTreeAsCatAndEchoSeeIt) {
  EXPECT_EQ(*host_->Read("bus/ap/ap_max_adapter_id"), "255\n");
  EXPECT_EQ(host_->Write("bus/ap/ap_adapter_mask", "0x").errno_value(),
            EACCES);
  EXPECT_EQ(host_->Write("bus/ap/apmask", "bogus").errno_value(), EINVAL);
  EXPECT_EQ(host_->Read("bus/ap/nosuch").status().errno_value(), ENOENT);
  const Result<std::vector<std::string>> drivers = host_->List("bus/ap/drivers");
  ASSERT_TRUE(drivers.ok());
  EXPECT_THAT(*drivers, ElementsAre("cex4card", "cex4queue", "vfio_ap"));
  EXPECT_EQ(*host_->ReadLink("bus/ap/devices/card03"),
            "../../../devices/ap/card03");
}

TEST_F(HostApiTest, TypedOperationsAreTheStores) {
  MakeMdev();
  EXPECT_THAT(host_->Mdevs(), ElementsAre(kU));
  EXPECT_EQ(*host_->Read(kMatrix + kU + "/matrix"), "05.0047\n");
  EXPECT_EQ(*host_->ApConfig(kU),
            *host_->Read(kMatrix + kU + "/ap_config"));
  const Result<MdevReport> r = host_->Mdev(kU);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->adapters, ElementsAre(5u));
  EXPECT_THAT(r->domains, ElementsAre(0x47u));
  EXPECT_THAT(r->guest_adapters, IsEmpty());
  // The kernel's checks, errno and reason: 03.0004 is the host's.
  ASSERT_TRUE(host_->AssignAdapter(kU, 3).ok());
  EXPECT_EQ(host_->AssignDomain(kU, 4).errno_value(), EADDRNOTAVAIL);
  ASSERT_TRUE(host_->UnassignAdapter(kU, 3).ok());
  EXPECT_EQ(host_->AssignAdapter(kU, 256).errno_value(), ENODEV);
  ASSERT_TRUE(host_->CreateMdev(kU2).ok());
  ASSERT_TRUE(host_->AssignDomain(kU2, 0x47).ok());
  const Status in_use = host_->AssignAdapter(kU2, 5);
  EXPECT_EQ(in_use.errno_value(), EADDRINUSE);
  EXPECT_EQ(in_use.message(),
            "Userspace may not assign queue 05.0047 to mdev: already "
            "assigned to " + kU);
  ASSERT_FALSE(lines_.empty());
  EXPECT_EQ(lines_.back().first, 4);  // dev_warn
  EXPECT_THAT(lines_.back().second, HasSubstr(in_use.message()));
  EXPECT_EQ(host_->CreateMdev(kU).errno_value(), EEXIST);
  EXPECT_EQ(host_->CreateMdev("not-a-uuid").errno_value(), EINVAL);
  // ap_config replaces the matrix at once.
  ASSERT_TRUE(host_->SetApConfig(kU2, "0x,0x,0x").ok());
  EXPECT_THAT(host_->Mdev(kU2)->domains, IsEmpty());
  ASSERT_TRUE(host_->RemoveMdev(kU2).ok());
  EXPECT_EQ(host_->Read(kMatrix + kU2 + "/matrix").status().errno_value(),
            ENOENT);
  EXPECT_EQ(host_->RemoveMdev(kU2).errno_value(), ENODEV);
}

TEST_F(HostApiTest, AGuestSeesItsMdevAndPqapReachesTheQueue) {
  MakeMdev();
  ASSERT_TRUE(host_->StartGuest("g1", kU, 2).ok());
  EXPECT_EQ(host_->StartGuest("g1", kU, 2).errno_value(), EEXIST);
  EXPECT_THAT(host_->Guests(), ElementsAre("g1"));
  const Result<GuestReport> g = host_->Guest("g1");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->mdev, kU);
  EXPECT_THAT(g->adapters, ElementsAre(5u));
  EXPECT_THAT(g->queues, ElementsAre(QueueId{5, 0x47}));
  EXPECT_EQ(host_->Mdev(kU)->guest, "g1");
  EXPECT_THAT(host_->Mdev(kU)->guest_domains, ElementsAre(0x47u));

  // The bus reset 05.0047 when cex4queue gave it up (ap_queue_remove()),
  // and virtual time may not have moved since (it moves when someone
  // waits, the bus's poller too): the guest's reset waits it out.
  PqapCall tapq;
  tapq.queue = {5, 0x47};
  ASSERT_TRUE(host_->ResetGuest("g1").ok());
  const Result<PqapReply> in = host_->Pqap("g1", tapq);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->outcome, "completed");
  EXPECT_EQ(in->cc, 0);
  tapq.queue = {5, 0xab};  // not in the guest's APCB: "AP queue not valid"
  EXPECT_EQ(host_->Pqap("g1", tapq)->response_code, 0x01u);
  PqapCall enable;
  enable.function = PqapFunction::kAqicEnable;
  enable.queue = {5, 0x47};
  ASSERT_EQ(host_->Pqap("g1", enable)->cc, 0);
  EXPECT_THAT(host_->Guest("g1")->interrupts, ElementsAre(true));
  ASSERT_TRUE(host_->ResetGuest("g1").ok());
  EXPECT_THAT(host_->Guest("g1")->interrupts, ElementsAre(false));

  EXPECT_EQ(host_->Pqap("nosuch", tapq).status().errno_value(), ENOENT);
  ASSERT_TRUE(host_->StopGuest("g1").ok());
  EXPECT_EQ(host_->Guest("g1").status().errno_value(), ENOENT);
}

TEST_F(HostApiTest, SubscribersHearTheKernelsUeventsInOrder) {
  std::unique_ptr<EventSubscription> events = host_->SubscribeEvents();
  ASSERT_TRUE(host_->CreateMdev(kU).ok());
  ASSERT_TRUE(host_->RemoveMdev(kU).ok());
  std::vector<std::string> seen;
  uint64_t seqnum = 0;
  while (std::optional<KernelEvent> e = events->Next(std::chrono::milliseconds(10))) {
    seen.push_back(e->action + " " + e->devpath + " " + e->subsystem);
    if (seqnum != 0) {
      EXPECT_EQ(e->seqnum, seqnum + 1);
    }
    seqnum = e->seqnum;
    EXPECT_EQ(e->env.back(), "SEQNUM=" + std::to_string(e->seqnum));
  }
  const std::string dev = "/devices/vfio_ap/matrix/" + kU;
  EXPECT_THAT(seen, ElementsAre("add " + dev + " mdev", "bind " + dev + " mdev",
                                "unbind " + dev + " mdev",
                                "remove " + dev + " mdev"));
  EXPECT_EQ(events->dropped(), 0u);
}

TEST_F(HostApiTest, ExplainAndGridAsTheCliPrintsThem) {
  MakeMdev();
  ASSERT_TRUE(host_->AssignDomain(kU, 0xab).ok());
  const Result<std::string> why = host_->Explain(kU);
  ASSERT_TRUE(why.ok());
  EXPECT_THAT(*why, HasSubstr("no guest"));
  EXPECT_EQ(host_->Explain(kU2).status().errno_value(), ENODEV);
  const Result<std::string> grid = host_->Grid();
  ASSERT_TRUE(grid.ok());
  EXPECT_THAT(*grid, HasSubstr("  05  "));
  EXPECT_THAT(*grid, HasSubstr("  A = " + kU + "\n"));
}

}  // namespace
}  // namespace vap
