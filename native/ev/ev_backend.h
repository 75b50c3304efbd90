// The ev backend: watchers on a private libev loop, driven from Node's own
// libuv loop so that Node never blocks in libev and libev never owns the
// thread.
//
// - The libev loop is ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV |
//   EVFLAG_NOSIGMASK): never the default loop, whose SIGCHLD handler would
//   reap Node's children. Signals and children stay on libuv for every
//   backend (watchers/signal.h, watchers/child.h).
// - One uv_prepare runs ev_run(EVRUN_NOWAIT) when Node's loop is about to
//   poll and libev can have an event (RunNeeded): one whole libev iteration
//   (libev's prepare watchers, fd changes, a zero-timeout epoll_wait,
//   timers, periodics, idle and check watchers) right before Node blocks. libev's pending watchers are invoked through
//   ev_set_invoke_pending_cb: their C callbacks only append to the event
//   ring, and the ring is flushed into JS once per libev phase (after its
//   prepare watchers, after its poll), so JS sees libev's order: priority
//   first, and within a priority libev's own order.
// - One uv_poll on libev's epoll fd wakes Node's loop when a libev fd is
//   ready; its callback only notes it.
// - One uv_timer is armed at the next libev deadline, computed from this
//   backend's own registry of active timers, periodics and stat polls.
// - One uv_async wakes Node when another thread sends to an ev_async:
//   libev writes its own eventfd only while blocked in its own poll.
// - Node's loop stays alive exactly while a ref'd watcher is active: the
//   backend counts them and refs its (always active) uv_check while the
//   count is not 0. libev's own refcount follows libev's documented dance
//   (an unref'd watcher is ev_unref'd after it starts and ev_ref'd before
//   it stops), though nothing here runs libev in a mode that reads it.
#ifndef GREENHUB_EV_EV_BACKEND_H_
#define GREENHUB_EV_EV_BACKEND_H_

#include <ev.h>

#include <atomic>
#include <thread>
#include <vector>

#include "../backend.h"
#include "deadline_heap.h"
#include "fd_interest.h"

namespace greenhub {

class EvTimer;

// A watcher whose next libev deadline the backend asks for before Node's
// loop blocks (periodics, stat polling). Timers are kept sorted instead:
// there may be many.
class EvDeadlineSource {
 public:
  virtual ~EvDeadlineSource() = default;
  // Seconds until libev wants to run for this watcher, or < 0 for never.
  virtual double SecondsUntilDue() = 0;
};

class EvBackend : public Backend {
 public:
  explicit EvBackend(Loop& loop);
  ~EvBackend() override;
  int Init();

  const char* Name() const override { return "ev"; }
  double Now() const override;
  void UpdateNow() override;
  int MinPriority() const override { return EV_MINPRI; }
  int MaxPriority() const override { return EV_MAXPRI; }

  std::unique_ptr<TimerWatcher> NewTimer(Loop& loop, double after, double repeat) override;
  std::unique_ptr<IoWatcher> NewIo(Loop& loop, int fd, int events) override;
  std::unique_ptr<PeriodicWatcher> NewPeriodic(Loop& loop, double offset, double interval, bool manual) override;
  std::unique_ptr<StatWatcher> NewStat(Loop& loop, std::string path, double interval) override;
  std::unique_ptr<PhaseWatcher> NewPhase(Loop& loop, Kind kind) override;
  std::unique_ptr<AsyncWatcher> NewAsync(Loop& loop) override;

  void Wake() override;
  void Unwake() override;
  void Close(std::function<void()> done) override;

  // --- For the ev watcher classes (native/ev/*.cc).
  struct ev_loop* ev() const { return ev_; }
  FdInterest& fds() { return fds_; }
  int backend_fd() const { return backend_fd_; }
  // The epoll fd was closed behind libev's back: io watchers cannot start.
  bool broken() const { return broken_; }

  // libev's refcount dance for unref'd watchers.
  void EvStarted(bool ref);                  // right after ev_*_start
  void EvStopping(const void* w, bool ref);  // right before ev_*_stop
  void EvStoppedItself(bool ref);            // libev stopped the watcher as it fired
  // Node's keep-alive, by the watcher's own active/ref state.
  void Activated(bool ref);
  void Deactivated(bool ref);
  void RefChanged(const void* w, bool ref);  // ref flipped while active

  // Deadlines: a timer's changed (started, again, fired and repeating) or
  // is gone; periodics and stat watchers register while active.
  void TimerScheduled(EvTimer* timer);
  void TimerUnscheduled(EvTimer* timer);
  void AddDeadlineSource(EvDeadlineSource* source);
  void RemoveDeadlineSource(EvDeadlineSource* source);

  // A deadline source may now be due earlier than the armed uv timer.
  void DeadlineMayBeEarlier(EvDeadlineSource* source);

  // An io watcher changed: libev must reify before Node's loop blocks.
  void FdsChanged();
  // A start that makes libev open an internal fd (async's eventfd, stat's
  // inotify fd, periodic's timerfd): libev must reify it before Node blocks.
  void InternalFdsMayChange();
  // Prepare, check and idle watchers make libev run every turn; idle ones
  // also keep Node's loop from blocking.
  void PhaseStarted(bool idle);
  void PhaseStopped(bool idle);
  // After ev_async_send() from any thread: makes libev run soon.
  void AsyncSent();
  // libev creates its eventfd for ev_async on the first start; see
  // EvAsync::DoStart.
  bool evpipe_ready() const { return evpipe_ready_; }
  void set_evpipe_ready() { evpipe_ready_ = true; }

 private:
  static void InvokePendingThunk(struct ev_loop* ev);
  void OnInvokePending();
  void OnPrepare();
  void OnWake();
  void OnCheck();
  bool RunNeeded() const;
  void RunOnce();
  void BeforeReify();
  void RenewBackendFd();
  int WatchBackendFd(int fd);
  void Broken(const char* why);
  void UpdateSpin(bool keep_spinning);
  void ArmDeadline();
  void ArmIfEarlier(double deadline);
  void UpdateKeepAlive();
  static void OnHandleClosed(uv_handle_t* handle);
  static void OnPollClosed(uv_handle_t* handle);
  void FinishClose();

  Loop& loop_;
  std::thread::id loop_thread_;  // the JS thread that owns this loop
  struct ev_loop* ev_ = nullptr;
  int backend_fd_ = -1;
  FdInterest fds_;

  // libev's cached monotonic time, read through a never-due repeating timer
  // (ev_timer_remaining() counts from libev's cached clock): Now() is
  // clock_base_ + span - remaining, in uv_hrtime()'s seconds.
  ev_timer clock_;
  double clock_base_ = 0;
  // Fires when libev is about to recreate its epoll set (its "postfork"
  // path, taken after epoll reported a stale fd): the fd Node polls changes.
  ev_fork renewal_;
  bool renewal_seen_ = false;

  // The uv handles that drive libev. prepare: runs libev before Node polls.
  // check: after Node polled; its ref keeps Node alive while a ref'd watcher
  // is active. poll: libev's epoll fd (heap: replaced when the fd changes).
  // deadline: the next libev deadline. wake: JS asked for a flush. spin:
  // Node must not block (idle watchers, always-ready fds, pending changes).
  // async_wake: another thread sent to an async watcher.
  uv_prepare_t prepare_;
  uv_check_t check_;
  uv_poll_t* poll_ = nullptr;
  uv_timer_t deadline_;
  uv_idle_t wake_;
  uv_idle_t spin_;
  uv_async_t async_wake_;
  int open_handles_ = 0;
  bool handles_init_ = false;

  DeadlineHeap timers_;  // due in uv_hrtime() seconds (see TimerScheduled)
  std::vector<EvDeadlineSource*> sources_;
  double armed_ = -1;  // deadline the uv timer is armed for (-1: not armed)

  int keepalive_ = 0;  // active ref'd watchers
  int phases_ = 0;     // active prepare, check and idle watchers
  int idles_ = 0;      // active idle watchers
  uint32_t run_iteration_ = 0;  // ev_iteration() when the current ev_run began
  bool running_ = false;        // inside ev_run()
  bool in_prepare_ = false;
  bool after_prepare_ = false;  // between our prepare and our check: Node may poll next
  bool wake_deferred_ = false;  // a wake-up's flush waits for this turn's libev run (OnWake)
  bool poll_ready_ = false;     // libev's epoll fd reported readable
  bool deadline_due_ = false;   // the deadline uv_timer fired
  std::atomic<bool> async_noted_{false};  // an ev_async_send since the last run
  bool internal_fds_changed_ = false;
  bool evpipe_ready_ = false;
  bool broken_ = false;
  bool closing_ = false;
  std::function<void()> on_closed_;
};

}  // namespace greenhub

#endif  // GREENHUB_EV_EV_BACKEND_H_
