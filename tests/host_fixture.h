// A whole vap host in process, as the example sessions (docs/sysfs-abi.md)
// assume it: firmware, AP bus with the zcrypt drivers and vfio_ap, and the
// sysfs tree. Reads and writes go through the tree as `cat` and `echo` would.
#ifndef VAP_TESTS_HOST_FIXTURE_H_
#define VAP_TESTS_HOST_FIXTURE_H_

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ap/firmware.h"
#include "ap/profile.h"
#include "apbus/ap_bus.h"
#include "apbus/zcrypt.h"
#include "base/clock.h"
#include "base/log.h"
#include "driver/vfio_ap.h"
#include "sysfs/host_tree.h"
#include "sysfs/tree.h"

namespace vap {

// The example sessions' host: APXA, na = nd = 255, adapters 0x05 and 0x06
// (CEX7C), usage and control domains 0x04, 0x47, 0xab, 0xff.
inline ap::HostProfile Section10Profile() {
  Result<ap::HostProfile> p = ap::ParseHostProfile(R"({
    "name": "section10",
    "adapters": [{"id": 5, "type": "CEX7C"}, {"id": 6, "type": "CEX7C"}],
    "usage_domains": [4, 71, 171, 255],
    "control_domains": [4, 71, 171, 255]
  })");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return *p;
}

class HostFixture : public ::testing::Test {
 protected:
  explicit HostFixture(const ap::HostProfile& profile = Section10Profile())
      : clock_(/*auto_advance=*/true), host_(clock_, profile) {}
  ~HostFixture() override { vfio_.CheckInvariants(); }

  // `cat PATH`: the contents, or what cat prints on error.
  std::string Cat(std::string_view path) {
    Result<std::string> r = tree_.Read(path);
    if (r.ok()) return *r;
    return "cat: " + ErrnoDescription(r.status().errno_value());
  }
  // `echo VALUE > PATH` (with the newline echo adds): 0 or the errno.
  int Echo(std::string_view value, std::string_view path) {
    return EchoN(std::string(value) + "\n", path);
  }
  // `echo -n VALUE > PATH`.
  int EchoN(std::string_view value, std::string_view path) {
    Result<size_t> r = tree_.Write(path, value);
    if (!r.ok()) return r.status().errno_value();
    EXPECT_EQ(*r, value.size()) << path;
    vfio_.CheckInvariants();
    return 0;
  }
  std::vector<std::string> Ls(std::string_view path) {
    std::vector<std::string> out;
    const Result<std::vector<sysfs::DirEntry>> entries = tree_.List(path);
    if (!entries.ok()) return out;
    for (const sysfs::DirEntry& e : *entries) out.push_back(e.name);
    return out;
  }
  std::string Dmesg() { return log_.LastText(); }

  ManualClock clock_;
  sysfs::HostTree host_;
  ap::Firmware& fw_ = host_.drivers().firmware();
  Logger& log_ = host_.drivers().log();
  apbus::ApBus& bus_ = host_.drivers().bus();
  apbus::Zcrypt& zcrypt_ = host_.drivers().zcrypt();
  driver::VfioAp& vfio_ = host_.drivers().vfio();
  sysfs::Tree& tree_ = host_.tree();
};

}  // namespace vap

#endif  // VAP_TESTS_HOST_FIXTURE_H_
