#include "state/durable_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "base/check.h"
#include "state/state_file.h"
#include "state/state_json.h"
#include "state/system_state.h"

namespace vap::state {

namespace {

// A journal may grow to twice its snapshot (at least this) before the
// next commit compacts it: amortized, a commit writes its change about
// three times.
constexpr uint64_t kMinCompactBytes = 4u << 20;

// The system of the file's host (it wins over options.host), or of
// options.host for a new file. g++ 12 at -O1 (the TSan build) reports a
// "maybe uninitialized" string inside std::optional's assignment here, a
// known false positive of that warning; nothing else is silenced.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
Result<std::unique_ptr<System>> CreateSystem(const SystemOptions& options,
                                             const SystemState* saved) {
  SystemOptions o = options;
  o.profile.reset();
  if (saved != nullptr) o.profile = saved->host;
  return System::Create(o);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace

Result<std::optional<SystemState>> LoadState(const std::string& path) {
  VAP_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadStateFile(path));
  if (!text) return std::optional<SystemState>();
  VAP_ASSIGN_OR_RETURN(SystemState st, DecodeState(*text));
  VAP_ASSIGN_OR_RETURN(std::optional<std::string> journal,
                       ReadStateFile(JournalPath(path)));
  if (journal) {
    const Status replayed = ReplayJournal(*journal, Crc32Hex(*text), &st);
    if (!replayed.ok()) {
      return Status::Error(EINVAL, fmt::format("{}: {}", JournalPath(path),
                                               replayed.message()));
    }
  }
  return std::optional<SystemState>(std::move(st));
}

Result<DurableState::Opened> DurableState::Open(const SystemOptions& options,
                                                const std::string& path) {
  VAP_RETURN_IF_ERROR(CheckStatePath(path));
  VAP_RETURN_IF_ERROR(CheckStatePath(JournalPath(path)));
  VAP_ASSIGN_OR_RETURN(std::optional<SystemState> saved, LoadState(path));
  Opened out;
  VAP_ASSIGN_OR_RETURN(out.system,
                       CreateSystem(options, saved ? &*saved : nullptr));
  if (saved) {
    const Status restored = Restore(*out.system, *saved);
    if (!restored.ok()) {
      return Status::Error(EINVAL, fmt::format("cannot restore {}",
                                               restored.message()));
    }
    out.restored = true;
  }
  out.state.reset(new DurableState(*out.system, path));
  // A fresh snapshot and journal: the restore is the new base, and a torn
  // record at the old journal's end is gone.
  VAP_RETURN_IF_ERROR(out.state->Compact());
  return out;
}

DurableState::DurableState(System& system, std::string path)
    : system_(system), path_(std::move(path)) {
  system_.vfio().AddMdevObserver(*this);
}

DurableState::~DurableState() { system_.vfio().RemoveMdevObserver(*this); }

void DurableState::MarkDirty(const Uuid& uuid) {
  MutexLock lock(dirty_mu_);
  dirty_.insert(uuid);
}

Status SaveState(System& system, const std::string& path) {
  return WriteStateFile(path, EncodeState(Capture(system)));
}

std::set<Uuid> DurableState::TakeDirty() {
  MutexLock lock(dirty_mu_);
  return std::exchange(dirty_, {});
}

Status DurableState::Compact() {
  // Changes after TakeDirty() are in the capture and marked again: they
  // are appended once more by the next commit, which does no harm.
  (void)TakeDirty();
  const std::optional<uint64_t> changes = system_.QuietChanges();
  const SystemState st = Capture(system_);
  const std::string text = EncodeState(st);
  journal_.reset();
  must_compact_ = true;  // until both files are written
  VAP_RETURN_IF_ERROR(WriteStateFile(path_, text));
  VAP_ASSIGN_OR_RETURN(journal_,
                       JournalFile::Create(JournalPath(path_), Crc32Hex(text)));
  snapshot_bytes_ = text.size();
  last_global_ = st;
  last_global_->mdevs.clear();
  global_changes_ = changes;
  must_compact_ = false;
  MutexLock lock(mu_);
  ++snapshots_;
  return Status::Ok();
}

bool DurableState::NothingNew() {
  {
    MutexLock lock(dirty_mu_);
    if (!dirty_.empty()) return false;
  }
  const std::optional<uint64_t> changes = system_.QuietChanges();
  return changes && global_changes_ && *changes == *global_changes_;
}

Status DurableState::WriteChanges() {
#ifdef NDEBUG
  // A store that changed nothing: nothing to look at, nothing to write.
  // (Debug builds go on, to check that in GlobalNow.)
  if (!must_compact_ && journal_ != nullptr && NothingNew())
    return Status::Ok();
#endif
  if (must_compact_ || journal_ == nullptr || !journal_->StillThere() ||
      journal_->bytes() > std::max(kMinCompactBytes, 2 * snapshot_bytes_)) {
    return Compact();
  }
  const std::set<Uuid> dirty = TakeDirty();
  const std::optional<uint64_t> changes = system_.QuietChanges();
  SystemState global = GlobalNow(changes);
  std::string records;
  if (global != *last_global_) {
    JournalRecord r;
    r.kind = JournalRecord::Kind::kGlobal;
    r.global = global;
    records += EncodeJournalRecord(r);
  }
  for (const Uuid& uuid : dirty) {
    JournalRecord r;
    r.mdev.uuid = uuid;
    Result<driver::MdevInfo> m = system_.vfio().Mdev(uuid);
    if (m.ok()) {
      r.kind = JournalRecord::Kind::kMdev;
      r.mdev.apm = m->matrix.apm();
      r.mdev.aqm = m->matrix.aqm();
      r.mdev.adm = m->matrix.adm();
    } else if (system_.vfio().IsUnbound(uuid)) {
      r.kind = JournalRecord::Kind::kMdev;
      r.mdev.unbound = true;
    } else {
      r.kind = JournalRecord::Kind::kRemove;
    }
    records += EncodeJournalRecord(r);
  }
  if (records.empty()) {  // nothing changed
    global_changes_ = changes;
    return Status::Ok();
  }
  const Status appended = journal_->Append(records);
  if (!appended.ok()) {
    // What was taken is lost to the journal: the next commit writes it all.
    must_compact_ = true;
    return appended;
  }
  last_global_ = std::move(global);
  global_changes_ = changes;
  MutexLock lock(mu_);
  ++writes_;
  return Status::Ok();
}

SystemState DurableState::GlobalNow(std::optional<uint64_t> changes) {
  const bool unchanged = changes && global_changes_ && *changes == *global_changes_;
#ifdef NDEBUG
  if (unchanged) return *last_global_;
#else
  // Debug builds look anyway and check that nothing changed unnoticed (a
  // mutator without its ChangeCount::Scope), if nothing began meanwhile.
  if (unchanged) {
    SystemState global = CaptureGlobal(system_);
    if (system_.QuietChanges() == changes) {
      VAP_CHECK_MSG(global == *last_global_,
                    "the bus-wide state changed without a ChangeCount");
    }
    return global;
  }
#endif
  return CaptureGlobal(system_);
}

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
  const Status st = WriteChanges();
  if (!st.ok()) {
    // Where an operator sees it: vapd's log (stderr, the journal).
    system_.log().Log(LogLevel::kErr,
                      fmt::format("vapd: state not saved: {}", st.message()));
  }
  mu_.Lock();
  writing_ = false;
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
  return writes_ + snapshots_;
}

uint64_t DurableState::snapshots() const {
  MutexLock lock(mu_);
  return snapshots_;
}

}  // namespace vap::state
