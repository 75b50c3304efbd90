// io: level-triggered readiness of any file descriptor (libev's ev_io).
// Several watchers may watch one fd; each backend multiplexes them.
#ifndef GREENHUB_WATCHERS_IO_H_
#define GREENHUB_WATCHERS_IO_H_

#include "../watcher.h"

namespace greenhub {

class IoWatcher : public Watcher {
 public:
  IoWatcher(Loop& loop, int fd, int events) : Watcher(loop, Kind::kIo), fd_(fd), events_(events) {}

  int fd() const { return fd_; }
  int events() const { return events_; }
  // Only while inactive (the binding checks).
  void Set(int fd, int events) {
    fd_ = fd;
    events_ = events;
    fd_set_ = true;
  }
  // True on the first start after creation or Set() (libev's EV__IOFDSET):
  // the fd number may now name a new file that the poller's kernel set does
  // not know yet, even though an earlier file with that number was in it.
  bool TakeFdSet() {
    bool set = fd_set_;
    fd_set_ = false;
    return set;
  }

  // Delivers readiness from the backend's poller: only the bits this watcher
  // asked for, and only while it is active.
  void Deliver(int revents) {
    int mine = revents & (events_ | kError);
    if (active() && mine) Emit(mine);
  }
  // The fd turned out closed or unusable: stop and report an error.
  void Fail() {
    if (active()) EmitAndStop(kError | events_);
  }

 protected:
  int fd_;
  int events_;
  bool fd_set_ = true;
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHERS_IO_H_
