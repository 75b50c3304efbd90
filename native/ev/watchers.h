// The ev backend's watcher classes: each wraps the libev watcher of its type
// on the backend's private loop. Their libev callbacks only append events to
// the loop's ring; the backend flushes it into JS.
#ifndef GREENHUB_EV_WATCHERS_H_
#define GREENHUB_EV_WATCHERS_H_

#include <ev.h>

#include <atomic>
#include <string>

#include "ev_backend.h"

namespace greenhub {

class EvTimer : public TimerWatcher {
 public:
  EvTimer(Loop& loop, EvBackend& backend, double after, double repeat);
  double Remaining() const override;

  // The backend's deadline registry entry.
  DeadlineHeap::Node deadline;
  // ev_timer_remaining(): from libev's cached clock.
  double RemainingNow();

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;
  int DoAgain() override;

 private:
  static void OnTimer(struct ev_loop* ev, ev_timer* w, int revents);
  EvBackend& backend_;
  ev_timer timer_;
  double period_ = 0;  // the span the timer was last armed for
};

class EvIo : public IoWatcher {
 public:
  EvIo(Loop& loop, EvBackend& backend, int fd, int events);
  // Stops the libev watcher (FdInterest: the fd is closed or the backend
  // broke); the caller then reports the failure with Fail().
  void Detach();

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  static void OnEvent(struct ev_loop* ev, ev_io* w, int revents);
  EvBackend& backend_;
  ev_io io_;
};

class EvPeriodic : public PeriodicWatcher, public EvDeadlineSource {
 public:
  EvPeriodic(Loop& loop, EvBackend& backend, double offset, double interval, bool manual);
  int SetAt(double at) override;
  double SecondsUntilDue() override;

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  static void OnPeriodic(struct ev_loop* ev, ev_periodic* w, int revents);
  EvBackend& backend_;
  ev_periodic periodic_;
};

class EvStat : public StatWatcher, public EvDeadlineSource {
 public:
  EvStat(Loop& loop, EvBackend& backend, std::string path, double interval);
  double SecondsUntilDue() override;

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  static void OnStat(struct ev_loop* ev, ev_stat* w, int revents);
  EvBackend& backend_;
  std::string libev_path_;  // absolute, for libev (see stat.cc)
  ev_stat stat_;
};

class EvPhase : public PhaseWatcher {
 public:
  EvPhase(Loop& loop, EvBackend& backend, Kind kind);

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  template <typename W>
  static void OnFire(struct ev_loop* ev, W* w, int revents);
  EvBackend& backend_;
  union {
    ev_watcher base;
    ev_idle idle;
    ev_prepare prepare;
    ev_check check;
  } w_;
};

class EvAsync : public AsyncWatcher {
 public:
  EvAsync(Loop& loop, EvBackend& backend);
  void Send() override;

 protected:
  int DoStart() override;
  void DoStop() override;
  void DoRef(bool ref) override;
  void DoClose() override;

 private:
  static void OnAsync(struct ev_loop* ev, ev_async* w, int revents);
  EvBackend& backend_;
  ev_async async_;
  std::atomic<bool> accepting_{false};
};

}  // namespace greenhub

#endif  // GREENHUB_EV_WATCHERS_H_
