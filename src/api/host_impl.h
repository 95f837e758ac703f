// vap::Host's insides (include/vap/host.h): a System, and the clock it
// runs on when the user asked for virtual time.
#ifndef VAP_API_HOST_IMPL_H_
#define VAP_API_HOST_IMPL_H_

#include <memory>
#include <string_view>

#include "base/clock.h"
#include "matrix/uuid.h"
#include "system/system.h"
#include "vap/host.h"

namespace vap {

class Host::Impl {
 public:
  std::unique_ptr<ManualClock> virtual_clock;  // with virtual_time
  std::unique_ptr<System> system;
};

namespace api {
// A UUID the user gave; EINVAL naming the text if it is none.
Result<Uuid> ParseUuid(std::string_view uuid);
}  // namespace api

}  // namespace vap

#endif  // VAP_API_HOST_IMPL_H_
