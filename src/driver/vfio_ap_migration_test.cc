// The migration protocol between two vfio_ap hosts, scenario by scenario:
// the source's save stream, the destination's validation with its errno
// and log lines, the overlay, and the sessions' ends (reset, close,
// concurrent use). The source mdev is {5,6} x {4,0x47,0xab} with control
// domain 0xab unless a test says otherwise; the destination's is empty.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "driver/migration_blob.h"
#include "driver/migration_test_host.h"

namespace vap::driver {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCca = R"("type": "CEX8C")";

std::string Card(const char* type, uint32_t functions) {
  return std::string(R"("type": ")") + type + R"(", "functions": )" +
         std::to_string(functions);
}

class MigrationTest : public ::testing::Test {
 protected:
  void Hosts(const ap::HostProfile& src = MigProfile(),
             const ap::HostProfile& dst = MigProfile()) {
    src_ = std::make_unique<MigHost>(clock_, src, kSrcMdev);
    dst_ = std::make_unique<MigHost>(clock_, dst, kDstMdev);
    src_->Configure({5, 6}, {4, 0x47, 0xab}, {0xab});
    src_->Open();
    dst_->Open();
  }
  // QEMU's source side up to the end of the data.
  std::string Save(size_t chunk = 1 << 20) {
    Result<std::unique_ptr<MigrationFile>> f = src_->Set(MigState::kStopCopy);
    EXPECT_TRUE(f.ok() && *f != nullptr);
    if (!f.ok() || *f == nullptr) return "";
    return ReadAll(**f, chunk);
  }
  // The destination's RESUMING session fed with `blob`.
  Status Resume(std::string_view blob, size_t head = 1 << 20,
                size_t body = 1 << 20) {
    Result<std::unique_ptr<MigrationFile>> f = dst_->Set(MigState::kResuming);
    EXPECT_TRUE(f.ok() && *f != nullptr);
    if (!f.ok() || *f == nullptr) return f.status();
    return WriteAll(**f, blob, head, body);
  }
  int ResumeErrno(std::string_view blob) { return Resume(blob).errno_value(); }
  // QEMU's recovery after a failed load: VFIO_DEVICE_RESET, back to RUNNING.
  void ResetDestination() {
    ASSERT_TRUE(dst_->vfio().ResetDevice(kDstMdev).ok());
    ASSERT_EQ(dst_->State(), MigState::kRunning);
  }

  ManualClock clock_{/*auto_advance=*/true};
  std::unique_ptr<MigHost> src_, dst_;
};

TEST_F(MigrationTest, S01_IdenticalHostsCarryTheShadowAndItsHardware) {
  Hosts();
  EXPECT_EQ(*src_->vfio().MigrationFlags(kSrcMdev), kVfioMigrationStopCopy);
  EXPECT_EQ(*src_->vfio().MigrationDataSize(kSrcMdev), 48u + 16u * 6u);
  const std::string blob = Save();
  ASSERT_EQ(blob.size(), 144u);
  EXPECT_EQ(blob.substr(0, 16), std::string("vfap\0\0\0\x01\0\0\0\x06\0\0\0\0", 16));
  const MigBlob decoded = *DecodeMigBlob(blob);
  EXPECT_EQ(decoded.adm, ApMask::Of({0xab}));
  ASSERT_EQ(decoded.records.size(), 6u);
  const Apqn order[] = {{5, 4}, {5, 0x47}, {5, 0xab}, {6, 4}, {6, 0x47}, {6, 0xab}};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(decoded.records[i].apqn, order[i]);
    EXPECT_EQ(decoded.records[i].hwinfo,
              ap::EncodeTapqGr2(src_->firmware().Tapq(order[i]).info));
  }
  EXPECT_TRUE(Resume(blob).ok());
  EXPECT_EQ(dst_->Info().matrix, src_->Info().matrix);
  EXPECT_EQ(dst_->Info().shadow_apcb, src_->Info().shadow_apcb);
  EXPECT_EQ(dst_->guest().CrycbBytes(), src_->guest().CrycbBytes());
  EXPECT_TRUE(dst_->Set(MigState::kRunning).ok());
  EXPECT_EQ(dst_->State(), MigState::kRunning);
  EXPECT_TRUE(src_->Set(MigState::kStop).ok());
  EXPECT_EQ(src_->State(), MigState::kStop);
}

TEST_F(MigrationTest, S02_AnySplitOfReadsAndWritesAndNoPositionalIo) {
  Hosts();
  Result<std::unique_ptr<MigrationFile>> save = src_->Set(MigState::kStopCopy);
  ASSERT_TRUE(save.ok());
  EXPECT_EQ((*save)->Read(5, /*positional=*/true).status().errno_value(), ESPIPE);
  const std::string blob = ReadAll(**save, 5);
  EXPECT_EQ(blob.size(), 144u);
  EXPECT_EQ(*(*save)->Read(5), "");  // EOF stays EOF
  Result<std::unique_ptr<MigrationFile>> res = dst_->Set(MigState::kResuming);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ((*res)->Write("x", /*positional=*/true).status().errno_value(), ESPIPE);
  EXPECT_EQ((*res)->Read(1).status().errno_value(), EBADF);
  EXPECT_EQ((*save)->Write("x").status().errno_value(), EBADF);
  EXPECT_EQ((*res)->Write("").status().errno_value(), EINVAL);
  EXPECT_TRUE(WriteAll(**res, blob, /*head=*/1, /*body=*/7).ok());
  EXPECT_EQ(dst_->Info().matrix, src_->Info().matrix);
  EXPECT_EQ((*res)->Write("x").status().errno_value(), EIO);  // past the end
}

TEST_F(MigrationTest, S03_TheSourceConfigurationReplacesTheDestinations) {
  // The destination has a third adapter, 7 (its queues of the four
  // domains are vfio_ap's: aqmask gave the domains away), and its mdev
  // holds adapter 7 and domain 0xff besides.
  Result<ap::HostProfile> three = ap::ParseHostProfile(
      R"({"adapters": [{"id": 5, "type": "CEX8C"}, {"id": 6, "type": "CEX8C"},
                       {"id": 7, "type": "CEX8C"}],
          "usage_domains": [4, 71, 171, 255],
          "control_domains": [4, 71, 171, 255]})");
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  Hosts(MigProfile(), *three);
  dst_->Configure({5, 7}, {4, 0xff}, {4});
  // The guest on the destination enabled interrupts on 07.0004 and
  // 05.00ff: a reset takes them away.
  for (const Apqn q : {Apqn(7, 4), Apqn(5, 0xff), Apqn(5, 4)})
    ASSERT_EQ(dst_->firmware().AqicEnable(q, 3, 0x1000).response_code, ap::kRcNormal);
  const std::string blob = Save();
  EXPECT_TRUE(Resume(blob).ok());
  const MdevInfo info = dst_->Info();
  EXPECT_EQ(info.matrix, src_->Info().matrix);
  EXPECT_EQ(info.matrix.adm(), ApMask::Of({0xab}));
  // The dropped APQNs left the mdev, reset (interrupts gone) and unlinked;
  // 05.0004, which it keeps, was not reset.
  for (const Apqn q : {Apqn(7, 4), Apqn(7, 0xff), Apqn(5, 0xff), Apqn(6, 0xff)})
    EXPECT_EQ(std::count(info.linked.begin(), info.linked.end(), q), 0) << q.ToString();
  EXPECT_EQ(info.linked.size(), 6u);
  EXPECT_FALSE(dst_->firmware().IrqEnabled(Apqn(7, 4)));
  EXPECT_FALSE(dst_->firmware().IrqEnabled(Apqn(5, 0xff)));
  EXPECT_TRUE(dst_->firmware().IrqEnabled(Apqn(5, 4)));
}

// Decision 8: the overlay installs the records' masks, whose cross
// product may hold a queue no record names; if that queue is not bound to
// vfio_ap the filter takes its adapter out of the shadow, and the
// migration still succeeds (as an ap_config store would; the series' v3
// and v4 refused it with ECANCELED).
TEST_F(MigrationTest, D8_TheOverlayMayFilter) {
  Hosts();
  ASSERT_TRUE(dst_->bus().Unbind("vfio_ap", "06.00ab").ok());
  MigBlob blob;
  blob.adm = ApMask::Of({0xab});
  for (const Apqn q : {Apqn(5, 4), Apqn(5, 0xab), Apqn(6, 4)})
    blob.records.push_back({ap::EncodeTapqGr2(src_->firmware().Tapq(q).info), q});
  EXPECT_TRUE(Resume(EncodeMigBlob(blob)).ok());
  const MdevInfo info = dst_->Info();
  EXPECT_EQ(info.matrix.apm(), ApMask::Of({5, 6}));
  EXPECT_EQ(info.matrix.aqm(), ApMask::Of({4, 0xab}));
  EXPECT_EQ(info.shadow_apcb.apm(), ApMask::Of({5}));  // 06.00ab unbound
  EXPECT_TRUE(dst_->Set(MigState::kRunning).ok());
}

TEST_F(MigrationTest, S04_AMissingQueueIsNamedAndNothingChanges) {
  Hosts();
  ASSERT_TRUE(dst_->firmware().RemoveAdapter(6).ok());
  dst_->bus().Scan();
  const MdevInfo before = dst_->Info();
  EXPECT_EQ(ResumeErrno(Save()), ENODEV);
  for (const char* q : {"06.0004", "06.0047", "06.00ab"}) {
    EXPECT_EQ(dst_->Logged(std::string("vfio_ap_mdev ") + kDstMdev.ToString() +
                           ": Queue " + q +
                           " not available to vfio_ap driver on target host"),
              1)
        << q;
  }
  EXPECT_EQ(dst_->Logged("not available to vfio_ap"), 3);
  EXPECT_EQ(dst_->Info().matrix, before.matrix);
  // The device cannot leave RESUMING as if it had its state.
  EXPECT_EQ(dst_->Set(MigState::kRunning).status().errno_value(), EINVAL);
}

TEST_F(MigrationTest, S05_AQueueOfTheHostsDriversIsNotAvailable) {
  Hosts();
  // 06.0047 goes back to the host's drivers (both masks reserve it).
  ASSERT_TRUE(dst_->bus().WriteApmask("+6").ok());
  ASSERT_TRUE(dst_->bus().WriteAqmask("+0x47").ok());
  EXPECT_EQ(ResumeErrno(Save()), ENODEV);
  EXPECT_EQ(dst_->Logged("Queue 06.0047 not available to vfio_ap driver on "
                         "target host"),
            1);
  EXPECT_EQ(dst_->Logged("not available to vfio_ap"), 1);
  EXPECT_TRUE(dst_->Info().matrix.apm().Empty());
}

TEST_F(MigrationTest, S06_AControlDomainTheDestinationLacks) {
  Hosts(MigProfile(), MigProfile(kCca, kCca, "[4, 71, 255]"));
  EXPECT_EQ(ResumeErrno(Save()), ENODEV);
  EXPECT_EQ(dst_->Logged("vfio_ap_mdev: " + kDstMdev.ToString() +
                         ": Control domain 00ab not available on the "
                         "destination host"),
            1);
  EXPECT_TRUE(dst_->Info().matrix.adm().Empty());
}

TEST_F(MigrationTest, S07_AnOlderCardIsRefusedANewerOneTaken) {
  Hosts(MigProfile(), MigProfile(R"("type": "CEX7C")", kCca));
  EXPECT_EQ(ResumeErrno(Save()), EINVAL);
  const std::string p = "vfio_ap_mdev " + kDstMdev.ToString() + ": ";
  EXPECT_EQ(dst_->Logged(p + "Migration failed: Source and target queue "
                             "(05.0004) not compatible"),
            1);
  EXPECT_EQ(dst_->Logged(p + "AP type of source (0e) not compatible with "
                             "target (0d)"),
            3);  // once per queue of adapter 5
  EXPECT_EQ(dst_->Logged("(06.0004) not compatible"), 0);
}

TEST_F(MigrationTest, S07_ANewerTargetCardIsCompatible) {
  Hosts(MigProfile(R"("type": "CEX7C")", R"("type": "CEX7C")"), MigProfile());
  EXPECT_TRUE(Resume(Save()).ok());
  EXPECT_EQ(dst_->Info().matrix, src_->Info().matrix);
}

TEST_F(MigrationTest, S08_NativeFunctionCannotBeLostButCanBeGained) {
  const std::string native = Card("CEX8C", 0x72800000);
  const std::string stateless = Card("CEX8C", 0x72400000);
  Hosts(MigProfile(native, kCca), MigProfile(stateless, kCca));
  EXPECT_EQ(ResumeErrno(Save()), EINVAL);
  EXPECT_EQ(dst_->Logged("Full native card function available on source "
                         "queue 05.0047"),
            1);
  EXPECT_EQ(dst_->Logged("Only stateless functions available on target "
                         "queue 05.0047"),
            1);
  src_.reset();
  dst_.reset();
  Hosts(MigProfile(stateless, kCca), MigProfile(native, kCca));
  EXPECT_TRUE(Resume(Save()).ok());
}

TEST_F(MigrationTest, S09_ModesAndFacilitiesMustBeEqual) {
  Hosts(MigProfile(), MigProfile(kCca, R"("type": "CEX8P")"));
  EXPECT_EQ(ResumeErrno(Save()), EINVAL);
  EXPECT_EQ(dst_->Logged("Coprocessor-mode facility installed in source queue "
                         "06.0004"),
            1);
  EXPECT_EQ(dst_->Logged("Coprocessor-mode facility not installed in target "
                         "queue 06.0004"),
            1);
  EXPECT_EQ(dst_->Logged("XCP-mode facility not installed in source queue "
                         "06.0004"),
            1);
  EXPECT_EQ(dst_->Logged("XCP-mode facility installed in target queue 06.0004"), 1);
  src_.reset();
  dst_.reset();
  Hosts(MigProfile(), MigProfile(Card("CEX8C", 0x73000000), kCca));
  EXPECT_EQ(ResumeErrno(Save()), EINVAL);
  EXPECT_EQ(dst_->Logged("Stateless-command-filtering (SLCF) not available in "
                         "source queue 05.0004"),
            1);
  EXPECT_EQ(dst_->Logged("Stateless-command-filtering (SLCF) available in "
                         "target queue 05.0004"),
            1);
  src_.reset();
  dst_.reset();
  Hosts(MigProfile(), MigProfile(Card("CEX8C", 0x70000000), kCca));  // no APXA
  EXPECT_EQ(ResumeErrno(Save()), EINVAL);
  EXPECT_EQ(dst_->Logged("AP-extended-addressing (APXA) facility installed in "
                         "source queue 05.00ab"),
            1);
  EXPECT_EQ(dst_->Logged("AP-extended-addressing (APXA) facility not installed "
                         "in target queue 05.00ab"),
            1);
  EXPECT_EQ(dst_->Logged("Migration failed: Source and target queue (05.0047) "
                         "not compatible"),
            1);
}

TEST_F(MigrationTest, S10_ABindStateOtherThanZeroIsRefused) {
  Hosts(MigProfile(), MigProfile(Card("CEX8C", 0x72004000), kCca));
  EXPECT_EQ(ResumeErrno(Save()), EINVAL);
  EXPECT_EQ(dst_->Logged("Bind/associate state for source (0) and target (1) "
                         "queue 05.00ab must be 0"),
            1);
  EXPECT_EQ(dst_->Logged("facility"), 0);  // nothing else differs
}

ap::Fault TapqAnswers(Apqn q, uint8_t rc) {
  ap::Fault f{ap::FaultKind::kAnswer, q.apid, q.apqi, 1};
  f.function = ap::QueueFunction::kTapq;
  f.rc = rc;
  return f;
}

TEST_F(MigrationTest, S11_TheDestinationsTapqAnswers) {
  Hosts();
  const std::string blob = Save();
  ASSERT_TRUE(dst_->firmware().InjectFault(TapqAnswers({6, 0x47}, 0x01)).ok());
  EXPECT_EQ(ResumeErrno(blob), ENODEV);
  EXPECT_EQ(dst_->Logged("vfio_ap_mdev " + kDstMdev.ToString() +
                         ": Failed to get hwinfo for queue 06.0047: TAPQ rc=1"),
            1);
  ASSERT_TRUE(dst_->Set(MigState::kStop).status().errno_value() == EINVAL);
  ASSERT_TRUE(dst_->vfio().ResetDevice(kDstMdev).ok());
  ASSERT_TRUE(dst_->firmware().InjectFault(TapqAnswers({6, 0x47}, 0x03)).ok());
  EXPECT_TRUE(Resume(blob).ok());  // deconfigured: its information counts
}

TEST_F(MigrationTest, S12_AQueueOfAnotherMdevIsInUse) {
  Hosts();
  const Uuid other = *Uuid::Parse("00000000-0000-4000-8000-000000000001");
  ASSERT_TRUE(dst_->vfio().CreateMdev(other).ok());
  ASSERT_TRUE(dst_->vfio().AssignAdapter(other, "5").ok());
  ASSERT_TRUE(dst_->vfio().AssignDomain(other, "0x47").ok());
  dst_->Configure({6}, {0xff}, {});
  const MdevInfo before = dst_->Info();
  EXPECT_EQ(ResumeErrno(Save()), EADDRINUSE);
  EXPECT_EQ(dst_->Info().matrix, before.matrix);
  EXPECT_EQ(dst_->Info().shadow_apcb, before.shadow_apcb);
}

std::string WithWord(std::string blob, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    blob[at + static_cast<size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
  }
  return blob;
}

TEST_F(MigrationTest, S13_ABadHeaderOrSizeIsRefusedEvenInOneWrite) {
  Hosts();
  const std::string blob = Save();
  EXPECT_EQ(ResumeErrno(WithWord(blob, 0, 0x76666171)), EINVAL);
  ResetDestination();
  EXPECT_EQ(ResumeErrno(WithWord(blob, 4, 2)), EINVAL);
  ResetDestination();
  EXPECT_EQ(ResumeErrno(WithWord(blob, 8, 65537)), EINVAL);
  ResetDestination();
  EXPECT_EQ(ResumeErrno(blob + "x"), EIO);
  ResetDestination();
  EXPECT_TRUE(dst_->Info().matrix.apm().Empty());
  EXPECT_TRUE(Resume(blob).ok());  // each RESUMING starts afresh
}

TEST_F(MigrationTest, S14_TheSnapshotIsTakenAtTheFirstRead) {
  Hosts();
  EXPECT_EQ(*src_->vfio().MigrationDataSize(kSrcMdev), 144u);
  ASSERT_TRUE(src_->vfio().UnassignAdapter(kSrcMdev, "6").ok());
  EXPECT_EQ(Save().size(), 96u);
  ASSERT_TRUE(src_->Set(MigState::kStop).ok());
  ASSERT_TRUE(src_->vfio().AssignAdapter(kSrcMdev, "6").ok());
  Result<std::unique_ptr<MigrationFile>> f = src_->Set(MigState::kStopCopy);
  ASSERT_TRUE(f.ok());
  std::string blob = *(*f)->Read(5);
  ASSERT_TRUE(src_->vfio().UnassignAdapter(kSrcMdev, "6").ok());
  blob += ReadAll(**f);
  EXPECT_EQ(blob.size(), 144u);
  EXPECT_EQ(DecodeMigBlob(blob)->records.size(), 6u);
}

TEST_F(MigrationTest, S15_ARetryAfterAFailureSendsAFreshSnapshot) {
  Hosts(MigProfile(), MigProfile(kCca, kCca, "[4, 71, 255]"));
  EXPECT_EQ(ResumeErrno(Save()), ENODEV);
  // QEMU's recovery on both sides, then the administrator drops 0xab.
  ASSERT_TRUE(src_->Set(MigState::kRunning).ok());
  ASSERT_TRUE(dst_->vfio().ResetDevice(kDstMdev).ok());
  ASSERT_TRUE(src_->vfio().UnassignDomain(kSrcMdev, "0xab").ok());
  ASSERT_TRUE(src_->vfio().UnassignControlDomain(kSrcMdev, "0xab").ok());
  const std::string blob = Save();
  EXPECT_EQ(blob.size(), 48u + 16u * 4u);
  EXPECT_TRUE(Resume(blob).ok());
}

// A first read whose TAPQs outlive its session (STOP_COPY -> STOP ->
// STOP_COPY, or a reset, while they run) keeps its blob to itself: the
// next session reads a snapshot of its own, taken at its own first read.
TEST_F(MigrationTest, S15_ASnapshotBuiltForAnEndedSessionIsNotServed) {
  Hosts();
  Result<std::unique_ptr<MigrationFile>> first = src_->Set(MigState::kStopCopy);
  ASSERT_TRUE(first.ok());
  std::unique_ptr<MigrationFile> second;
  src_->vfio().set_migration_hook([&] {
    src_->vfio().set_migration_hook(nullptr);
    ASSERT_TRUE(src_->Set(MigState::kStop).ok());
    ASSERT_TRUE(src_->vfio().UnassignDomain(kSrcMdev, "0xab").ok());
    Result<std::unique_ptr<MigrationFile>> f = src_->Set(MigState::kStopCopy);
    ASSERT_TRUE(f.ok());
    second = std::move(*f);
  });
  EXPECT_EQ((*first)->Read(1).status().errno_value(), EINVAL);
  ASSERT_NE(second, nullptr);
  const std::string blob = ReadAll(*second);
  EXPECT_EQ(blob.size(), 48u + 16u * 4u);  // {5,6} x {4,0x47}
  // The same across a reset: the first read after it finds no session.
  Result<std::unique_ptr<MigrationFile>> third = src_->Set(MigState::kStop);
  ASSERT_TRUE(third.ok());
  third = src_->Set(MigState::kStopCopy);
  ASSERT_TRUE(third.ok());
  src_->vfio().set_migration_hook([&] {
    src_->vfio().set_migration_hook(nullptr);
    ASSERT_TRUE(src_->vfio().ResetDevice(kSrcMdev).ok());
  });
  EXPECT_EQ((*third)->Read(1).status().errno_value(), EINVAL);
  EXPECT_EQ(src_->State(), MigState::kRunning);
}

TEST_F(MigrationTest, S16_AResetEndsTheSessionsAndANewOneWorks) {
  Hosts();
  Result<std::unique_ptr<MigrationFile>> save = src_->Set(MigState::kStopCopy);
  ASSERT_TRUE(save.ok());
  const std::string blob = ReadAll(**save);
  ASSERT_TRUE(src_->vfio().ResetDevice(kSrcMdev).ok());
  EXPECT_EQ(src_->State(), MigState::kRunning);
  EXPECT_EQ((*save)->Read(1).status().errno_value(), EINVAL);
  Result<std::unique_ptr<MigrationFile>> res = dst_->Set(MigState::kResuming);
  ASSERT_TRUE(res.ok());
  ASSERT_TRUE((*res)->Write(blob.substr(0, 5)).ok());
  ASSERT_TRUE(dst_->vfio().ResetDevice(kDstMdev).ok());
  EXPECT_EQ(dst_->State(), MigState::kRunning);
  EXPECT_EQ((*res)->Write(blob.substr(5)).status().errno_value(), ENXIO);
  EXPECT_TRUE(Resume(blob).ok());
  EXPECT_TRUE(dst_->Set(MigState::kRunning).ok());
}

TEST_F(MigrationTest, S17_CloseDuringResumingAndRemovalWaitsForTheFile) {
  Hosts();
  const std::string blob = Save();
  Result<std::unique_ptr<MigrationFile>> res = dst_->Set(MigState::kResuming);
  ASSERT_TRUE(res.ok());
  dst_->Close();
  EXPECT_EQ((*res)->Write(blob).status().errno_value(), ENODEV);
  EXPECT_EQ(dst_->State(), MigState::kRunning);  // not open
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    EXPECT_TRUE(dst_->vfio().RemoveMdev(kDstMdev).ok());
    removed = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(removed.load());
  res->reset();
  remover.join();
  EXPECT_TRUE(removed.load());
}

TEST_F(MigrationTest, S18_ASecondWriterFindsTheWriteInProgress) {
  Hosts();
  const std::string blob = Save();
  Result<std::unique_ptr<MigrationFile>> res = dst_->Set(MigState::kResuming);
  ASSERT_TRUE(res.ok());
  int second = 0;
  dst_->vfio().set_migration_hook(
      [&] { second = (*res)->Write("x").status().errno_value(); });
  EXPECT_TRUE((*res)->Write(blob).ok());
  EXPECT_EQ(second, EBUSY);
  dst_->vfio().set_migration_hook(nullptr);
}

TEST_F(MigrationTest, S18_ConcurrentFirstReadsShareOneSnapshot) {
  Hosts();
  Result<std::unique_ptr<MigrationFile>> f = src_->Set(MigState::kStopCopy);
  ASSERT_TRUE(f.ok());
  std::string a, b;
  std::thread ta([&] { a = *(*f)->Read(72); });
  std::thread tb([&] { b = *(*f)->Read(72); });
  ta.join();
  tb.join();
  const std::string blob = DecodeMigBlob(a + b).ok() ? a + b : b + a;
  EXPECT_TRUE(DecodeMigBlob(blob).ok());
  EXPECT_EQ(*(*f)->Read(1), "");
}

TEST_F(MigrationTest, S19_UnsupportedStatesAndLeavingResumingEarly) {
  Hosts();
  for (MigState s : {MigState::kRunningP2p, MigState::kPreCopy,
                     MigState::kPreCopyP2p, MigState::kError}) {
    EXPECT_EQ(src_->Set(s).status().errno_value(), EINVAL);
  }
  EXPECT_EQ(src_->State(), MigState::kRunning);
  // RUNNING -> RESUMING walks through STOP and hands out the fd.
  Result<std::unique_ptr<MigrationFile>> res = dst_->Set(MigState::kResuming);
  ASSERT_TRUE(res.ok() && *res != nullptr);
  EXPECT_EQ(dst_->Set(MigState::kRunning).status().errno_value(), EINVAL);
  EXPECT_EQ(dst_->State(), MigState::kResuming);
  // A whole blob, then RUNNING; later writes reach no session.
  const std::string blob = Save();
  ASSERT_TRUE(WriteAll(**res, blob).ok());
  Result<std::unique_ptr<MigrationFile>> running = dst_->Set(MigState::kRunning);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(*running, nullptr);
  EXPECT_EQ((*res)->Write(blob).status().errno_value(), ENXIO);
}

TEST_F(MigrationTest, S19_ADeviceNotOpenOnlyRuns) {
  Hosts();
  dst_->Close();
  EXPECT_EQ(dst_->State(), MigState::kRunning);
  EXPECT_TRUE(dst_->Set(MigState::kRunning).ok());
  EXPECT_EQ(dst_->Set(MigState::kStop).status().errno_value(), ENODEV);
  EXPECT_EQ(*dst_->vfio().MigrationDataSize(kDstMdev), 48u);
}

TEST_F(MigrationTest, S20_ASecureExecutionHostOffersNoMigration) {
  Hosts(MigProfile(kCca, kCca, "[4, 71, 171, 255]", /*se_guest=*/true),
        MigProfile());
  EXPECT_EQ(src_->vfio().MigrationFlags(kSrcMdev).status().errno_value(), ENOTTY);
  EXPECT_EQ(src_->vfio().MigrationDataSize(kSrcMdev).status().errno_value(),
            ENOTTY);
  EXPECT_EQ(src_->Set(MigState::kStop).status().errno_value(), ENOTTY);
  EXPECT_EQ(VfioAp::Features(), "guest_matrix hotplug ap_config migratable\n");
  EXPECT_EQ(*dst_->vfio().MigrationFlags(kDstMdev), kVfioMigrationStopCopy);
}

TEST_F(MigrationTest, RoundTripBackToTheFirstHost) {
  Hosts();
  const auto crycb = src_->guest().CrycbBytes();
  ASSERT_TRUE(Resume(Save()).ok());
  ASSERT_TRUE(dst_->Set(MigState::kRunning).ok());
  ASSERT_TRUE(src_->Set(MigState::kStop).ok());
  src_->Close();
  ASSERT_TRUE(src_->vfio().UnassignAdapter(kSrcMdev, "5").ok());
  src_->Open();
  // Back: the destination saves, the first host resumes.
  Result<std::unique_ptr<MigrationFile>> save = dst_->Set(MigState::kStopCopy);
  ASSERT_TRUE(save.ok());
  const std::string blob = ReadAll(**save);
  Result<std::unique_ptr<MigrationFile>> res = src_->Set(MigState::kResuming);
  ASSERT_TRUE(res.ok());
  ASSERT_TRUE(WriteAll(**res, blob).ok());
  ASSERT_TRUE(src_->Set(MigState::kRunning).ok());
  EXPECT_EQ(src_->guest().CrycbBytes(), crycb);
}

}  // namespace
}  // namespace vap::driver
