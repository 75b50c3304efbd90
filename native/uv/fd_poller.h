// The uv backend's io multiplexer: a private level-triggered epoll set
// behind one uv_poll. Every fd joins the set once and its interest (the OR of
// its active watchers' masks) is applied lazily before each poll, as libev
// does with its fd changes: starting and stopping io watchers costs no
// syscall until the loop is about to block. Using our own set also keeps the
// fds Node polls itself (stdin, its sockets) out of reach: uv_poll on those
// would clobber Node's registration.
#ifndef GREENHUB_UV_FD_POLLER_H_
#define GREENHUB_UV_FD_POLLER_H_

#include <functional>
#include <memory>
#include <vector>

#include "../common.h"

namespace greenhub {

class IoWatcher;

class FdPoller {
 public:
  FdPoller() = default;
  FdPoller(const FdPoller&) = delete;
  FdPoller& operator=(const FdPoller&) = delete;

  int Init(uv_loop_t* uv);
  // An active watcher joins or leaves its fd's interest. Attach returns 0
  // or the libuv error that kept the poller from polling.
  int Attach(IoWatcher* watcher);
  void Detach(IoWatcher* watcher);
  // A ref'd active watcher keeps the process alive; unref'd ones don't.
  void Ref(bool ref);
  // Applies changed interests to the epoll set; call before polling.
  void Reify();
  void Close(std::function<void()> done);

 private:
  struct FdEntry {
    std::vector<IoWatcher*> watchers;
    int registered = 0;  // the epoll mask now in the kernel (0: not in the set)
    bool dirty = false;
    bool recheck = false;  // register again even if the mask did not change
    bool always_ready = false;  // epoll refuses it (regular files): always ready
  };

  FdEntry* Entry(int fd, bool create);
  void MarkDirty(int fd, FdEntry* entry);
  // Stops every watcher of an fd with an error; UpdateHandles() after.
  void StopWatchers(FdEntry* entry);
  void OnReady();
  void DeliverAlwaysReady();
  void UpdateHandles();

  uv_loop_t* uv_ = nullptr;
  int epfd_ = -1;
  uv_poll_t poll_;
  uv_idle_t spin_;  // runs while always-ready fds have watchers
  bool init_ = false;
  std::vector<std::unique_ptr<FdEntry>> fds_;
  std::vector<int> dirty_;
  std::vector<int> always_ready_;
  int active_ = 0;
  int refs_ = 0;
  int poll_error_ = 0;
  int open_handles_ = 0;
  std::function<void()> on_closed_;
};

}  // namespace greenhub

#endif  // GREENHUB_UV_FD_POLLER_H_
