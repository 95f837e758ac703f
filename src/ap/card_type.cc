#include "ap/card_type.h"

#include <fmt/format.h>

#include <cerrno>

namespace vap::ap {

namespace {

char KindLetter(CardKind kind) {
  switch (kind) {
    case CardKind::kAccelerator:
      return 'A';
    case CardKind::kCca:
      return 'C';
    case CardKind::kEp11:
      return 'P';
  }
  return '?';
}

// The generation number in the name: CEX2 for hwtype 6 and 7, CEX3 for 8
// and 9, then CEX4 = 10 ... CEX8 = 14.
int Generation(uint8_t hwtype) {
  if (hwtype < kHwtypeCex3A) return 2;
  if (hwtype < kHwtypeCex4) return 3;
  return hwtype - kHwtypeCex4 + 4;
}

}  // namespace

std::string CardType::Name() const {
  return fmt::format("CEX{}{}", Generation(hwtype), KindLetter(kind));
}

Result<CardType> CardType::Parse(std::string_view name) {
  const auto bad = [&] {
    return Status::Error(EINVAL,
                         fmt::format("unknown card type '{}' (CEX4A..CEX8P, "
                                     "CEX2A/C, CEX3A/C)",
                                     name));
  };
  if (name.size() != 5 || name.substr(0, 3) != "CEX") return bad();
  const int gen = name[3] - '0';
  CardKind kind;
  switch (name[4]) {
    case 'A':
      kind = CardKind::kAccelerator;
      break;
    case 'C':
      kind = CardKind::kCca;
      break;
    case 'P':
      kind = CardKind::kEp11;
      break;
    default:
      return bad();
  }
  if (gen >= 4 && gen <= 8) {
    return CardType{static_cast<uint8_t>(kHwtypeCex4 + gen - 4), kind};
  }
  if ((gen == 2 || gen == 3) && kind != CardKind::kEp11) {
    const uint8_t base = gen == 2 ? kHwtypeCex2A : kHwtypeCex3A;
    return CardType{
        static_cast<uint8_t>(base + (kind == CardKind::kCca ? 1 : 0)), kind};
  }
  return bad();
}

uint32_t CardType::DefaultFunctions() const {
  const uint32_t common = kFuncMex4k | kFuncCrt4k | kFuncApxa;
  switch (kind) {
    case CardKind::kAccelerator:
      return common | kFuncAccelerator;
    case CardKind::kCca:
      return common | kFuncCoprocessor;
    case CardKind::kEp11:
      return kFuncApxa | kFuncEp11;
  }
  return common;
}

}  // namespace vap::ap
