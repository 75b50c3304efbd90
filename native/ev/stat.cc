#include "libev_private.h"
#include "watchers.h"

namespace greenhub {

// libev's ev_stat: inotify on the path (or, while it does not exist, on its
// nearest existing parent), plus polling every interval where inotify is
// missing or the file system is one libev does not trust it on. libev
// decides when to look; StatWatcher::Check() decides what counts as a change,
// the same way on every backend (libev's own comparison counts atime).

EvStat::EvStat(Loop& loop, EvBackend& backend, std::string path, double interval)
    : StatWatcher(loop, std::move(path), interval), backend_(backend) {
  // The path's storage lives as long as the watcher: libev keeps the pointer.
  ev_stat_init(&stat_, OnStat, this->path().c_str(), this->interval());
  stat_.data = this;
}

void EvStat::OnStat(struct ev_loop*, ev_stat* w, int) { static_cast<EvStat*>(w->data)->Check(); }

int EvStat::DoStart() {
  if (backend_.broken()) return -EBADF;  // its first start opens an inotify fd
  Snapshot();
  ev_stat_set(&stat_, path().c_str(), interval());
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
