// vap::Status: success, or an errno value with the reason.
//
// What vap reproduces is specified in errno, as the kernel answers a
// write(2) to sysfs: EINVAL for input a kernel parser refuses,
// EADDRINUSE for an APQN another mdev holds, ENODEV for a device that is
// gone. Every operation of the library answers a Status (or a Result,
// vap/result.h) with that errno and, as its message, the kernel's reason:
// the line the kernel logs for the refusal where it logs one
// ("Userspace may not assign queue 05.0047 to mdev: already assigned to
// ..."), else a short description. No exceptions.
//
//   vap::Status s = host->AssignAdapter(uuid, 5);
//   if (!s.ok()) std::cerr << s.ToString() << "\n";  // "EADDRINUSE: ..."
//
// Inside vap the same type flows from the driver up; it becomes -errno
// only at the FUSE edge, an error answer only in the RPC server, and an
// exit code only in the CLI (docs/architecture.md, "Errors").
#ifndef VAP_STATUS_H_
#define VAP_STATUS_H_

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

#endif  // VAP_STATUS_H_
