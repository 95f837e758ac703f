// Parsers for the mask syntaxes the kernel accepts (ap_parse_mask_str() and
// its hex2bitmap()/modify_bitmap() in drivers/s390/crypto/ap_bus.c;
// ap_config_store() in vfio_ap_ops.c), with exactly its semantics and errno.
// Inputs are taken as C strings: they end at the first NUL byte.
#ifndef VAP_MATRIX_MASK_PARSE_H_
#define VAP_MATRIX_MASK_PARSE_H_

#include <cstddef>
#include <string_view>

#include "base/result.h"
#include "matrix/ap_mask.h"

namespace vap {

// ap_hex2bitmap: the absolute syntax. Optional "0x" (or bare "x") prefix,
// then up to 64 hex digits of either case filling IDs 0, 1, 2, ... four
// per digit (left-aligned: "41" is IDs 1 and 7), then at most one '\n'.
// Empty input or a bare prefix gives the empty mask. "0X" is not a prefix.
// EINVAL for anything else, including a 65th digit.
Result<ApMask> ParseHexMask(std::string_view text);

// ap_parse_bitmap_str, what apmask and aqmask stores accept. Input
// starting with '+' or '-' is relative: terms "+N", "-N", "+A-Z", "-A-Z"
// (numbers in kstrtoul's bases, wrapping like simple_strtoul, A <= Z <
// 256) separated by any run of ',' and '\n', applied left to right to
// `current`. Anything else is absolute (ParseHexMask). EINVAL on error.
Result<ApMask> ParseApBusMask(std::string_view text, const ApMask& current);

// What an mdev's ap_config store accepts: "<apm>,<aqm>,<adm>", ',' and
// '\n' both separating, each token in the absolute syntax, tokens after
// the third ignored, fewer than two separators EINVAL. Only the first
// kApConfigMaxLen bytes are read (the kernel's kstrndup).
struct ApConfigMasks {
  ApMask apm, aqm, adm;
};
inline constexpr size_t kApConfigMaxLen = 201;
Result<ApConfigMasks> ParseApConfig(std::string_view text);

}  // namespace vap

#endif  // VAP_MATRIX_MASK_PARSE_H_
