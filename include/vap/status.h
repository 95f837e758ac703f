// Status: success, or an errno value with a message.
//
// The behaviour vap reproduces is specified in errno (docs/sysfs-abi.md),
// so errors carry errno codes through the library. They become `-errno`
// or a byte count only in src/sysfs, wire errors only in src/rpc, and
// exit codes only in src/cli (docs/architecture.md, "Errors"). No
// exceptions.
#ifndef VAP_BASE_STATUS_H_
#define VAP_BASE_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

namespace vap {

class [[nodiscard]] Status {
 public:
  // Success.
  Status() = default;
  static Status Ok() { return Status(); }
  // `errno_value` must be a positive errno (EINVAL, ...).
  static Status Error(int errno_value, std::string message);

  bool ok() const { return errno_ == 0; }
  int errno_value() const { return errno_; }
  const std::string& message() const { return message_; }

  // "OK", or "EINVAL: <message>" ("EINVAL: Invalid argument" without one).
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.errno_ == b.errno_ && a.message_ == b.message_;
  }

 private:
  Status(int errno_value, std::string message)
      : errno_(errno_value), message_(std::move(message)) {}

  int errno_ = 0;
  std::string message_;
};

// "EINVAL" for EINVAL; "E<n>" for a number glibc does not name.
std::string ErrnoName(int errno_value);
// "Invalid argument" for EINVAL, as strerror and bash print it.
std::string ErrnoDescription(int errno_value);

}  // namespace vap

// Returns from the enclosing function if `expr` is an error Status.
#define VAP_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::vap::Status vap_status_ = (expr);        \
    if (!vap_status_.ok()) return vap_status_; \
  } while (false)

#endif  // VAP_BASE_STATUS_H_
