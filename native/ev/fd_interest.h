// The ev backend's view of its io watchers' fds, as libev will see them at
// its next fd_reify(). libev applies fd changes lazily, inside ev_run(), just
// before it polls; this table lets the backend act before that moment:
// - libev's epoll code asserts (aborts the process) when epoll_ctl fails
//   with EBADF, so the watchers of an fd that was closed while they were
//   active are stopped here, with the ERROR bit, before libev touches it;
// - epoll refuses regular files (EPERM); libev then treats such an fd as
//   always ready and polls with timeout 0, which Node's loop must do too;
// - it tells whether changes are waiting (an io watcher started or stopped
//   after libev's last fd_reify), so that the backend runs libev once more
//   before Node's loop blocks.
#ifndef GREENHUB_EV_FD_INTEREST_H_
#define GREENHUB_EV_FD_INTEREST_H_

#include <memory>
#include <vector>

namespace greenhub {

class EvIo;

class FdInterest {
 public:
  FdInterest() = default;
  ~FdInterest();
  FdInterest(const FdInterest&) = delete;
  FdInterest& operator=(const FdInterest&) = delete;

  // An io watcher became active on its fd; `settings_changed` when it was
  // given a new fd or mask (ev_io_set), which makes libev call epoll_ctl for
  // the fd at the next reify even if the fd's combined mask is unchanged.
  void Add(EvIo* io, bool settings_changed);
  // An io watcher stopped.
  void Remove(EvIo* io);

  // Whether libev's next fd_reify() has work: some fd's combined mask differs
  // from what libev last applied.
  bool ChangesPending() const;
  // Call right before libev reifies (before ev_run, and from the invoke
  // callback before libev's poll): fails the watchers of closed fds and
  // classifies newly watched fds. May emit events.
  void BeforeReify();
  // Every fd with active watchers: the epoll fd itself is gone, so they all
  // stop with the ERROR bit.
  void FailAll();
  // Whether an active watcher watches an fd epoll cannot poll.
  bool AlwaysReadyWatched() const;
  // The loop closed: gives back the probe's epoll fd now, not when the
  // (long-lived) backend object goes.
  void CloseProbe();

 private:
  struct Entry {
    std::vector<EvIo*> watchers;
    int applied = 0;      // the mask libev last handed to the kernel for this fd
    bool forced = false;  // ev_io_set since: libev will call epoll_ctl anyway
    bool dirty = false;   // listed in dirty_
    bool classified = false;
    bool always_ready = false;
  };

  Entry* Find(int fd) const;
  Entry& Get(int fd);
  void MarkDirty(int fd, Entry& entry);
  static int WantedMask(const Entry& entry);
  bool NeedsReify(const Entry& entry) const;
  // Whether epoll refuses `fd` (regular files, directories, some devices).
  bool EpollRefuses(int fd);
  void Fail(Entry& entry);

  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<int> dirty_;
  std::vector<int> always_ready_;  // classified as always ready, watched or not
  int probe_epfd_ = -1;            // a private epoll set to ask the kernel with
};

}  // namespace greenhub

#endif  // GREENHUB_EV_FD_INTEREST_H_
