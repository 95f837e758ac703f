// vap-selfcheck: what `scripts/run` runs until vapd exists. It builds a
// small sysfs tree whose apmask/aqmask attributes use vap's real parsers
// and printers, replays the mask part of spec/host.md example session 10.1
// against it as the shell would, compares every output with the spec, and
// says plainly what it is not: there is no AP bus, driver, guest or FUSE
// mount behind it yet.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/log.h"
#include "base/mutex.h"
#include "base/status.h"
#include "matrix/mask_format.h"
#include "matrix/mask_parse.h"
#include "sysfs/tree.h"

namespace vap {
namespace {

// The two AP bus masks with the locking the real bus will use.
class BusMasks {
 public:
  ssize_t Show(bool ap, std::string* buf) VAP_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    *buf = FormatApBusMask(ap ? apmask_ : aqmask_);
    return static_cast<ssize_t>(buf->size());
  }
  ssize_t Store(bool ap, std::string_view buf) VAP_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    ApMask& mask = ap ? apmask_ : aqmask_;
    Result<ApMask> parsed = ParseApBusMask(buf, mask);
    if (!parsed.ok()) return -parsed.status().errno_value();
    mask = *parsed;
    return static_cast<ssize_t>(buf.size());
  }

 private:
  Mutex mu_{LockRank::kApAttr, "ap_attr_mutex"};
  ApMask apmask_ VAP_GUARDED_BY(mu_) = ApMask::All();
  ApMask aqmask_ VAP_GUARDED_BY(mu_) = ApMask::All();
};

class Session {
 public:
  explicit Session(const sysfs::Tree& tree) : tree_(tree) {}

  void Cat(std::string_view path, std::string_view expected) {
    std::string out;
    fmt::print("$ cat /sys/{}\n", path);
    if (Result<std::string> r = tree_.Read(path); r.ok()) {
      out = *r;
    } else {
      out = fmt::format("cat: /sys/{}: {}\n", path,
                        ErrnoDescription(r.status().errno_value()));
    }
    fmt::print("{}", out);
    Check(out == expected, expected);
  }

  void Echo(std::string_view value, std::string_view path,
            std::string_view expected_error) {
    fmt::print("$ echo {} > /sys/{}\n", value, path);
    std::string err;
    Result<size_t> r = tree_.Write(path, std::string(value) + "\n");
    if (!r.ok()) {
      err = fmt::format("bash: echo: write error: {}\n",
                        ErrnoDescription(r.status().errno_value()));
    }
    fmt::print("{}", err);
    Check(err == expected_error, expected_error);
  }

  int failures() const { return failures_; }
  int checks() const { return checks_; }

 private:
  void Check(bool ok, std::string_view expected) {
    ++checks_;
    if (ok) return;
    ++failures_;
    fmt::print("  ^ MISMATCH, spec/host.md 10.1 expects: {:?}\n", expected);
  }

  const sysfs::Tree& tree_;
  int checks_ = 0;
  int failures_ = 0;
};

int Run() {
  fmt::print(
      "vap {} self-check: kernel number and mask parsing, sysfs printers and\n"
      "the attribute tree, replaying the mask part of spec/host.md 10.1.\n"
      "Not vapd: no AP bus, vfio_ap driver, guests or FUSE mount yet.\n\n",
      VAP_VERSION);
  sysfs::Tree tree;
  BusMasks masks;
  Result<sysfs::NodeRef> bus = tree.MakeDirs("bus/ap");
  if (!bus.ok()) return 2;
  for (bool ap : {true, false}) {
    Result<sysfs::NodeRef> attr = tree.AddAttribute(
        *bus, ap ? "apmask" : "aqmask", 0644,
        [&masks, ap](std::string* buf) { return masks.Show(ap, buf); },
        [&masks, ap](std::string_view buf) { return masks.Store(ap, buf); });
    if (!attr.ok()) return 2;
  }

  Session s(tree);
  const std::string ones =
      "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n";
  s.Cat("bus/ap/apmask", ones);
  s.Echo("-5,-6", "bus/ap/apmask", "");
  s.Echo("-4,-0x47,-0xab,-0xff", "bus/ap/aqmask", "");
  s.Cat("bus/ap/apmask",
        "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  s.Cat("bus/ap/aqmask",
        "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n");
  s.Echo("0x41zz", "bus/ap/apmask",
         "bash: echo: write error: Invalid argument\n");
  s.Echo("+256", "bus/ap/apmask",
         "bash: echo: write error: Invalid argument\n");
  s.Cat("bus/ap/apmask",
        "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");

  fmt::print("\nself-check: {} of {} outputs match the spec\n",
             s.checks() - s.failures(), s.checks());
  return s.failures() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace vap

int main() { return vap::Run(); }
