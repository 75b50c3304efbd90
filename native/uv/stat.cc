#include <cmath>
#include <cstring>

#include "../loop.h"
#include "watchers.h"

namespace greenhub {

// inotify (through uv_fs_event) on the path's directory makes changes
// prompt; a timer polls every `interval` as the fallback, for paths whose
// directory does not exist yet and for changes inotify does not report.

UvStat::UvStat(Loop& loop, std::string path, double interval) : StatWatcher(loop, std::move(path), interval) {
  const std::string& p = this->path();
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

void UvStat::WatchDirectory() {
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&event_))) return;
  // Fails while the directory does not exist; polling covers that time and
  // tries again.
  uv_fs_event_start(
      &event_,
      [](uv_fs_event_t* handle, const char* filename, int, int status) {
        auto* self = static_cast<UvStat*>(handle->data);
        if (status != 0) {
          uv_fs_event_stop(handle);
          return;
        }
        if (filename == nullptr || self->basename_.empty() || self->basename_ == filename) self->Check();
      },
      directory_.c_str(), 0);
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
  uv_timer_stop(&poll_);
  uv_fs_event_stop(&event_);
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
