// The whole tree of builtin:default after a scripted session, against a
// checked-in listing (tests/listing/builtin_default.txt): every path,
// its type and mode, every link's target and every readable attribute's
// value (or the errno its read fails with). Any change to what the tree
// shows shows up in review as a change to that file.
//
// The session: card 5 and 6 and domains 0x04, 0x47, 0xab reserved for
// vfio_ap; two mdevs (adapters 5 and 6 x domains 0x04 and 0xab with
// control domain 0x47; adapter 5 x domain 0x47); a guest on the first;
// queue 06.00ab checkstopped and the bus scanned.
//
// After an intended change, VAP_UPDATE_LISTING=1 writes the file anew
// (from the build tree: VAP_UPDATE_LISTING=1 tests/vap_tree_listing_test);
// review the diff.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "system/system.h"

#ifndef VAP_LISTING_FILE
#error "VAP_LISTING_FILE names the checked-in listing"
#endif

namespace vap {
namespace {

constexpr const char* kU1 = "11111111-2222-4333-8444-555555555555";
constexpr const char* kU2 = "66666666-7777-4888-9999-aaaaaaaaaaaa";

// A value on one line: backslash, newline and other control bytes escaped.
std::string Escaped(const std::string& v) {
  std::string out;
  for (unsigned char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

// One line per node below `path`, depth first, names in order.
void List(const sysfs::Tree& tree, const std::string& path, std::string& out) {
  Result<std::vector<sysfs::DirEntry>> entries = tree.List(path);
  ASSERT_TRUE(entries.ok()) << path;
  for (const sysfs::DirEntry& e : *entries) {
    const std::string p = path.empty() ? e.name : path + "/" + e.name;
    Result<sysfs::NodeStat> st = tree.GetAttr(p);
    ASSERT_TRUE(st.ok()) << p;
    switch (st->type) {
      case sysfs::NodeType::kDir:
        out += fmt::format("{} d {:04o}\n", p, st->mode);
        List(tree, p, out);
        break;
      case sysfs::NodeType::kSymlink:
        out += fmt::format("{} l -> {}\n", p, *tree.ReadLink(p));
        break;
      case sysfs::NodeType::kAttribute: {
        out += fmt::format("{} f {:04o}", p, st->mode);
        if ((st->mode & 0444) != 0) {
          Result<std::string> v = tree.Read(p);
          out += v.ok() ? " = " + Escaped(*v)
                        : fmt::format(" ! errno {}", v.status().errno_value());
        }
        out += "\n";
        break;
      }
    }
  }
}

// Waits until no queue's state machine waits for a poll.
void Settle(System& s) {
  for (int i = 0; i < 1000 && s.bus().QueuesPolling(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_FALSE(s.bus().QueuesPolling());
}

TEST(TreeListingTest, BuiltinDefaultAfterASessionIsAsCheckedIn) {
  SystemOptions o;
  o.time_scale = 0.001;
  o.periodic_scans = false;
  Result<std::unique_ptr<System>> made = System::Create(o);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  System& s = **made;
  Settle(s);  // the first scan's resets, before the masks move queues
  sysfs::Tree& t = s.tree();
  const auto write = [&t](const std::string& path, const std::string& v) {
    Result<size_t> r = t.Write(path, v);
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().ToString();
  };
  const std::string m = "devices/vfio_ap/matrix/";
  write("bus/ap/apmask", "-5,-6");
  write("bus/ap/aqmask", "-0x04,-0x47,-0xab");
  write(m + "mdev_supported_types/vfio_ap-passthrough/create", kU1);
  write(m + "mdev_supported_types/vfio_ap-passthrough/create", kU2);
  for (const char* a : {"5", "6"}) write(m + kU1 + "/assign_adapter", a);
  for (const char* d : {"0x04", "0xab"}) write(m + kU1 + "/assign_domain", d);
  write(m + kU1 + "/assign_control_domain", "0x47");
  write(m + kU2 + "/assign_adapter", "5");
  write(m + kU2 + "/assign_domain", "0x47");
  ASSERT_TRUE(s.StartGuest("guest1", *Uuid::Parse(kU1), 1).ok());
  ASSERT_TRUE(s.firmware().InjectFault({ap::FaultKind::kCheckstop, 6, 0xab}).ok());
  s.bus().Scan();
  // Every reset the session started has settled (20 ms of model time
  // each, 20 us here), and so has every queue's state machine.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Settle(s);
  // The guest's kernel reset its queues and enabled their interrupts.
  apbus::ApBus& guest_bus = *(*s.GuestKernelOf("guest1"))->bus();
  for (int i = 0; i < 1000 && guest_bus.QueuesPolling(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_FALSE(guest_bus.QueuesPolling());

  std::string listing;
  List(t, "", listing);
  if (std::getenv("VAP_UPDATE_LISTING") != nullptr) {
    std::ofstream(VAP_LISTING_FILE) << listing;
    GTEST_SKIP() << "wrote " << VAP_LISTING_FILE;
  }
  std::ifstream in(VAP_LISTING_FILE);
  ASSERT_TRUE(in.good()) << "no " << VAP_LISTING_FILE;
  std::stringstream expected;
  expected << in.rdbuf();
  // Line by line, so a difference names its path.
  std::istringstream want(expected.str()), got(listing);
  std::string w, g;
  int line = 0;
  while (true) {
    const bool more_w = static_cast<bool>(std::getline(want, w));
    const bool more_g = static_cast<bool>(std::getline(got, g));
    ++line;
    if (!more_w && !more_g) break;
    ASSERT_EQ(more_g ? g : "(end)", more_w ? w : "(end)")
        << "line " << line << " of " << VAP_LISTING_FILE
        << " (VAP_UPDATE_LISTING=1 rewrites it)";
  }
  ASSERT_TRUE(s.StopGuest("guest1").ok());
}

}  // namespace
}  // namespace vap
