#include "vap/status.h"

#include <fmt/format.h>
#include <string.h>

#include "base/check.h"
#include "vap/result.h"

namespace vap {

Status Status::Error(int errno_value, std::string message) {
  VAP_CHECK_MSG(errno_value > 0, "Status::Error needs a positive errno");
  return Status(errno_value, std::move(message));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return ErrnoName(errno_) + ": " +
         (message_.empty() ? ErrnoDescription(errno_) : message_);
}

namespace result_internal {
void Misuse(const char* what) {
  check_internal::CheckFailed(__FILE__, __LINE__, "Result", what);
}
}  // namespace result_internal

std::string ErrnoName(int errno_value) {
  const char* name = strerrorname_np(errno_value);
  // fmt rather than "E" + std::to_string(): g++ 12 at -O3 reports a
  // false -Wrestrict in that concatenation (GCC bug 105329).
  if (name == nullptr) return fmt::format("E{}", errno_value);
  return name;
}

std::string ErrnoDescription(int errno_value) {
  const char* text = strerrordesc_np(errno_value);
  if (text == nullptr) return fmt::format("Unknown error {}", errno_value);
  return text;
}

}  // namespace vap
