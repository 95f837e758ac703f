#include "driver/host_drivers.h"

#include <initializer_list>
#include <utility>

#include "base/check.h"

namespace vap::driver {

HostDrivers::HostDrivers(const Clock& clock, const ap::HostProfile& profile,
                         Logger::Sink log_sink)
    : clock_(clock),
      log_(clock_),
      firmware_(clock_, profile),
      bus_(firmware_, log_, clock_),
      zcrypt_(bus_),
      vfio_(bus_, log_, clock_) {
  if (log_sink) log_.SetSink(std::move(log_sink));
  vfio_.set_secure_execution_guest(profile.se_guest);
  for (apbus::ApDriver* drv : std::initializer_list<apbus::ApDriver*>{
           &zcrypt_.card_driver(), &zcrypt_.queue_driver(), &vfio_}) {
    const Status registered = bus_.RegisterDriver(*drv);
    VAP_CHECK_MSG(registered.ok(), registered.ToString().c_str());
  }
}

}  // namespace vap::driver
