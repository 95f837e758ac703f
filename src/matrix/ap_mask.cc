#include "matrix/ap_mask.h"

#include "base/check.h"

namespace vap {

ApMask ApMask::Of(std::initializer_list<unsigned> ids) {
  ApMask mask;
  for (unsigned id : ids) {
    VAP_CHECK(id <= kMaxApId);
    mask.Set(id);
  }
  return mask;
}

ApMask ApMask::Range(unsigned first, unsigned last) {
  VAP_CHECK(first <= last && last <= kMaxApId);
  ApMask mask;
  for (unsigned id = first; id <= last; ++id) mask.Set(id);
  return mask;
}

unsigned ApMask::Count() const {
  unsigned n = 0;
  for (uint64_t w : words_) n += static_cast<unsigned>(std::popcount(w));
  return n;
}

unsigned ApMask::FindNext(unsigned from) const {
  for (unsigned w = from / 64; w < 4; ++w) {
    uint64_t word = words_[w];
    if (w == from / 64) word &= ~0ULL >> (from % 64);  // drop IDs < from
    if (word != 0)
      return w * 64 + static_cast<unsigned>(std::countl_zero(word));
  }
  return kNone;
}

std::vector<unsigned> ApMask::Ids(unsigned max_id) const {
  std::vector<unsigned> ids;
  ForEach([&](unsigned id) { ids.push_back(id); }, max_id);
  return ids;
}

ApMask ApMask::LimitedTo(unsigned max_id) const {
  if (max_id >= kMaxApId) return *this;
  ApMask out = *this;
  for (unsigned w = 0; w < 4; ++w) {
    const unsigned first = w * 64;
    if (first > max_id) {
      out.words_[w] = 0;
    } else if (max_id - first < 63) {
      // Keep IDs first..max_id: the top (max_id - first + 1) bits.
      out.words_[w] &= ~(~0ULL >> (max_id - first + 1));
    }
  }
  return out;
}

ApMask ApMask::AndNot(const ApMask& other) const { return *this & ~other; }

ApMask ApMask::operator&(const ApMask& o) const {
  return ApMask(Words{words_[0] & o.words_[0], words_[1] & o.words_[1],
                      words_[2] & o.words_[2], words_[3] & o.words_[3]});
}

ApMask ApMask::operator|(const ApMask& o) const {
  return ApMask(Words{words_[0] | o.words_[0], words_[1] | o.words_[1],
                      words_[2] | o.words_[2], words_[3] | o.words_[3]});
}

ApMask ApMask::operator^(const ApMask& o) const {
  return ApMask(Words{words_[0] ^ o.words_[0], words_[1] ^ o.words_[1],
                      words_[2] ^ o.words_[2], words_[3] ^ o.words_[3]});
}

ApMask ApMask::operator~() const {
  return ApMask(Words{~words_[0], ~words_[1], ~words_[2], ~words_[3]});
}

std::array<uint32_t, 8> ApMask::QciWords() const {
  std::array<uint32_t, 8> out{};
  for (unsigned w = 0; w < 4; ++w) {
    out[2 * w] = static_cast<uint32_t>(words_[w] >> 32);
    out[2 * w + 1] = static_cast<uint32_t>(words_[w]);
  }
  return out;
}

std::array<uint8_t, 32> ApMask::BigEndianBytes() const {
  std::array<uint8_t, 32> out{};
  for (unsigned i = 0; i < 32; ++i) {
    out[i] = static_cast<uint8_t>(words_[i / 8] >> (56 - 8 * (i % 8)));
  }
  return out;
}

ApMask ApMask::FromBigEndianBytes(const std::array<uint8_t, 32>& bytes) {
  Words words{};
  for (unsigned i = 0; i < 32; ++i) {
    words[i / 8] |= static_cast<uint64_t>(bytes[i]) << (56 - 8 * (i % 8));
  }
  return ApMask(words);
}

}  // namespace vap
