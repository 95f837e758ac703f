// A bound on the nesting of JSON text, checked before it is parsed.
//
// nlohmann::json parses deep nesting without recursion, but copying,
// comparing, dumping and destroying a value recurse once per level, so a
// request of 1 MiB of '[' would overflow the stack in any of them. Every
// JSON that vap reads from outside (RPC requests, host profiles, state
// files and their journal) is checked with this first.
#ifndef VAP_BASE_JSON_DEPTH_H_
#define VAP_BASE_JSON_DEPTH_H_

#include <string_view>

namespace vap {

// The deepest nesting vap accepts anywhere; its own documents need 6.
inline constexpr int kMaxJsonDepth = 64;

// False if arrays and objects in `text` nest more than `max_depth` deep
// (brackets inside strings do not count). Says nothing else about the
// text's validity: the parser decides that.
bool JsonDepthWithin(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace vap

#endif  // VAP_BASE_JSON_DEPTH_H_
