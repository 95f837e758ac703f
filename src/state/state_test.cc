#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "state/state_json.h"
#include "state/state_test_util.h"
#include "state/system_state.h"

namespace vap::state {
namespace {

using Json = nlohmann::json;
using ::testing::StartsWith;

std::unique_ptr<System> NewSystem(SystemOptions o = TestOptions()) {
  Result<std::unique_ptr<System>> s = System::Create(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// What a user sees of the durable parts, through sysfs.
std::string SysfsView(System& s) {
  std::string out;
  for (const char* path :
       {"bus/ap/apmask", "bus/ap/aqmask", "bus/ap/config_time",
        "bus/ap/ap_usage_domain_mask", "bus/ap/ap_adapter_mask",
        "devices/ap/card03/online", "devices/ap/card05/05.0020/status"}) {
    Result<std::string> v = s.tree().Read(path);
    out += std::string(path) + ": " + (v.ok() ? *v : v.status().ToString());
  }
  Result<std::vector<sysfs::DirEntry>> drv =
      s.tree().List("bus/ap/drivers/vfio_ap");
  for (const sysfs::DirEntry& e : *drv) out += e.name + " ";
  for (const Uuid& u : {kMdevA, kMdevB}) {
    for (const char* attr : {"matrix", "guest_matrix", "control_domains"}) {
      Result<std::string> v = s.tree().Read(MdevDir(u) + attr);
      out += attr + std::string(": ") + (v.ok() ? *v : v.status().ToString());
    }
  }
  return out;
}

TEST(StateTest, BootStateHasNoExceptions) {
  std::unique_ptr<System> s = NewSystem();
  const SystemState st = Capture(*s);
  EXPECT_EQ(st.host, s->profile());
  EXPECT_EQ(st.apmask, ApMask::All());
  EXPECT_TRUE(st.bindings.empty());
  EXPECT_TRUE(st.offline.empty());
  EXPECT_TRUE(st.mdevs.empty());
}

TEST(StateTest, CaptureEncodeDecodeRestoreGivesTheSameSystem) {
  std::unique_ptr<System> a = NewSystem();
  ChangeEverything(*a);
  const SystemState st = Capture(*a);
  ASSERT_EQ(st.mdevs.size(), 2u);
  ASSERT_EQ(st.bindings.size(), 1u);
  EXPECT_EQ(st.bindings[0], (DeviceBinding{"05.0020", "", ""}));
  // card03 and the 16 queues cex4queue keeps (0x20, 0x47 and 0xab went
  // to vfio_ap with the aqmask).
  EXPECT_EQ(st.offline.size(), 1u + 16u);
  EXPECT_FALSE(st.host.usage_domains == a->profile().usage_domains);

  Result<SystemState> decoded = DecodeState(EncodeState(st));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, st);

  SystemOptions o = TestOptions();
  o.profile = decoded->host;
  std::unique_ptr<System> b = NewSystem(o);
  const Status restored = Restore(*b, *decoded);
  ASSERT_TRUE(restored.ok()) << restored.ToString();
  EXPECT_EQ(Capture(*b), st);
  EXPECT_EQ(SysfsView(*b), SysfsView(*a));
  b->vfio().CheckInvariants();
}

TEST(StateTest, RestoreNamesTheStepThatFails) {
  std::unique_ptr<System> a = NewSystem();
  ChangeEverything(*a);
  SystemState st = Capture(*a);
  st.apmask = ApMask::All();  // 05.0047 back to the host: assign fails
  st.aqmask = ApMask::All();
  std::unique_ptr<System> b = NewSystem();
  const Status s = Restore(*b, st);
  EXPECT_EQ(s.errno_value(), EADDRNOTAVAIL);
  // kMdevB sorts first.
  EXPECT_THAT(s.message(), StartsWith("mdevs: " + kMdevB.ToString() +
                                      ": ap_config: "));
}

std::string Crc(const std::string& text) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(text.data()),
              static_cast<uInt>(text.size()));
  char buf[16];
  snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(crc));
  return buf;
}

// The file with `edit` applied to its state and a checksum that fits.
std::string Edited(const std::string& file,
                   const std::function<void(Json&)>& edit) {
  Json j = Json::parse(file);
  edit(j["state"]);
  j["crc32"] = Crc(j["state"].dump());
  return j.dump();
}

std::string DecodeError(const std::string& text) {
  Result<SystemState> r = DecodeState(text);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().errno_value(), EINVAL);
  return r.status().message();
}

TEST(StateTest, BadFilesAreRefusedWithTheReason) {
  std::unique_ptr<System> a = NewSystem();
  ChangeEverything(*a);
  const std::string good = EncodeState(Capture(*a));
  ASSERT_EQ(DecodeError(good), "OK");
  EXPECT_EQ(DecodeError(good.substr(0, 100)),
            "not valid JSON at byte 101 of 100 (truncated or corrupt)");
  EXPECT_EQ(DecodeError(""),
            "not valid JSON at byte 1 of 0 (truncated or corrupt)");
  // Found by Fuzz.state: the parser throws out_of_range, not parse_error.
  EXPECT_EQ(DecodeError("9999999e322"),
            "not valid JSON ([json.exception.out_of_range.406] number "
            "overflow parsing '9999999e322')");
  // One digit of a mask changed: the checksum catches it.
  std::string flipped = good;
  const size_t at = flipped.find("\"apm\": \"0x") + 12;
  flipped[at] = flipped[at] == '0' ? '1' : '0';
  EXPECT_NE(DecodeError(flipped).find("checksum mismatch: the file says 0x"),
            std::string::npos);
  EXPECT_EQ(DecodeError("{\"format\": 5}"),
            "not a vap state file (no \"format\": \"vap-state\")");
  EXPECT_EQ(DecodeError("[]"),
            "not a vap state file (no \"format\": \"vap-state\")");
  EXPECT_EQ(DecodeError(R"({"format": "vap-state", "version": 2})"),
            "state version 2 is not supported (this vapd reads version 1)");
  EXPECT_EQ(DecodeError(R"({"format": "vap-state", "version": 1})"),
            "\"state\" or \"crc32\" is missing");
  EXPECT_EQ(DecodeError(Edited(good, [](Json& s) { s.erase("mdevs"); })),
            "state.mdevs: missing");
  EXPECT_EQ(DecodeError(Edited(good,
                               [](Json& s) { s["mdevs"][1]["uuid"] = "x"; })),
            "state.mdevs[1].uuid: not a UUID");
  EXPECT_EQ(DecodeError(Edited(good, [](Json& s) { s["apmask"] = "0x1"; })),
            "state.apmask: must be 0x and 64 hex digits");
  EXPECT_EQ(DecodeError(Edited(good, [](Json& s) { s["config_time"] = 1; })),
            "state.config_time: must be an integer from 5 to 1073741824");
  EXPECT_EQ(
      DecodeError(Edited(good, [](Json& s) { s["host"]["colour"] = 1; })),
      "state.host: colour: unknown field");
  EXPECT_EQ(DecodeError(Edited(good, [](Json& s) { s["offline"][0] = 1; })),
            "state.offline[0]: must be a string");
  EXPECT_EQ(DecodeError(Edited(good,
                               [](Json& s) { s["mdevs"][0]["unbound"] = 1; })),
            "state.mdevs[0].unbound: must be true or false");
  // mdevs[0] has a matrix: an unbound mdev has none.
  EXPECT_EQ(DecodeError(Edited(
                good, [](Json& s) { s["mdevs"][0]["unbound"] = true; })),
            "state.mdevs[0].unbound: an unbound mdev has no matrix");
}

// An unbound mdev (the `unbind` store) is captured and restored unbound.
TEST(StateTest, AnUnboundMdevIsCapturedAndRestoredUnbound) {
  std::unique_ptr<System> a = NewSystem();
  ChangeEverything(*a);
  ASSERT_TRUE(a->vfio().UnbindMdev(kMdevA).ok());
  const SystemState st = Capture(*a);
  ASSERT_EQ(st.mdevs.size(), 2u);
  const MdevRecord want{kMdevA, {}, {}, {}, true};
  EXPECT_EQ(st.mdevs[1], want);
  Result<SystemState> decoded = DecodeState(EncodeState(st));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, st);
  SystemOptions o = TestOptions();
  o.profile = decoded->host;
  std::unique_ptr<System> b = NewSystem(o);
  ASSERT_TRUE(Restore(*b, *decoded).ok());
  EXPECT_EQ(Capture(*b), st);
  EXPECT_EQ(SysfsView(*b), SysfsView(*a));
}

}  // namespace
}  // namespace vap::state
