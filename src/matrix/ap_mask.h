// ApMask: a 256-bit AP mask (APM, AQM, ADM, apmask, aqmask, QCI masks) in the
// architecture's bit order (the kernel's set_bit_inv()/test_bit_inv(),
// arch/s390/include/asm/bitops.h): ID n is the n-th bit counted from the most
// significant bit, so ID 0 is the 0x8 bit of the first hex digit and ID 3 its
// 0x1 bit. Stored as four 64-bit words as the kernel stores it: ID n lives in
// word n/64 at bit 63 - n%64, so printing the words in order as hex gives the
// kernel's text form.
//
// Thread safety: a value type; its owner synchronizes access.
#ifndef VAP_MATRIX_AP_MASK_H_
#define VAP_MATRIX_AP_MASK_H_

#include <array>
#include <bit>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace vap {

inline constexpr unsigned kApMaskBits = 256;
// The largest APID, APQI or control-domain number.
inline constexpr unsigned kMaxApId = 255;

class ApMask {
 public:
  using Words = std::array<uint64_t, 4>;
  // Returned by FindNext when no set ID is left.
  static constexpr unsigned kNone = kApMaskBits;

  constexpr ApMask() = default;
  constexpr explicit ApMask(const Words& words) : words_(words) {}
  // The mask with exactly `ids` set; each must be <= kMaxApId.
  static ApMask Of(std::initializer_list<unsigned> ids);
  // IDs first..last (inclusive) set.
  static ApMask Range(unsigned first, unsigned last);
  static constexpr ApMask All() {
    return ApMask(Words{~0ULL, ~0ULL, ~0ULL, ~0ULL});
  }

  bool Test(unsigned id) const { return (words_[id / 64] & Bit(id)) != 0; }
  void Set(unsigned id) { words_[id / 64] |= Bit(id); }
  void Clear(unsigned id) { words_[id / 64] &= ~Bit(id); }
  void Assign(unsigned id, bool on) { on ? Set(id) : Clear(id); }

  bool Empty() const {
    return (words_[0] | words_[1] | words_[2] | words_[3]) == 0;
  }
  bool Any() const { return !Empty(); }
  unsigned Count() const;
  // Smallest set ID >= `from`, or kNone.
  unsigned FindNext(unsigned from) const;
  unsigned FindFirst() const { return FindNext(0); }
  // Set IDs <= `max_id`, ascending.
  std::vector<unsigned> Ids(unsigned max_id = kMaxApId) const;
  // Calls fn(id) for each set ID <= `max_id`, ascending.
  template <typename Fn>
  void ForEach(Fn fn, unsigned max_id = kMaxApId) const {
    for (unsigned id = FindFirst(); id <= max_id && id != kNone;
         id = FindNext(id + 1)) {
      fn(id);
    }
  }

  // This mask without IDs above `max_id`.
  ApMask LimitedTo(unsigned max_id) const;
  // True if some ID is set in both.
  bool Intersects(const ApMask& other) const { return (*this & other).Any(); }
  // IDs set here and not in `other` (the kernel's bitmap_andnot).
  ApMask AndNot(const ApMask& other) const;

  ApMask operator&(const ApMask& o) const;
  ApMask operator|(const ApMask& o) const;
  ApMask operator^(const ApMask& o) const;
  ApMask operator~() const;
  ApMask& operator&=(const ApMask& o) { return *this = *this & o; }
  ApMask& operator|=(const ApMask& o) { return *this = *this | o; }
  friend bool operator==(const ApMask& a, const ApMask& b) = default;

  const Words& words() const { return words_; }
  // The eight 32-bit words of struct ap_config_info (QCI), ID 0 in the most
  // significant bit of word 0.
  std::array<uint32_t, 8> QciWords() const;
  // The 32 bytes as the hardware reads them from a CRYCB: big-endian, ID 0
  // in the most significant bit of byte 0.
  std::array<uint8_t, 32> BigEndianBytes() const;
  static ApMask FromBigEndianBytes(const std::array<uint8_t, 32>& bytes);

 private:
  static constexpr uint64_t Bit(unsigned id) { return 1ULL << (63 - id % 64); }

  Words words_{};
};

}  // namespace vap

#endif  // VAP_MATRIX_AP_MASK_H_
