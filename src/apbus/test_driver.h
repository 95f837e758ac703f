// A stand-in vfio_ap driver for AP bus tests: takes the queues the masks
// leave to non-default drivers, reports configured APQNs as in use, and
// records the callbacks it gets.
#ifndef VAP_APBUS_TEST_DRIVER_H_
#define VAP_APBUS_TEST_DRIVER_H_

#include <cerrno>
#include <string>
#include <vector>

#include "apbus/ap_driver.h"

namespace vap::apbus {

class FakeVfioDriver : public ApDriver {
 public:
  std::string_view name() const override { return "vfio_ap"; }
  bool is_default() const override { return false; }
  bool Matches(const ApDevice& dev) const override {
    return dev.kind == DeviceKind::kQueue && dev.hwtype >= 10 &&
           dev.hwtype <= 14;
  }
  Status Probe(const ApDevice& dev) override {
    events.push_back("probe " + dev.Name());
    return probe_error == 0 ? Status::Ok() : Status::Error(probe_error, "fail");
  }
  void Remove(const ApDevice& dev) override {
    events.push_back("remove " + dev.Name());
  }
  Status InUse(const ApMask& apm, const ApMask& aqm) override {
    for (const Apqn& q : in_use) {
      if (apm.Test(q.apid) && aqm.Test(q.apqi)) {
        return Status::Error(EADDRINUSE, "in use");
      }
    }
    return Status::Ok();
  }
  void OnConfigChanged(const ap::QciInfo& cur,
                       const ap::QciInfo& prev) override {
    events.push_back("config_changed");
    last_cur = cur;
    last_prev = prev;
  }
  void OnScanComplete(const ap::QciInfo&, const ap::QciInfo&) override {
    events.push_back("scan_complete");
  }

  std::vector<Apqn> in_use;
  int probe_error = 0;
  std::vector<std::string> events;
  ap::QciInfo last_cur, last_prev;
};

}  // namespace vap::apbus

#endif  // VAP_APBUS_TEST_DRIVER_H_
