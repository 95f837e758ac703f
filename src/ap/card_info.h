// CardInfo: what a CCA or EP11 coprocessor answers when zcrypt queries it
// (cca_get_info(), ep11_get_card_info() and ep11_get_domain_info() in
// drivers/s390/crypto/zcrypt_ccamisc.c and zcrypt_ep11misc.c), which the
// card's and its queues' key attributes show (docs/host-profile.md,
// "Card information"). One answer fills every attribute; a card that
// cannot be queried leaves all of them in their "could not query" form.
#ifndef VAP_AP_CARD_INFO_H_
#define VAP_AP_CARD_INFO_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vap::ap {

// EP11 operation modes, in the order of their bits (ep11_op_modes[] in
// zcrypt_cex4.c): bit 0 FIPS2009 ... bit 8 FIPS2024.
const std::vector<std::string_view>& Ep11OpModeNames();

struct CardInfo {
  // false: the card answers no query (every key attribute empty).
  bool queryable = true;
  // EP11: API_ordinalnr (0: none), FW_version as major << 8 | minor (0:
  // none), op_modes (bit i: Ep11OpModeNames()[i]), the wrapping key's
  // verification pattern (64 hex digits, the current one).
  uint32_t api_ordinal = 0;
  uint16_t fw_version = 0;
  uint32_t op_modes = 0;
  std::string wkvp;
  // CCA: the current AES and APKA master keys' verification patterns (16
  // hex digits) and the ASYM one (32); new registers empty, old invalid.
  std::string aes_mkvp;
  std::string apka_mkvp;
  std::string asym_mkvp;

  // Plausible values for adapter `apid` of the given kind (patterns
  // derived from the ID, no operation modes).
  static CardInfo ForCca(uint8_t apid);
  static CardInfo ForEp11(uint8_t apid);
  friend bool operator==(const CardInfo&, const CardInfo&) = default;
};

// "7.23" -> 0x0717; EINVAL unless MAJOR.MINOR with each 0..255.
Result<uint16_t> ParseFwVersion(std::string_view text);
// An op_modes bit for a name of Ep11OpModeNames(); EINVAL otherwise.
Result<uint32_t> Ep11OpModeBit(std::string_view name);
// Whether `hex` is `digits` hex digits (lower or upper case).
bool IsHexPattern(std::string_view hex, size_t digits);

}  // namespace vap::ap

#endif  // VAP_AP_CARD_INFO_H_
