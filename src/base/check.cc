#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace vap::check_internal {

void CheckFailed(const char* file, int line, const char* expr,
                 const char* message) {
  std::fprintf(stderr, "vap: %s:%d: check failed: %s%s%s\n", file, line, expr,
               *message != '\0' ? ": " : "", message);
  std::abort();
}

}  // namespace vap::check_internal
