// The syntax of a write to a `uevent` file (kobject_synth_uevent() in
// lib/kobject_uevent.c, with kobject_action_type() and
// kobject_action_args()): "ACTION[ UUID[ KEY=VALUE ...]]", as
// `udevadm trigger` writes it ("add 9f0b...-..."), exactly.
//
// - One trailing '\n' or NUL is dropped; ACTION is one of add, remove,
//   change, move, online, offline, bind, unbind, in full and in that case.
// - After a single space, a UUID (36 characters in the 8-4-4-4-12 form,
//   hex of either case), then any number of " KEY=VALUE" with KEY and
//   VALUE one or more letters or digits each.
// - The event gets SYNTH_UUID=<uuid> (SYNTH_UUID=0 without arguments) and
//   SYNTH_ARG_KEY=VALUE per pair, in order.
//
// EINVAL "unknown uevent action string" for a bad action, EINVAL
// "incorrect uevent action arguments" for bad arguments (also when they
// would not fit the kernel's 64 keys or 2048 bytes), as the kernel logs
// them.
#ifndef VAP_MATRIX_SYNTH_UEVENT_H_
#define VAP_MATRIX_SYNTH_UEVENT_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vap {

// The kernel's uevent actions (kobject_actions[]).
inline constexpr const char* kUeventActions[] = {
    "add", "remove", "change", "move", "online", "offline", "bind", "unbind"};

struct SynthUevent {
  std::string action;
  // SYNTH_UUID=..., then SYNTH_ARG_KEY=VALUE ..., as the event carries
  // them.
  std::vector<std::string> env;
};

Result<SynthUevent> ParseSynthUevent(std::string_view buf);

}  // namespace vap

#endif  // VAP_MATRIX_SYNTH_UEVENT_H_
