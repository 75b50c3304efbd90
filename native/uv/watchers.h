// The uv backend's watcher classes: each wraps the libuv handle that gives
// its type libev's semantics on Node's own loop.
#ifndef GREENHUB_UV_WATCHERS_H_
#define GREENHUB_UV_WATCHERS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "../backend.h"
#include "fd_poller.h"
#include "timer_heap.h"

namespace greenhub {

class UvTimer : public TimerWatcher {
 public:
  static constexpr size_t kNotScheduled = SIZE_MAX;

  UvTimer(Loop& loop, TimerHeap& heap, double after, double repeat);
  double Remaining() const override;

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;
  int DoAgain() override;

 private:
  friend class TimerHeap;
  // The heap calls these when the timer is due.
  uint64_t RepeatMs() const;
  void Fire(bool last);

  TimerHeap& heap_;
  size_t heap_index_ = kNotScheduled;
};

class UvIo : public IoWatcher {
 public:
  UvIo(Loop& loop, FdPoller& poller, int fd, int events) : IoWatcher(loop, fd, events), poller_(poller) {}

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  FdPoller& poller_;
};

class UvPhase : public PhaseWatcher {
 public:
  UvPhase(Loop& loop, Kind kind);

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  union {
    uv_handle_t handle;
    uv_idle_t idle;
    uv_prepare_t prepare;
    uv_check_t check;
  } h_;
};

class UvAsync : public AsyncWatcher {
 public:
  explicit UvAsync(Loop& loop) : AsyncWatcher(loop) {}
  void Send() override;

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  uv_async_t handle_;
  bool init_ = false;
  std::atomic<bool> accepting_{false};
};

class UvPeriodic : public PeriodicWatcher {
 public:
  UvPeriodic(Loop& loop, double offset, double interval, bool manual);
  int SetAt(double at) override;

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  int Arm();
  void OnReady();
  void Fail();
  int tfd_ = -1;
  bool poll_init_ = false;
  uv_poll_t poll_;
};

class UvStat : public StatWatcher {
 public:
  UvStat(Loop& loop, std::string path, double interval);

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  void WatchDirectory();
  void StopWatching();
  bool WatchedDirectoryChanged() const;
  void OnFsEvent(const char* filename, int events, int status);
  static void OnHandleClosed(uv_handle_t* handle);
  std::string directory_;
  std::string basename_;
  // The directory inotify watches: the path's own, or while that does not
  // exist, its nearest existing ancestor (as libev's ev_stat does).
  std::string watched_;
  dev_t watched_dev_ = 0;
  ino_t watched_ino_ = 0;
  uv_timer_t poll_;
  uv_fs_event_t event_;
  int open_handles_ = 2;
};

}  // namespace greenhub

#endif  // GREENHUB_UV_WATCHERS_H_
