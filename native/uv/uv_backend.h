// The default backend: watchers built directly on Node's own libuv loop.
#ifndef GREENHUB_UV_UV_BACKEND_H_
#define GREENHUB_UV_UV_BACKEND_H_

#include "../backend.h"
#include "fd_poller.h"
#include "timer_heap.h"

namespace greenhub {

class UvBackend : public Backend {
 public:
  explicit UvBackend(Loop& loop) : loop_(loop) {}
  int Init();

  const char* Name() const override { return "uv"; }
  double Now() const override;
  void UpdateNow() override;

  std::unique_ptr<TimerWatcher> NewTimer(Loop& loop, double after, double repeat) override;
  std::unique_ptr<IoWatcher> NewIo(Loop& loop, int fd, int events) override;
  std::unique_ptr<PeriodicWatcher> NewPeriodic(Loop& loop, double offset, double interval, bool manual) override;
  std::unique_ptr<StatWatcher> NewStat(Loop& loop, std::string path, double interval) override;
  std::unique_ptr<PhaseWatcher> NewPhase(Loop& loop, Kind kind) override;
  std::unique_ptr<AsyncWatcher> NewAsync(Loop& loop) override;

  void Wake() override;
  void Unwake() override;
  void Close(std::function<void()> done) override;

 private:
  static void OnHandleClosed(uv_handle_t* handle);
  void Closed();

  Loop& loop_;
  // Flush after poll (check) and before poll (prepare); `wake_` serves JS's
  // requests for a turn. prepare and check are unref'd: they never keep the
  // process alive on their own.
  uv_prepare_t prepare_;
  uv_check_t check_;
  uv_idle_t wake_;
  FdPoller poller_;
  TimerHeap timers_;
  int open_handles_ = 0;
  bool poller_closed_ = false;
  std::function<void()> on_closed_;
};

}  // namespace greenhub

#endif  // GREENHUB_UV_UV_BACKEND_H_
