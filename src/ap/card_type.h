// AP card types: the hardware type number (hwtype) and the kind of
// function the card is configured for, as lszcrypt and zcrypt name them
// ("CEX8C": a CEX8 card, hwtype 14, as a CCA coprocessor).
#ifndef VAP_AP_CARD_TYPE_H_
#define VAP_AP_CARD_TYPE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vap::ap {

// Hardware types (AP_DEVICE_TYPE_*). vfio_ap and the AP bus support
// kCex4..kCex8; older cards get no device.
inline constexpr uint8_t kHwtypeCex2A = 6;
inline constexpr uint8_t kHwtypeCex2C = 7;
inline constexpr uint8_t kHwtypeCex3A = 8;
inline constexpr uint8_t kHwtypeCex3C = 9;
inline constexpr uint8_t kHwtypeCex4 = 10;
inline constexpr uint8_t kHwtypeCex8 = 14;

// The card's function, the letter of its name.
enum class CardKind : uint8_t {
  kAccelerator,  // "A"
  kCca,          // "C", CCA coprocessor
  kEp11,         // "P", EP11 coprocessor
};

// ap_functions bits (TAPQ GR2 bits 0..31, the card's `ap_functions`).
inline constexpr uint32_t kFuncApsc = 0x80000000;
inline constexpr uint32_t kFuncMex4k = 0x40000000;
inline constexpr uint32_t kFuncCrt4k = 0x20000000;
inline constexpr uint32_t kFuncCoprocessor = 0x10000000;  // CCA
inline constexpr uint32_t kFuncAccelerator = 0x08000000;
inline constexpr uint32_t kFuncEp11 = 0x04000000;
inline constexpr uint32_t kFuncApxa = 0x02000000;

struct CardType {
  uint8_t hwtype = kHwtypeCex8;
  CardKind kind = CardKind::kCca;

  // "CEX8C"; "CEX3A" for old types.
  std::string Name() const;
  // Parses "CEX2A".."CEX8P" (case-sensitive, as lszcrypt prints them);
  // CEX2 and CEX3 exist only as A and C. EINVAL otherwise.
  static Result<CardType> Parse(std::string_view name);
  // The ap_functions vap reports for this type unless a profile says
  // otherwise (docs/host-profile.md).
  uint32_t DefaultFunctions() const;
  // Supported by the AP bus (CEX4 and newer).
  bool Supported() const { return hwtype >= kHwtypeCex4; }

  friend bool operator==(const CardType&, const CardType&) = default;
};

}  // namespace vap::ap

#endif  // VAP_AP_CARD_TYPE_H_
