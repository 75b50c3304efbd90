// fd: a socket (or pipe) registered with the loop for its whole life,
// edge-triggered. Readiness and waiting live in shared memory (one byte
// per watcher id, Loop::fd_state), so JS tries the syscall while the fd is
// ready and, on EAGAIN, only flips a bit to wait: no call into the addon per
// wait, and no epoll_ctl per message (node-facts §9).
#ifndef GREENHUB_WATCHERS_FD_H_
#define GREENHUB_WATCHERS_FD_H_

#include <functional>

#include "../watcher.h"

namespace greenhub {

// The byte each fd watcher shares with JS.
enum FdState : uint8_t {
  kFdReadyRead = 0x01,
  kFdReadyWrite = 0x02,
  kFdWaitRead = 0x04,
  kFdWaitWrite = 0x08,
  // Sticky: the peer shut down its side (reads end at EOF, however short the
  // last read was), or the socket failed (every call returns the error).
  kFdEof = 0x10,
  kFdError = 0x20,
};

class FdWatcher : public Watcher {
 public:
  FdWatcher(Loop& loop, int fd);
  int fd() const { return fd_; }
  // New readiness (kRead / kWrite bits) from the poller: marks it in the
  // shared byte and wakes JS for the directions it waits on.
  void Ready(int bits, uint8_t sticky);

 private:
  int fd_;
};

// The default edge-triggered poller behind every FdWatcher: a private epoll
// set watched by one uv_poll on Node's loop. It counts as "alive" (ref'd)
// only while some greenlet waits on one of its fds: JS keeps that count in
// the loop's shared state, and the poller follows it before each poll.
class EdgePoller {
 public:
  explicit EdgePoller(Loop& loop) : loop_(loop) {}
  int Init();
  int Add(FdWatcher* watcher);
  void Remove(FdWatcher* watcher);
  // JS asks for a ref as soon as the first waiter appears.
  void Ref();
  void Close(std::function<void()> done);

 private:
  void OnReady();
  void FollowWaiters();

  Loop& loop_;
  int epfd_ = -1;
  bool init_ = false;
  bool refd_ = false;
  uv_poll_t poll_;
  uv_prepare_t prepare_;
  int open_handles_ = 0;
  std::function<void()> on_closed_;
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHERS_FD_H_
