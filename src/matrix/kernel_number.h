// The kernel's number parsers, exactly (lib/kstrtox.c, lib/vsprintf.c), as
// every single-ID sysfs attribute uses them (kstrtoul(buf, 0, ...) in the
// stores of drivers/s390/crypto/vfio_ap_ops.c).
//
// Input is treated as the C string a sysfs store receives: it ends at the
// first NUL byte, as the kernel's buffer does.
#ifndef VAP_MATRIX_KERNEL_NUMBER_H_
#define VAP_MATRIX_KERNEL_NUMBER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace vap {

// kstrtoul(buf, 0, &value) on a 64-bit kernel: optional single '+', base
// detection ("0x"/"0X" followed by a hex digit: hex; other leading '0':
// octal; else decimal), at least one digit, at most one trailing '\n',
// nothing else. EINVAL for any violation; ERANGE if the value does not fit
// in 64 bits (checked before the trailing characters, as the kernel does).
Result<uint64_t> ParseKstrtoul(std::string_view buf);

// simple_strtoul(s, &end, 0): parses a prefix of `s` with the same base
// detection, no sign, no overflow check (the value wraps modulo 2^64, as
// the kernel's does). Returns the value and sets *consumed to the number of
// characters used, 0 if there was no digit.
uint64_t SimpleStrtoul(std::string_view s, size_t* consumed);

// kstrtobool(buf, &value): decided by the first characters only: one of
// y Y t T 1 is true, n N f F 0 false, "o" or "O" followed by n/N true and
// by f/F false; anything else EINVAL. The rest of `buf` is not looked at.
Result<bool> ParseKstrtobool(std::string_view buf);

// sscanf(buf, "%d") (base 10) or sscanf(buf, "%i") (base 0: "0x" hex, "0"
// octal, else decimal), as the kernel's vsscanf() does it: leading white
// space skipped, an optional '-' (no '+'), at least one digit, the value
// wrapped into an int as simple_strntol() and the int store leave it, and
// anything after the digits ignored. EINVAL when nothing was converted.
Result<int> ScanfInt(std::string_view buf, unsigned base);

// `buf` up to its first NUL byte.
std::string_view AsCString(std::string_view buf);

}  // namespace vap

#endif  // VAP_MATRIX_KERNEL_NUMBER_H_
