// periodic: a wall-clock schedule (libev's ev_periodic). With interval > 0 it
// fires at offset + k * interval of real time; with interval 0 once at the
// absolute time `offset`; in manual mode JS sets each next time (the
// `reschedule` callback's answer). Clock jumps re-arm it.
#ifndef GREENHUB_WATCHERS_PERIODIC_H_
#define GREENHUB_WATCHERS_PERIODIC_H_

#include "../watcher.h"

namespace greenhub {

// The next firing time strictly after `now` for a schedule of
// offset + k * interval (interval > 0), or `offset` itself when interval is 0.
double PeriodicNext(double offset, double interval, double now);

// Wall-clock time in seconds since the epoch.
double WallClockNow();

class PeriodicWatcher : public Watcher {
 public:
  PeriodicWatcher(Loop& loop, double offset, double interval, bool manual)
      : Watcher(loop, Kind::kPeriodic), offset_(offset), interval_(interval), manual_(manual) {}

  double offset() const { return offset_; }
  double interval() const { return interval_; }
  bool manual() const { return manual_; }
  // Only while inactive (the binding checks).
  void Set(double offset, double interval, bool manual) {
    offset_ = offset;
    interval_ = interval;
    manual_ = manual;
  }
  // The absolute time of the next firing (wall clock seconds).
  double at() const { return at_; }
  // Manual mode: the next firing time, decided by JS after each event and
  // before the first start.
  virtual int SetAt(double at) = 0;

 protected:
  double offset_;
  double interval_;
  bool manual_;
  double at_ = 0;
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHERS_PERIODIC_H_
