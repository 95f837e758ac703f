// Host profiles: what AP hardware a vap host has (docs/host-profile.md).
// A profile is JSON, or one of the built-ins: `default`, `full` and
// `legacy`.
#ifndef VAP_AP_PROFILE_H_
#define VAP_AP_PROFILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ap/card_info.h"
#include "ap/card_type.h"
#include "base/result.h"
#include "matrix/ap_mask.h"

namespace vap::ap {

struct CardSpec {
  uint8_t apid = 0;
  CardType type;
  uint8_t raw_hwtype = 0;  // what TAPQ reports; type.hwtype unless given
  uint32_t functions = 0;  // ap_functions; the type's default unless given
  uint8_t depth = 8;       // queue depth - 1 (TAPQ QD), 0..15
  uint8_t ml = 0;          // TAPQ ML (max message size in 4 KiB; 0 = 12 KiB)
  std::string serial;      // CCA/EP11 serial number
  bool configured = true;  // SCLP state at start
  CardInfo info;           // what a CCA/EP11 card answers zcrypt's query

  // A card of `type` with the type's raw hwtype, default functions, and
  // a serial number and card information derived from the APID.
  static CardSpec For(uint8_t apid, const CardType& type);
  friend bool operator==(const CardSpec&, const CardSpec&) = default;
};

struct HostProfile {
  std::string name;
  bool qci = true;  // facility 12: PQAP(QCI) available
  bool apsc = true;
  bool apxa = true;
  bool qact = true;
  bool rc8a = true;
  bool apsb = false;
  uint8_t na = 255;
  uint8_t nd = 255;
  std::vector<CardSpec> cards;  // ascending APID
  ApMask usage_domains;
  ApMask control_domains;
  // The host kernel itself runs as a Secure Execution guest
  // (ap_is_se_guest()): vfio_ap then offers no migration.
  bool se_guest = false;
  friend bool operator==(const HostProfile&, const HostProfile&) = default;
};

// Parses a JSON profile. Errors are EINVAL with a message naming the
// field ("adapters[2].type: unknown card type 'CEX9Z' ...").
Result<HostProfile> ParseHostProfile(std::string_view json);
// The profile as JSON that ParseHostProfile reads back to an equal
// profile (every field written out; IDs as integers). Durable state
// (docs/state.md) keeps the host this way.
std::string FormatHostProfile(const HostProfile& profile);
// `default`, `full` or `legacy`; ENOENT for another name.
Result<HostProfile> BuiltinProfile(std::string_view name);
// "builtin:NAME" or the path of a JSON file (ENOENT/EACCES from reading).
Result<HostProfile> LoadHostProfile(std::string_view spec);

}  // namespace vap::ap

#endif  // VAP_AP_PROFILE_H_
