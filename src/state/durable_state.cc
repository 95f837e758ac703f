#include "state/durable_state.h"

#include <fmt/format.h>

#include <cerrno>

#include "state/state_file.h"
#include "state/state_json.h"
#include "state/system_state.h"

namespace vap::state {

Result<DurableState::Opened> DurableState::Open(const SystemOptions& options,
                                                const std::string& path) {
  VAP_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadStateFile(path));
  SystemOptions o = options;
  o.profile.reset();
  std::optional<SystemState> saved;
  if (text) {
    Result<SystemState> decoded = DecodeState(*text);
    if (!decoded.ok()) return decoded.status();
    saved = std::move(*decoded);
    o.profile = saved->host;
  }
  Opened out;
  VAP_ASSIGN_OR_RETURN(out.system, System::Create(o));
  if (saved) {
    const Status restored = Restore(*out.system, *saved);
    if (!restored.ok()) {
      return Status::Error(EINVAL, fmt::format("cannot restore {}",
                                               restored.message()));
    }
    out.restored = true;
  }
  out.state.reset(new DurableState(*out.system, path));
  if (!saved) VAP_RETURN_IF_ERROR(out.state->WriteNow());
  return out;
}

Status SaveState(System& system, const std::string& path) {
  return WriteStateFile(path, EncodeState(Capture(system)));
}

Status DurableState::WriteNow() { return SaveState(system_, path_); }

Status DurableState::Commit() {
  MutexLock lock(mu_);
  const uint64_t mine = ++requested_;
  for (;;) {
    if (durable_ >= mine) return Status::Ok();
    if (failed_ >= mine) return last_error_;
    if (!writing_) break;
    cv_.Wait(mu_);
  }
  // This thread writes for every commit requested so far: its capture is
  // taken after each of them began.
  writing_ = true;
  const uint64_t target = requested_;
  mu_.Unlock();
  const Status st = WriteNow();
  mu_.Lock();
  writing_ = false;
  ++writes_;
  if (st.ok()) {
    durable_ = std::max(durable_, target);
  } else {
    failed_ = std::max(failed_, target);
    last_error_ =
        Status::Error(EIO, fmt::format("state not saved: {}", st.message()));
  }
  cv_.SignalAll();
  return st.ok() ? Status::Ok() : last_error_;
}

uint64_t DurableState::writes() const {
  MutexLock lock(mu_);
  return writes_;
}

}  // namespace vap::state
