#include "state/journal.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "state/state_file.h"
#include "state/state_json.h"

namespace vap::state {

std::string JournalPath(const std::string& state_path) {
  return state_path + ".journal";
}

Status ReplayJournal(std::string_view journal, const std::string& snapshot_crc,
                     SystemState* state) {
  std::map<Uuid, MdevRecord> mdevs;
  for (const MdevRecord& m : state->mdevs) mdevs[m.uuid] = m;
  bool first = true;
  size_t line_no = 0;
  while (!journal.empty()) {
    ++line_no;
    const size_t nl = journal.find('\n');
    const bool last = nl == std::string_view::npos || nl + 1 == journal.size();
    const std::string_view line = journal.substr(0, nl);
    journal.remove_prefix(nl == std::string_view::npos ? journal.size()
                                                       : nl + 1);
    Result<JournalRecord> r = DecodeJournalRecord(line);
    if (!r.ok() && last && !first) {
      break;  // torn by a crash while appending: never acknowledged
    }
    if (!r.ok()) {
      return Status::Error(EINVAL, fmt::format("journal line {}: {}", line_no,
                                               r.status().message()));
    }
    if (first) {
      if (r->kind != JournalRecord::Kind::kBase)
        return Status::Error(EINVAL, "journal: no header");
      if (r->base != snapshot_crc) return Status::Ok();  // an older one
      first = false;
      continue;
    }
    switch (r->kind) {
      case JournalRecord::Kind::kBase:
        return Status::Error(
            EINVAL, fmt::format("journal line {}: a second header", line_no));
      case JournalRecord::Kind::kGlobal:
        *state = std::move(r->global);
        break;
      case JournalRecord::Kind::kMdev:
        mdevs[r->mdev.uuid] = r->mdev;
        break;
      case JournalRecord::Kind::kRemove:
        mdevs.erase(r->mdev.uuid);
        break;
    }
  }
  state->mdevs.clear();
  for (const auto& [uuid, m] : mdevs) state->mdevs.push_back(m);
  return Status::Ok();
}

Result<std::unique_ptr<JournalFile>> JournalFile::Create(
    const std::string& path, const std::string& snapshot_crc) {
  JournalRecord header;
  header.kind = JournalRecord::Kind::kBase;
  header.base = snapshot_crc;
  const std::string text = EncodeJournalRecord(header);
  VAP_RETURN_IF_ERROR(WriteStateFile(path, text));
  const int fd =
      open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int e = fd < 0 ? errno : EINVAL;
    if (fd >= 0) close(fd);
    return Status::Error(e, fmt::format("cannot open {}: {}", path,
                                        strerror(e)));
  }
  return std::unique_ptr<JournalFile>(new JournalFile(
      fd, path, static_cast<uint64_t>(st.st_size), st.st_ino, st.st_dev));
}

JournalFile::JournalFile(int fd, std::string path, uint64_t bytes, ino_t ino,
                         dev_t dev)
    : fd_(fd), path_(std::move(path)), bytes_(bytes), ino_(ino), dev_(dev) {}

JournalFile::~JournalFile() { close(fd_); }

Status JournalFile::Append(std::string_view records) {
  std::string_view rest = records;
  int err = 0;
  while (!rest.empty()) {
    const ssize_t n = write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  if (err == 0 && fdatasync(fd_) != 0) err = errno;
  if (err != 0) {
    // Cut the torn records away; if even that fails, the caller's next
    // commit writes a new snapshot (StillThere() is not asked then, but
    // the error makes it compact).
    (void)!ftruncate(fd_, static_cast<off_t>(bytes_));
    return Status::Error(err, fmt::format("append to {}: {}", path_,
                                          strerror(err)));
  }
  bytes_ += records.size();
  return Status::Ok();
}

bool JournalFile::StillThere() const {
  struct stat st {};
  return stat(path_.c_str(), &st) == 0 && st.st_ino == ino_ &&
         st.st_dev == dev_;
}

}  // namespace vap::state
