#include <sys/stat.h>

#include <cmath>
#include <cstring>

#include "../loop.h"
#include "watchers.h"

namespace greenhub {

// inotify (through uv_fs_event) on the path's directory makes changes
// prompt. While that directory does not exist, its nearest existing ancestor
// is watched instead, so that creating the directories on the way moves the
// watch down again. A timer polls every `interval` as the fallback, for
// changes inotify does not report (another hard link, network filesystems)
// and when no directory can be watched at all.

namespace {

// The directory that holds `dir`; "" when there is none to climb to.
std::string ParentOf(const std::string& dir) {
  if (dir == "/" || dir == ".") return "";
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : dir.substr(0, slash);
}

}  // namespace

UvStat::UvStat(Loop& loop, std::string path, double interval) : StatWatcher(loop, std::move(path), interval) {
  std::string p = this->path();
  // "dir/" names the directory itself.
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.find_last_of('/');
  if (slash == std::string::npos) {
    directory_ = ".";
    basename_ = p;
  } else {
    directory_ = slash == 0 ? "/" : p.substr(0, slash);
    basename_ = p.substr(slash + 1);
  }
  // These inits cannot fail.
  uv_timer_init(loop.uv(), &poll_);
  uv_fs_event_init(loop.uv(), &event_);
  poll_.data = this;
  event_.data = this;
}

void UvStat::StopWatching() {
  uv_fs_event_stop(&event_);  // always 0
  watched_.clear();
}

bool UvStat::WatchedDirectoryChanged() const {
  struct stat st;
  return stat(watched_.c_str(), &st) != 0 || st.st_dev != watched_dev_ || st.st_ino != watched_ino_;
}

void UvStat::WatchDirectory() {
  if (watched_ == directory_ && !WatchedDirectoryChanged()) return;
  // Start at the path's own directory and climb until one can be watched.
  for (std::string dir = directory_; !dir.empty(); dir = ParentOf(dir)) {
    if (dir == watched_ && !WatchedDirectoryChanged()) return;  // already the closest
    struct stat st;
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    StopWatching();
    int err = uv_fs_event_start(
        &event_,
        [](uv_fs_event_t* handle, const char* filename, int events, int status) {
          static_cast<UvStat*>(handle->data)->OnFsEvent(filename, events, status);
        },
        dir.c_str(), 0);
    if (err != 0) continue;  // e.g. out of inotify watches: poll only
    watched_ = dir;
    watched_dev_ = st.st_dev;
    watched_ino_ = st.st_ino;
    return;
  }
  StopWatching();
}

void UvStat::OnFsEvent(const char* filename, int events, int status) {
  if (status != 0) {
    StopWatching();
    return;
  }
  if (watched_ != directory_) {
    // Something changed in an ancestor: perhaps the next directory down
    // the path now exists.
    WatchDirectory();
    Check();
    return;
  }
  if (filename == nullptr || basename_.empty() || basename_ == filename) Check();
  // Renames and deletions may concern the directory itself: once it is gone
  // its inotify watch is dead, so watch what is left of the path.
  if ((events & UV_RENAME) != 0 && WatchedDirectoryChanged()) {
    WatchDirectory();
    Check();
  }
}

int UvStat::DoStart() {
  Snapshot();
  uint64_t ms = static_cast<uint64_t>(std::ceil(interval() * 1000));
  int err = uv_timer_start(
      &poll_,
      [](uv_timer_t* handle) {
        auto* self = static_cast<UvStat*>(handle->data);
        self->WatchDirectory();
        self->Check();
      },
      ms, ms);
  if (err != 0) return err;
  WatchDirectory();
  DoRef(ref());
  return 0;
}

void UvStat::DoStop() {
  uv_timer_stop(&poll_);  // always 0
  StopWatching();
}

void UvStat::DoRef(bool ref) {
  for (uv_handle_t* handle : {reinterpret_cast<uv_handle_t*>(&poll_), reinterpret_cast<uv_handle_t*>(&event_)}) {
    if (ref) {
      uv_ref(handle);
    } else {
      uv_unref(handle);
    }
  }
}

void UvStat::OnHandleClosed(uv_handle_t* handle) {
  auto* self = static_cast<UvStat*>(handle->data);
  if (--self->open_handles_ == 0) self->Closed();
}

void UvStat::DoClose() {
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&event_), OnHandleClosed);
}

}  // namespace greenhub
