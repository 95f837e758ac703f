// APQN: an AP queue number, adapter (APID) and usage domain (APQI)
// (AP_MKQID(), AP_QID_CARD() and AP_QID_QUEUE() in the kernel's
// arch/s390/include/asm/ap.h). Printed "%02x.%04x" everywhere: sysfs device
// names, `matrix` output, log lines.
#ifndef VAP_MATRIX_APQN_H_
#define VAP_MATRIX_APQN_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vap {

struct Apqn {
  uint8_t apid = 0;
  uint8_t apqi = 0;

  constexpr Apqn() = default;
  constexpr Apqn(uint8_t apid_in, uint8_t apqi_in)
      : apid(apid_in), apqi(apqi_in) {}
  // From the 16-bit queue id: APID in bits 15..8, APQI in bits 7..0.
  static constexpr Apqn FromQid(uint16_t qid) {
    return Apqn(static_cast<uint8_t>(qid >> 8), static_cast<uint8_t>(qid));
  }
  constexpr uint16_t qid() const {
    return static_cast<uint16_t>(apid << 8 | apqi);
  }

  // "05.0004".
  std::string ToString() const;
  // Accepts exactly what ToString prints, hex digits of either case:
  // two digits, '.', four digits, the domain at most 0x00ff. EINVAL else.
  static Result<Apqn> Parse(std::string_view text);

  friend constexpr auto operator<=>(const Apqn&, const Apqn&) = default;
};

// "card05", the AP bus card device name.
std::string CardName(uint8_t apid);

}  // namespace vap

#endif  // VAP_MATRIX_APQN_H_
