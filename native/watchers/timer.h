// timer: fires `after` seconds from the loop's cached time, then every
// `repeat` seconds while repeat > 0 (libev's ev_timer).
#ifndef GREENHUB_WATCHERS_TIMER_H_
#define GREENHUB_WATCHERS_TIMER_H_

#include "../watcher.h"

namespace greenhub {

class TimerWatcher : public Watcher {
 public:
  TimerWatcher(Loop& loop, double after, double repeat)
      : Watcher(loop, Kind::kTimer), after_(after), repeat_(repeat) {}

  double after() const { return after_; }
  double repeat() const { return repeat_; }
  // Only while inactive (the binding checks).
  void Set(double after, double repeat) {
    after_ = after;
    repeat_ = repeat;
  }

  // libev's ev_timer_again: a repeating timer (re)starts with `repeat` as its
  // timeout; a non-repeating active timer stops.
  int Again();
  // Seconds until the timer fires; 0 when it is inactive.
  virtual double Remaining() const = 0;

 protected:
  // Arms the backend timer for `repeat` from now, active or not.
  virtual int DoAgain() = 0;

  double after_;
  double repeat_;
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHERS_TIMER_H_
