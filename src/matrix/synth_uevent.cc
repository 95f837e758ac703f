#include "matrix/synth_uevent.h"

#include <cctype>
#include <cerrno>
#include <cstddef>

namespace vap {

namespace {

constexpr size_t kUuidLen = 36;
// struct kobj_uevent_env: 64 pointers (one kept for the terminating
// NULL) and a 2048-byte buffer.
constexpr size_t kMaxKeys = 63;
constexpr size_t kBufferSize = 2048;

Status BadAction() {
  return Status::Error(EINVAL, "unknown uevent action string");
}
Status BadArguments() {
  return Status::Error(EINVAL, "incorrect uevent action arguments");
}

// One trailing '\n' or NUL off (both kobject_action_type() and
// kobject_action_args() do it).
std::string_view StripOne(std::string_view s) {
  if (!s.empty() && (s.back() == '\n' || s.back() == '\0'))
    s.remove_suffix(1);
  return s;
}

bool ValidUuid(std::string_view s) {  // uuid_is_valid()
  for (size_t i = 0; i < kUuidLen; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (dash ? c != '-' : std::isxdigit(c) == 0) return false;
  }
  return true;
}

// action_arg_word_end(): the end of a nonempty run of letters and digits
// that stops at `delim` or the end; npos if a character is neither.
size_t WordEnd(std::string_view s, size_t from, char delim) {
  size_t i = from;
  while (i < s.size() && s[i] != delim) {
    if (std::isalnum(static_cast<unsigned char>(s[i])) == 0)
      return std::string_view::npos;
    ++i;
  }
  return i == from ? std::string_view::npos : i;
}

// add_uevent_var()'s limits.
class EnvBuilder {
 public:
  bool Add(std::string var) {
    if (env_.size() >= kMaxKeys || var.size() >= kBufferSize - bytes_)
      return false;
    bytes_ += var.size() + 1;
    env_.push_back(std::move(var));
    return true;
  }
  std::vector<std::string> Take() { return std::move(env_); }

 private:
  std::vector<std::string> env_;
  size_t bytes_ = 0;
};

// kobject_action_args(): "UUID[ KEY=VALUE ...]".
Result<std::vector<std::string>> ParseArgs(std::string_view args) {
  args = StripOne(args);
  if (args.size() < kUuidLen || !ValidUuid(args)) return BadArguments();
  EnvBuilder env;
  if (!env.Add("SYNTH_UUID=" + std::string(args.substr(0, kUuidLen))))
    return BadArguments();
  size_t next = kUuidLen;
  while (next < args.size()) {
    if (args[next] != ' ') return BadArguments();
    const size_t key = next + 1;
    const size_t eq = WordEnd(args, key, '=');
    if (eq == std::string_view::npos || eq >= args.size())
      return BadArguments();
    const size_t value = eq + 1;
    if (value >= args.size()) return BadArguments();
    next = WordEnd(args, value, ' ');
    if (next == std::string_view::npos) return BadArguments();
    if (!env.Add("SYNTH_ARG_" + std::string(args.substr(key, eq - key)) + "=" +
                 std::string(args.substr(value, next - value))))
      return BadArguments();
  }
  return env.Take();
}

}  // namespace

Result<SynthUevent> ParseSynthUevent(std::string_view buf) {
  // kobject_action_type(): the action runs to the first space (strnchr
  // stops at a NUL).
  const std::string_view s = StripOne(buf);
  if (s.empty()) return BadAction();
  const std::string_view c_string = s.substr(0, s.find('\0'));
  const size_t space = c_string.find(' ');
  const std::string_view word =
      space == std::string_view::npos ? s : s.substr(0, space);
  SynthUevent out;
  for (const char* action : kUeventActions) {
    if (word == action) out.action = action;
  }
  if (out.action.empty()) return BadAction();
  if (space == std::string_view::npos) {
    out.env = {"SYNTH_UUID=0"};
    return out;
  }
  // The arguments are measured against the write's full length, trailing
  // newline included (kobject_synth_uevent() passes count - offset).
  VAP_ASSIGN_OR_RETURN(out.env, ParseArgs(buf.substr(space + 1)));
  return out;
}

}  // namespace vap
