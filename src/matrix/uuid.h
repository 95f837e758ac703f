// Uuid: an mdev's name. Parsed as the mdev core's `create` store parses it
// (create_store() in drivers/vfio/mdev/mdev_sysfs.c) and printed in
// lowercase, as mdev directories are named.
#ifndef VAP_MATRIX_UUID_H_
#define VAP_MATRIX_UUID_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vap {

class Uuid {
 public:
  Uuid() = default;
  explicit Uuid(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}

  // Exactly "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (the kernel's
  // uuid_is_valid): hyphens at offsets 8, 13, 18, 23, hex digits of either
  // case elsewhere, nothing before or after. EINVAL otherwise.
  static Result<Uuid> Parse(std::string_view text);
  // The `create` store: the write must be 36 or 37 bytes and its first 36
  // a UUID; the 37th byte is not looked at (normally '\n'). EINVAL else.
  static Result<Uuid> ParseCreateInput(std::string_view buf);

  // Lowercase, hyphenated (the kernel's %pUl).
  std::string ToString() const;
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }

  friend auto operator<=>(const Uuid&, const Uuid&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace vap

#endif  // VAP_MATRIX_UUID_H_
