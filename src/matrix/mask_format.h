// Printers for the kernel's mask and matrix formats, byte for byte
// (vfio_ap_mdev_matrix_show(), control_domains_show() and ap_config_show()
// in drivers/s390/crypto/vfio_ap_ops.c; apmask_show(), aqmask_show() and
// the QCI mask shows in ap_bus.c).
#ifndef VAP_MATRIX_MASK_FORMAT_H_
#define VAP_MATRIX_MASK_FORMAT_H_

#include <cstddef>
#include <string>

#include "matrix/ap_mask.h"
#include "matrix/ap_matrix.h"

namespace vap {

// "0x" and 64 lowercase hex digits, no newline. This is both the kernel's
// "0x%016lx%016lx%016lx%016lx" over the four 64-bit words (apmask, aqmask,
// ap_config) and its "0x%08x" x 8 over the QCI words (ap_adapter_mask and
// friends): the two give the same digits.
std::string FormatMaskHex(const ApMask& mask);

// apmask / aqmask show: FormatMaskHex and '\n' (67 bytes).
std::string FormatApBusMask(const ApMask& mask);

// `matrix` / `guest_matrix` show: "%02x.%04x\n" for each APID x APQI
// (ascending) if both masks have an ID within their maxima; else
// "%02x.\n" per APID, or ".%04x\n" per APQI; else nothing. Cut at
// kSysfsShowMax bytes as the kernel's one-page buffer cuts it.
std::string FormatMatrix(const ApMatrix& matrix);

// `control_domains` show: "%04x\n" per ADM ID <= adm_max, ascending.
std::string FormatControlDomains(const ApMatrix& matrix);

// `ap_config` show: "<apm>,<aqm>,<adm>\n", always 201 bytes.
std::string FormatApConfig(const ApMatrix& matrix);

// A show callback fills one page; scnprintf keeps its last byte for NUL.
inline constexpr size_t kSysfsShowMax = 4095;

}  // namespace vap

#endif  // VAP_MATRIX_MASK_FORMAT_H_
