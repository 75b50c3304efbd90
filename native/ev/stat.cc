#include <limits.h>
#include <unistd.h>

#include "libev_private.h"
#include "watchers.h"

namespace greenhub {

namespace {

// The path as libev wants it (man 3 ev, ev_stat: "should be absolute", no
// trailing slash): while the path is missing, libev watches its nearest
// existing parent, found by cutting at slashes, and a bare relative name
// has none to cut at. Resolved at each start, against the cwd of then.
std::string LibevPath(const std::string& path) {
  std::string absolute = path;
  if (absolute[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) != nullptr) {
      absolute = std::string(cwd) + (cwd[1] == '\0' ? "" : "/") + absolute;
    }
  }
  while (absolute.size() > 1 && absolute.back() == '/') absolute.pop_back();
  return absolute;
}

}  // namespace

// libev's ev_stat: inotify on the path (or, while it does not exist, on its
// nearest existing parent), plus polling every interval where inotify is
// missing or the file system is one libev does not trust it on. libev
// decides when to look; StatWatcher::Check() decides what counts as a change,
// the same way on every backend (libev's own comparison counts atime).

EvStat::EvStat(Loop& loop, EvBackend& backend, std::string path, double interval)
    : StatWatcher(loop, std::move(path), interval), backend_(backend) {
  // libev keeps the path's pointer: libev_path_ stays put while active.
  ev_stat_init(&stat_, OnStat, this->path().c_str(), this->interval());
  stat_.data = this;
}

void EvStat::OnStat(struct ev_loop*, ev_stat* w, int) { static_cast<EvStat*>(w->data)->Check(); }

int EvStat::DoStart() {
  if (backend_.broken()) return -EBADF;  // its first start opens an inotify fd
  Snapshot();
  libev_path_ = LibevPath(path());
  ev_stat_set(&stat_, libev_path_.c_str(), interval());
  ev_set_priority(&stat_, priority());
  ev_stat_start(backend_.ev(), &stat_);
  backend_.EvStarted(ref());
  backend_.Activated(ref());
  backend_.AddDeadlineSource(this);
  backend_.InternalFdsMayChange();
  return 0;
}

double EvStat::SecondsUntilDue() { return LibevStatPollRemaining(backend_.ev(), &stat_); }

void EvStat::DoStop() {
  backend_.EvStopping(&stat_, ref());
  ev_stat_stop(backend_.ev(), &stat_);
  backend_.Deactivated(ref());
  backend_.RemoveDeadlineSource(this);
}

void EvStat::DoRef(bool ref) {
  if (active()) backend_.RefChanged(&stat_, ref);
}

void EvStat::DoClose() {
  backend_.RemoveDeadlineSource(this);
  Closed();
}

}  // namespace greenhub
