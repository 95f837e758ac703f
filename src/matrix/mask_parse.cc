#include "matrix/mask_parse.h"

#include <cerrno>

#include "matrix/kernel_number.h"
#include "matrix/text.h"

namespace vap {

namespace {

Status Invalid(const char* why) { return Status::Error(EINVAL, why); }

// modify_bitmap: applies the relative terms of `s` to `mask`.
Status ModifyMask(std::string_view s, ApMask* mask) {
  while (!s.empty()) {
    const char sign = s[0];
    s.remove_prefix(1);
    if (sign != '+' && sign != '-') {
      return Invalid("relative mask terms must start with '+' or '-'");
    }
    size_t used;
    const uint64_t first = SimpleStrtoul(s, &used);
    if (used == 0 || first >= kApMaskBits) {
      return Invalid("mask term needs a number below 256");
    }
    s.remove_prefix(used);
    uint64_t last = first;
    if (text::At(s, 0) == '-') {
      s.remove_prefix(1);
      last = SimpleStrtoul(s, &used);
      if (used == 0 || first > last || last >= kApMaskBits) {
        return Invalid("mask range needs first <= last < 256");
      }
      s.remove_prefix(used);
    }
    for (uint64_t id = first; id <= last; ++id) {
      mask->Assign(static_cast<unsigned>(id), sign == '+');
    }
    while (text::At(s, 0) == ',' || text::At(s, 0) == '\n') s.remove_prefix(1);
  }
  return Status::Ok();
}

}  // namespace

Result<ApMask> ParseHexMask(std::string_view text) {
  std::string_view s = AsCString(text);
  if (text::At(s, 0) == '0' && text::At(s, 1) == 'x') s.remove_prefix(1);
  if (text::At(s, 0) == 'x') s.remove_prefix(1);
  ApMask mask;
  unsigned id = 0;
  for (; id < kApMaskBits && text::HexDigitValue(text::At(s, 0)) >= 0;
       s.remove_prefix(1)) {
    const int digit = text::HexDigitValue(s[0]);
    for (unsigned n = 0; n < 4; ++n) {
      if ((digit & (0x8 >> n)) != 0) mask.Set(id + n);
    }
    id += 4;
  }
  if (text::At(s, 0) == '\n') s.remove_prefix(1);
  if (!s.empty()) return Invalid("not a hex mask of at most 64 digits");
  return mask;
}

Result<ApMask> ParseApBusMask(std::string_view text, const ApMask& current) {
  const std::string_view s = AsCString(text);
  if (text::At(s, 0) != '+' && text::At(s, 0) != '-') return ParseHexMask(s);
  ApMask mask = current;
  VAP_RETURN_IF_ERROR(ModifyMask(s, &mask));
  return mask;
}

Result<ApConfigMasks> ParseApConfig(std::string_view text) {
  std::string_view rest = AsCString(text).substr(0, kApConfigMaxLen);
  // strsep(&rest, ",\n") three times; `done` is the kernel's rest == NULL.
  bool done = false;
  ApConfigMasks out;
  ApMask* const targets[3] = {&out.apm, &out.aqm, &out.adm};
  for (ApMask* target : targets) {
    if (done) return Invalid("ap_config needs three masks: apm,aqm,adm");
    const size_t sep = rest.find_first_of(",\n");
    std::string_view token = rest.substr(0, sep);
    if (sep == std::string_view::npos) {
      done = true;
    } else {
      rest.remove_prefix(sep + 1);
    }
    VAP_ASSIGN_OR_RETURN(*target, ParseHexMask(token));
  }
  return out;
}

}  // namespace vap
