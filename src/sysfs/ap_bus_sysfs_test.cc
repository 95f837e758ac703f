// The AP bus as the tree shows it: example sessions host-10.1 and
// host-10.6 (docs/sysfs-abi.md) and the attribute formats of ap_bus.c,
// ap_card.c and ap_queue.c, read and written in process.
#include "sysfs/ap_bus_sysfs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "apbus/test_driver.h"
#include "matrix/mask_format.h"

namespace vap::sysfs {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::Not;

// "0x" and 64 hex digits with the given IDs set.
std::string Mask(std::initializer_list<unsigned> ids,
                 bool all_below_16 = false) {
  ApMask m = all_below_16 ? ApMask::Range(0, 15) : ApMask();
  for (unsigned id : ids) m.Set(id);
  return FormatMaskHex(m) + "\n";
}

class ApBusSysfsTest : public ::testing::Test {
 protected:
  explicit ApBusSysfsTest(const char* profile = "default")
      : fw_(clock_, *ap::BuiltinProfile(profile)),
        log_(clock_),
        bus_(fw_, log_, clock_),
        zcrypt_(bus_),
        uevents_(hub_, log_),
        sysfs_(tree_, bus_, zcrypt_, uevents_) {
    EXPECT_TRUE(bus_.RegisterDriver(zcrypt_.card_driver()).ok());
    EXPECT_TRUE(bus_.RegisterDriver(zcrypt_.queue_driver()).ok());
    bus_.Scan();
  }

  std::string Read(std::string_view path) {
    Result<std::string> r = tree_.Read(path);
    return r.ok() ? *r : r.status().ToString();
  }
  int Write(std::string_view path, std::string_view value) {
    Result<size_t> r = tree_.Write(path, value);
    if (r.ok()) {
      EXPECT_EQ(*r, value.size());
      return 0;
    }
    return r.status().errno_value();
  }
  std::vector<std::string> Ls(std::string_view path) {
    std::vector<std::string> out;
    const Result<std::vector<DirEntry>> entries = tree_.List(path);
    for (const DirEntry& e : *entries) out.push_back(e.name);
    return out;
  }

  ManualClock clock_;
  ap::Firmware fw_;
  Logger log_;
  apbus::ApBus bus_;
  apbus::Zcrypt zcrypt_;
  Tree tree_;
  UeventHub hub_;
  UeventSource uevents_;
  ApBusSysfs sysfs_;
  apbus::FakeVfioDriver vfio_;
};

TEST_F(ApBusSysfsTest, DefaultHostAsTheToolsSeeIt) {
  EXPECT_THAT(Ls("devices/ap"),
              ElementsAre("card03", "card04", "card05", "card06", "power",
                          "uevent"));
  EXPECT_EQ(Read("devices/ap/card03/type"), "CEX8C\n");
  EXPECT_EQ(Read("devices/ap/card04/type"), "CEX8P\n");
  EXPECT_EQ(Read("devices/ap/card05/type"), "CEX8C\n");
  EXPECT_EQ(Read("devices/ap/card06/type"), "CEX8A\n");
  for (const char* card : {"card03", "card04", "card05", "card06"}) {
    int queues = 0;
    for (const std::string& name : Ls(std::string("devices/ap/") + card)) {
      queues += name.size() == 7 && name[2] == '.';
    }
    EXPECT_EQ(queues, 18) << card;
  }
  EXPECT_EQ(Read("bus/ap/ap_adapter_mask"), Mask({3, 4, 5, 6}));
  EXPECT_EQ(Read("bus/ap/ap_usage_domain_mask"), Mask({0x47, 0xab}, true));
  EXPECT_EQ(Read("bus/ap/ap_control_domain_mask"),
            Mask({0x10, 0x47, 0xab}, true));
  EXPECT_EQ(Read("bus/ap/ap_usage_domain_mask").size(), 67u);
  EXPECT_EQ(Read("bus/ap/bindings"), "72/72 (complete)\n");
  EXPECT_EQ(Read("bus/ap/scans"), "1\n");
  EXPECT_EQ(Read("bus/ap/ap_max_adapter_id"), "255\n");
  EXPECT_EQ(Read("bus/ap/ap_max_domain_id"), "255\n");
  EXPECT_EQ(Read("bus/ap/features"), "APSC APXA QACT RC8A\n");
  EXPECT_EQ(Read("bus/ap/ap_domain"), "0\n");
  EXPECT_EQ(Read("bus/ap/config_time"), "30\n");
  EXPECT_EQ(Read("bus/ap/poll_timeout"), "250000\n");
  EXPECT_EQ(Read("bus/ap/ap_interrupts"), "1\n");
  EXPECT_EQ(Read("bus/ap/apmask"), "0x" + std::string(64, 'f') + "\n");
}

TEST_F(ApBusSysfsTest, CardAttributes) {
  const std::string c = "devices/ap/card05/";
  EXPECT_EQ(Read(c + "hwtype"), "14\n");
  EXPECT_EQ(Read(c + "raw_hwtype"), "14\n");
  EXPECT_EQ(Read(c + "modalias"), "ap:t0E\n");
  EXPECT_EQ(Read(c + "ap_functions"), "0x72000000\n");
  EXPECT_EQ(Read(c + "config"), "1\n");
  EXPECT_EQ(Read(c + "chkstop"), "0\n");
  EXPECT_EQ(Read(c + "online"), "1\n");
  EXPECT_EQ(Read(c + "max_msg_size"), "12288\n");
  EXPECT_EQ(Read(c + "depth"), "8\n");
  EXPECT_EQ(Read(c + "request_count"), "0\n");
  EXPECT_EQ(Read(c + "serialnr"), "93000005\n");
  EXPECT_EQ(Read(c + "uevent"),
            "DEVTYPE=ap_card\nDRIVER=cex4card\nDEV_TYPE=000E\nMODALIAS=ap:"
            "t0E\nMODE=cca\n");
  EXPECT_EQ(*tree_.ReadLink(c + "driver"), "../../../bus/ap/drivers/cex4card");
  EXPECT_EQ(*tree_.ReadLink(c + "subsystem"), "../../../bus/ap");
  EXPECT_THAT(Ls("bus/ap/drivers/cex4card"), Contains("card05"));
  EXPECT_EQ(tree_.GetAttr(c + "config")->mode, 0644u);
  EXPECT_EQ(tree_.GetAttr(c + "type")->mode, 0444u);
  EXPECT_EQ(Write(c + "type", "x"), EACCES);
  EXPECT_EQ(Write(c + "config", "2\n"), EINVAL);
  EXPECT_EQ(Write(c + "config", "0\n"), 0);
  EXPECT_EQ(Read(c + "config"), "0\n");
  EXPECT_EQ(Read(c + "online"), "0\n");
  EXPECT_EQ(Write(c + "online", "1\n"), ENODEV);
  // EP11 and accelerator cards have their own extra attributes.
  EXPECT_EQ(Read("devices/ap/card04/op_modes"), "\n");  // no special modes
  EXPECT_EQ(tree_.Read("devices/ap/card06/serialnr").status().errno_value(),
            ENOENT);
}

// The key attributes of CCA and EP11 cards and queues show one answer of
// the card to zcrypt's query (cca_get_info(), ep11_get_card_info(),
// ep11_get_domain_info()): all filled, or, when the queue asked (a CCA
// card's serialnr asks on ap_domain; EP11 card attributes ask any queue)
// or its card is offline or the card answers no query, all in the form
// zcrypt_cex4.c shows then.
TEST_F(ApBusSysfsTest, CardInformationComesFromOneQuery) {
  const std::string cca = "devices/ap/card05/", ep11 = "devices/ap/card04/";
  const ap::CardInfo c = ap::CardInfo::ForCca(5), e = ap::CardInfo::ForEp11(4);
  const std::string cca_mkvps =
      "AES NEW: empty 0x0000000000000000\nAES CUR: valid 0x" + c.aes_mkvp +
      "\nAES OLD: invalid 0x0000000000000000\n"
      "APKA NEW: empty 0x0000000000000000\nAPKA CUR: valid 0x" + c.apka_mkvp +
      "\nAPKA OLD: invalid 0x0000000000000000\n"
      "ASYM NEW: empty 0x" + std::string(32, '0') + "\nASYM CUR: valid 0x" +
      c.asym_mkvp + "\nASYM OLD: invalid 0x" + std::string(32, '0') + "\n";
  const std::string no_cca_mkvps =
      "AES NEW: - -\nAES CUR: - -\nAES OLD: - -\nAPKA NEW: - -\nAPKA CUR: - -\n"
      "APKA OLD: - -\nASYM NEW: - -\nASYM CUR: - -\nASYM OLD: - -\n";
  ASSERT_EQ(Read("bus/ap/ap_domain"), "0\n");
  EXPECT_EQ(Read(cca + "serialnr"), "93000005\n");
  EXPECT_EQ(Read(cca + "05.0004/mkvps"), cca_mkvps);
  EXPECT_EQ(Read(ep11 + "API_ordinalnr"), "6\n");
  EXPECT_EQ(Read(ep11 + "FW_version"), "7.23\n");
  EXPECT_EQ(Read(ep11 + "serialnr"), "93EP110400000000\n");
  EXPECT_EQ(Read(ep11 + "04.0004/mkvps"),
            "WK CUR: valid 0x" + e.wkvp + "\nWK NEW: empty -\n");
  EXPECT_EQ(Read(ep11 + "04.0004/op_modes"), "\n");
  // The CCA card's serial number is asked on the default domain.
  ASSERT_EQ(Write(cca + "05.0000/online", "0"), 0);
  EXPECT_EQ(Read(cca + "serialnr"), "\n");
  EXPECT_EQ(Read(cca + "05.0004/mkvps"), cca_mkvps);
  ASSERT_EQ(Write(cca + "online", "0"), 0);  // and so every queue
  EXPECT_EQ(Read(cca + "05.0004/mkvps"), no_cca_mkvps);
  ASSERT_EQ(Write(ep11 + "online", "0"), 0);
  for (const char* a : {"API_ordinalnr", "FW_version", "serialnr", "op_modes"})
    EXPECT_EQ(Read(ep11 + a), "\n") << a;
  EXPECT_EQ(Read(ep11 + "04.0004/mkvps"), "WK CUR: - -\nWK NEW: - -\n");
  // What the profile says: operation modes in bit order; a card that
  // answers no query.
  ap::CardSpec spec = ap::CardSpec::For(4, *ap::CardType::Parse("CEX8P"));
  spec.info.op_modes = *ap::Ep11OpModeBit("FIPS2021") | *ap::Ep11OpModeBit("BSI2009");
  ASSERT_TRUE(bus_.RemoveAdapter(4).ok());
  ASSERT_TRUE(bus_.AddAdapter(spec).ok());
  EXPECT_EQ(Read(ep11 + "op_modes"), "BSI2009 FIPS2021\n");
  EXPECT_EQ(Read(ep11 + "04.0047/op_modes"), "BSI2009 FIPS2021\n");
  spec.info.queryable = false;
  ASSERT_TRUE(bus_.RemoveAdapter(4).ok());
  ASSERT_TRUE(bus_.AddAdapter(spec).ok());
  EXPECT_EQ(Read(ep11 + "API_ordinalnr"), "\n");
  EXPECT_EQ(Read(ep11 + "04.0047/mkvps"), "WK CUR: - -\nWK NEW: - -\n");
}

TEST_F(ApBusSysfsTest, QueueAttributes) {
  const std::string q = "devices/ap/card05/05.0004/";
  EXPECT_EQ(Read(q + "online"), "1\n");
  EXPECT_EQ(Read(q + "config"), "1\n");
  EXPECT_EQ(Read(q + "chkstop"), "0\n");
  // The bus's state machine reset the queue at its creation and probe;
  // the reset is still in progress until a poll after it ends.
  EXPECT_EQ(Read(q + "reset"), "Reset in progress.\n");
  EXPECT_EQ(Read(q + "interrupt"), "Interrupts disabled.\n");
  clock_.Advance(ap::Firmware::kResetDuration);
  bus_.PollQueues();
  EXPECT_EQ(Read(q + "interrupt"), "Interrupts enabled.\n");
  EXPECT_EQ(Read(q + "reset"), "No Reset Timer set.\n");
  EXPECT_EQ(Read(q + "request_count"), "0\n");
  EXPECT_EQ(Read(q + "ap_functions"), "0x72000000\n");
  EXPECT_EQ(Read(q + "driver_override"), "\n");
  EXPECT_EQ(Read(q + "mkvps").substr(0, 34), "AES NEW: empty 0x0000000000000000\n");
  EXPECT_EQ(*tree_.ReadLink(q + "driver"),
            "../../../../bus/ap/drivers/cex4queue");
  EXPECT_EQ(Read(q + "uevent"),
            "DEVTYPE=ap_queue\nDRIVER=cex4queue\nMODE=cca\n");
  // A reset store: RAPQ, which also disables the interrupts; the next
  // poll after the reset ends enables them again.
  EXPECT_EQ(Write(q + "reset", "1\n"), 0);
  EXPECT_EQ(Read(q + "reset"), "Reset in progress.\n");
  EXPECT_EQ(Read(q + "interrupt"), "Interrupts disabled.\n");
  bus_.PollQueues();
  EXPECT_EQ(Read(q + "reset"), "Reset in progress.\n");
  clock_.Advance(ap::Firmware::kResetDuration);
  bus_.PollQueues();
  EXPECT_EQ(Read(q + "reset"), "No Reset Timer set.\n");
  EXPECT_EQ(Read(q + "interrupt"), "Interrupts enabled.\n");
  // ap_sm_setirq_wait() asked for one more poll, which finds it idle.
  EXPECT_TRUE(bus_.QueuesPolling());
  bus_.PollQueues();
  EXPECT_FALSE(bus_.QueuesPolling());
  // The same device through bus/ap/devices.
  EXPECT_EQ(*tree_.ReadLink("bus/ap/devices/05.0004"),
            "../../../devices/ap/card05/05.0004");
  EXPECT_EQ(Read("bus/ap/devices/05.0004/online"), "1\n");
  EXPECT_EQ(*tree_.ReadLink("bus/ap/drivers/cex4queue/05.0004"),
            "../../../../devices/ap/card05/05.0004");
}

// online_show() and online_store() in zcrypt_queue.c: a checkstopped
// queue (or one of a checkstopped card) is offline and cannot be put
// online; once the checkstop clears it shows its own flag again.
TEST_F(ApBusSysfsTest, ACheckstoppedQueueIsOfflineAndStaysSo) {
  const std::string q = "devices/ap/card05/05.0047/online";
  ASSERT_EQ(Read(q), "1\n");
  ASSERT_TRUE(fw_.InjectFault({ap::FaultKind::kCheckstop, 5, std::nullopt, 1}).ok());
  bus_.Scan();
  EXPECT_EQ(Read(q), "0\n");
  EXPECT_EQ(Write(q, "1"), ENODEV);
  EXPECT_EQ(Write(q, "0"), 0);  // taking it offline is allowed
  EXPECT_EQ(Write("devices/ap/card05/online", "1"), ENODEV);
  ASSERT_TRUE(fw_.ClearFaults(5, std::nullopt).ok());
  bus_.Scan();
  EXPECT_EQ(Read(q), "0\n");  // as it was last set
  EXPECT_EQ(Write(q, "1"), 0);
  EXPECT_EQ(Read(q), "1\n");
}

TEST_F(ApBusSysfsTest, Spec10_1ReserveQueuesForVfio) {
  EXPECT_EQ(
      Read("bus/ap/apmask"),
      "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  EXPECT_EQ(Write("bus/ap/apmask", "-5,-6\n"), 0);
  EXPECT_EQ(Write("bus/ap/aqmask", "-4,-0x47,-0xab,-0xff\n"), 0);
  EXPECT_EQ(
      Read("bus/ap/apmask"),
      "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  EXPECT_EQ(
      Read("bus/ap/aqmask"),
      "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n");
  EXPECT_EQ(Write("bus/ap/apmask", "0x41zz\n"), EINVAL);
  EXPECT_EQ(Write("bus/ap/apmask", "+256\n"), EINVAL);
  EXPECT_EQ(
      Read("bus/ap/apmask"),
      "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  // Without vfio_ap the freed queues are unbound; the zcrypt attributes go.
  EXPECT_EQ(Read("bus/ap/bindings"), "30/72\n");
  EXPECT_THAT(Ls("devices/ap/card05/05.0004"), Not(Contains("online")));
  EXPECT_THAT(Ls("devices/ap/card05/05.0004"), Not(Contains("driver")));
  EXPECT_EQ(Read("devices/ap/card05/05.0004/request_count"), "-\n");
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  EXPECT_EQ(Read("bus/ap/bindings"), "72/72 (complete)\n");
  EXPECT_EQ(*tree_.ReadLink("devices/ap/card05/05.0004/driver"),
            "../../../../bus/ap/drivers/vfio_ap");
  EXPECT_THAT(Ls("bus/ap/drivers/vfio_ap"), Contains("05.0004"));
  EXPECT_THAT(Ls("bus/ap/drivers/vfio_ap"), Contains("bind"));
  // Handed from cex4queue to vfio_ap: uninitiated (ap_queue_remove()).
  EXPECT_EQ(Read("devices/ap/card05/05.0004/request_count"), "-\n");
}

// request_count_show() in ap_queue.c: "-" unless the AP bus's state
// machine runs for the queue: since its creation, or since a host driver
// probed it, until a driver is removed from it.
TEST_F(ApBusSysfsTest, RequestCountFollowsTheQueueState) {
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  const std::string q = "devices/ap/card05/05.0047/request_count";
  EXPECT_EQ(Read(q), "0\n");  // cex4queue
  ASSERT_EQ(Write("bus/ap/apmask", "-5"), 0);
  EXPECT_EQ(Read(q), "-\n");  // vfio_ap, after cex4queue's removal
  ASSERT_EQ(Write("bus/ap/apmask", "+5"), 0);
  EXPECT_EQ(Read(q), "0\n");  // a host driver's probe initiates it again
  // A queue that appears while vfio_ap owns its APQN was initiated when
  // it was made (ap_scan_domains()) and never removed from a driver.
  ASSERT_EQ(Write("bus/ap/apmask", "-6"), 0);
  ASSERT_TRUE(bus_.RemoveAdapter(6).ok());
  ASSERT_TRUE(bus_.AddAdapter(ap::CardSpec::For(6, *ap::CardType::Parse("CEX8A"))).ok());
  EXPECT_EQ(*tree_.ReadLink("devices/ap/card06/06.0047/driver"),
            "../../../../bus/ap/drivers/vfio_ap");
  EXPECT_EQ(Read("devices/ap/card06/06.0047/request_count"), "0\n");
}

TEST_F(ApBusSysfsTest, Spec10_6InUseWriteFailsWithEbusy) {
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  ASSERT_EQ(Write("bus/ap/apmask", "-5,-6\n"), 0);
  ASSERT_EQ(Write("bus/ap/aqmask", "-4,-0x47,-0xab,-0xff\n"), 0);
  vfio_.in_use = {Apqn(5, 4), Apqn(5, 0xab), Apqn(6, 4), Apqn(6, 0xab),
                  Apqn(7, 4)};
  EXPECT_EQ(Write("bus/ap/apmask", "+5\n"), 0);
  EXPECT_EQ(
      Read("bus/ap/apmask"),
      "0xfdffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  EXPECT_EQ(Write("bus/ap/aqmask", "+4\n"), EBUSY);
  EXPECT_EQ(
      Read("bus/ap/aqmask"),
      "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n");
}

TEST_F(ApBusSysfsTest, BindAndUnbindThroughTheDriverDirectories) {
  EXPECT_EQ(Write("bus/ap/drivers/cex4queue/unbind", "05.0004\n"), 0);
  EXPECT_EQ(Read("bus/ap/bindings"), "71/72\n");
  EXPECT_EQ(Write("bus/ap/drivers/cex4queue/unbind", "05.0004\n"), ENODEV);
  EXPECT_EQ(Write("bus/ap/drivers/cex4queue/bind", "05.0004\n"), 0);
  EXPECT_EQ(Write("bus/ap/drivers/cex4queue/bind", "05.0004"), EBUSY);
  EXPECT_EQ(Write("bus/ap/drivers/cex4queue/bind", "05.0099\n"), ENODEV);
  EXPECT_EQ(Read("bus/ap/bindings"), "72/72 (complete)\n");
  EXPECT_EQ(Write("bus/ap/drivers/cex4queue/bind", "x"), ENODEV);
  EXPECT_EQ(tree_.Read("bus/ap/drivers/cex4queue/bind").status().errno_value(),
            EACCES);
  EXPECT_EQ(Write("bus/ap/drivers_probe", "05.0004\n"), 0);
}

TEST_F(ApBusSysfsTest, HostChangesShowUpAfterAScan) {
  ASSERT_TRUE(fw_.RemoveAdapter(4).ok());
  ASSERT_TRUE(fw_.AddUsageDomain(0x20).ok());
  EXPECT_EQ(Write("bus/ap/scans", "1\n"), 0);
  EXPECT_EQ(Read("bus/ap/scans"), "2\n");
  EXPECT_THAT(Ls("devices/ap"),
              ElementsAre("card03", "card05", "card06", "power", "uevent"));
  EXPECT_EQ(Read("devices/ap/card03/03.0020/online"), "1\n");
  EXPECT_EQ(Read("bus/ap/bindings"), "57/57 (complete)\n");
  EXPECT_EQ(tree_.Read("bus/ap/devices/card04").status().errno_value(), ENOENT);
}

// dpm_sysfs_add()'s runtime group in every device directory, with runtime
// PM never enabled (drivers/base/power/sysfs.c).
TEST_F(ApBusSysfsTest, EveryDeviceHasAPowerDirectory) {
  for (const char* dir : {"devices/ap/power", "devices/ap/card05/power",
                          "devices/ap/card05/05.0047/power"}) {
    SCOPED_TRACE(dir);
    const std::string d(dir);
    EXPECT_THAT(Ls(d), ElementsAre("autosuspend_delay_ms", "control",
                                   "runtime_active_time", "runtime_status",
                                   "runtime_suspended_time"));
    EXPECT_EQ(tree_.GetAttr(d)->mode, 0755u);
    EXPECT_EQ(tree_.GetAttr(d + "/control")->mode, 0644u);
    EXPECT_EQ(tree_.GetAttr(d + "/autosuspend_delay_ms")->mode, 0644u);
    EXPECT_EQ(tree_.GetAttr(d + "/runtime_status")->mode, 0444u);
    EXPECT_EQ(Read(d + "/control"), "auto\n");
    EXPECT_EQ(Read(d + "/runtime_status"), "unsupported\n");
    EXPECT_EQ(Read(d + "/runtime_active_time"), "0\n");
    EXPECT_EQ(Read(d + "/runtime_suspended_time"), "0\n");
    EXPECT_EQ(tree_.Read(d + "/autosuspend_delay_ms").status().errno_value(),
              EIO);
    EXPECT_EQ(Write(d + "/autosuspend_delay_ms", "100\n"), EIO);
  }
  // A queue directory's link count counts its computed power directory.
  EXPECT_EQ(tree_.GetAttr("devices/ap/card05/05.0047")->nlink, 3u);
  EXPECT_EQ(Write("devices/ap/card05/05.0047/power/control", "on\n"), 0);
  EXPECT_EQ(Read("devices/ap/card05/05.0047/power/control"), "on\n");
  EXPECT_EQ(Read("devices/ap/card05/05.00ab/power/control"), "auto\n");
  EXPECT_EQ(Write("devices/ap/card05/05.0047/power/control", "off\n"), EINVAL);
  EXPECT_EQ(Write("devices/ap/card05/05.0047/power/control", "on\n\n"), EINVAL);
  EXPECT_EQ(Read("devices/ap/card05/05.0047/power/control"), "on\n");
  EXPECT_EQ(Write("devices/ap/card05/05.00ab/power/control",
                  std::string_view("on\0x", 4)), 0);  // stops at the NUL
  EXPECT_EQ(Write("devices/ap/card05/05.00ab/power/control", "auto"), 0);
  EXPECT_EQ(Read("devices/ap/card05/05.00ab/power/control"), "auto\n");
  // A queue made again is a new device: "auto".
  ASSERT_TRUE(fw_.RemoveUsageDomain(0x47).ok());
  bus_.Scan();
  EXPECT_EQ(tree_.GetAttr("devices/ap/card05/05.0047/power").status().errno_value(),
            ENOENT);
  ASSERT_TRUE(fw_.AddUsageDomain(0x47).ok());
  bus_.Scan();
  EXPECT_EQ(Read("devices/ap/card05/05.0047/power/control"), "auto\n");
}

TEST_F(ApBusSysfsTest, BusAttributeStores) {
  EXPECT_EQ(Write("bus/ap/config_time", "4\n"), EINVAL);
  EXPECT_EQ(Write("bus/ap/config_time", "60\n"), 0);
  EXPECT_EQ(Read("bus/ap/config_time"), "60\n");
  EXPECT_EQ(Write("bus/ap/poll_timeout", "120000000001\n"), EINVAL);
  EXPECT_EQ(Write("bus/ap/poll_timeout", "0x10\n"), 0);
  EXPECT_EQ(Read("bus/ap/poll_timeout"), "16\n");
  EXPECT_EQ(Write("bus/ap/poll_thread", "maybe\n"), EINVAL);
  EXPECT_EQ(Write("bus/ap/poll_thread", "on\n"), 0);
  // With adapter interrupts no poll thread starts (ap_poll_thread_start()).
  EXPECT_EQ(Read("bus/ap/poll_thread"), "0\n");
  EXPECT_EQ(Write("bus/ap/ap_domain", "0xab\n"), 0);
  EXPECT_EQ(Read("bus/ap/ap_domain"), "171\n");
  EXPECT_EQ(Write("bus/ap/ap_max_domain_id", "1"), EACCES);
}

// The kernel's parsers, not the C library's: kstrtobool decides on the
// first characters ("of" is off, "t" is on), and vsscanf's "%i"/"%d" take
// no '+' and skip leading blanks.
TEST_F(ApBusSysfsTest, BusAttributesParseAsTheKernelDoes) {
  EXPECT_EQ(Write("bus/ap/poll_thread", "t\n"), 0);
  EXPECT_EQ(Write("bus/ap/poll_thread", "of"), 0);
  EXPECT_EQ(Write("bus/ap/poll_thread", "o"), EINVAL);  // neither on nor off
  EXPECT_EQ(Read("bus/ap/poll_thread"), "0\n");
  EXPECT_EQ(Write("bus/ap/ap_domain", "+4\n"), EINVAL);
  EXPECT_EQ(Write("bus/ap/ap_domain", " 4 and more"), 0);
  EXPECT_EQ(Read("bus/ap/ap_domain"), "4\n");
  EXPECT_EQ(Write("bus/ap/config_time", "+60\n"), EINVAL);
  EXPECT_EQ(Write("bus/ap/config_time", "\t45s"), 0);
  EXPECT_EQ(Read("bus/ap/config_time"), "45\n");
}

// drivers_autoprobe_store() in drivers/base/bus.c: '0' first turns it
// off, anything else on. Off, a device the scan finds and a driver that
// registers are not matched (bus_probe_device(), bus_add_driver());
// drivers_probe and a mask store's re-binding still probe.
TEST_F(ApBusSysfsTest, DriversAutoprobeOffLeavesNewDevicesUnbound) {
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  EXPECT_EQ(Read("bus/ap/drivers_autoprobe"), "1\n");
  ASSERT_EQ(Write("bus/ap/drivers_autoprobe", "0 and more"), 0);
  EXPECT_EQ(Read("bus/ap/drivers_autoprobe"), "0\n");
  ASSERT_TRUE(bus_.RemoveAdapter(6).ok());
  ASSERT_TRUE(bus_.AddAdapter(ap::CardSpec::For(6, *ap::CardType::Parse("CEX8A"))).ok());
  EXPECT_THAT(Ls("devices/ap/card06"), Not(Contains("driver")));
  EXPECT_THAT(Ls("devices/ap/card06/06.0047"), Not(Contains("driver")));
  ASSERT_EQ(Write("bus/ap/apmask", "-5"), 0);  // re-binding still probes
  EXPECT_EQ(*tree_.ReadLink("devices/ap/card05/05.0047/driver"),
            "../../../../bus/ap/drivers/vfio_ap");
  ASSERT_EQ(Write("bus/ap/drivers_probe", "06.0047\n"), 0);
  EXPECT_EQ(*tree_.ReadLink("devices/ap/card06/06.0047/driver"),
            "../../../../bus/ap/drivers/cex4queue");
  ASSERT_EQ(Write("bus/ap/drivers_autoprobe", "yes"), 0);
  EXPECT_EQ(Read("bus/ap/drivers_autoprobe"), "1\n");
  ASSERT_TRUE(bus_.RemoveAdapter(6).ok());
  ASSERT_TRUE(bus_.AddAdapter(ap::CardSpec::For(6, *ap::CardType::Parse("CEX8A"))).ok());
  EXPECT_THAT(Ls("devices/ap/card06/06.0047"), Contains("driver"));
}

// bus_add_driver() matches a registering driver with the unbound devices
// only when drivers_autoprobe is on.
TEST_F(ApBusSysfsTest, DriversAutoprobeOffARegisteringDriverBindsNothing) {
  ASSERT_EQ(Write("bus/ap/apmask", "-5"), 0);  // no vfio_ap yet: unbound
  EXPECT_THAT(Ls("devices/ap/card05/05.0047"), Not(Contains("driver")));
  ASSERT_EQ(Write("bus/ap/drivers_autoprobe", "0"), 0);
  ASSERT_TRUE(bus_.RegisterDriver(vfio_).ok());
  EXPECT_THAT(Ls("devices/ap/card05/05.0047"), Not(Contains("driver")));
  ASSERT_EQ(Write("bus/ap/drivers_probe", "05.0047"), 0);
  EXPECT_EQ(*tree_.ReadLink("devices/ap/card05/05.0047/driver"),
            "../../../../bus/ap/drivers/vfio_ap");
}

class LegacyBusSysfsTest : public ApBusSysfsTest {
 protected:
  LegacyBusSysfsTest() : ApBusSysfsTest("legacy") {}
};

TEST_F(LegacyBusSysfsTest, NoApxa) {
  EXPECT_EQ(Read("bus/ap/ap_max_adapter_id"), "63\n");
  EXPECT_EQ(Read("bus/ap/ap_max_domain_id"), "15\n");
  EXPECT_EQ(Read("bus/ap/features"), "APSC QACT RC8A\n");
  EXPECT_EQ(Read("devices/ap/card01/type"), "CEX7C\n");
  EXPECT_EQ(Read("devices/ap/card02/type"), "CEX7A\n");
  EXPECT_EQ(Read("bus/ap/bindings"), "32/32 (complete)\n");
}

}  // namespace
}  // namespace vap::sysfs
