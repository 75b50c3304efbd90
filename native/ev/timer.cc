#include <algorithm>

#include "watchers.h"

namespace greenhub {

EvTimer::EvTimer(Loop& loop, EvBackend& backend, double after, double repeat)
    : TimerWatcher(loop, after, repeat), backend_(backend) {
  ev_timer_init(&timer_, OnTimer, 0., 0.);
  timer_.data = this;
}

void EvTimer::OnTimer(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<EvTimer*>(w->data);
  if (ev_is_active(w)) {
    // Repeating: libev already moved it `repeat` ahead.
    self->period_ = self->repeat_;
    self->backend_.TimerScheduled(self);
    self->Emit(kTimer);
    return;
  }
  self->backend_.EvStoppedItself(self->ref());
  self->backend_.Deactivated(self->ref());
  self->backend_.TimerUnscheduled(self);
  self->EmitAndStop(kTimer);
}

// Timers count from the moment they start, not from libev's cached time:
// after long synchronous JS that time is stale and the timer would fire
// early (node-facts §1: 50 ms fired after 10 ms without the update).
int EvTimer::DoStart() {
  struct ev_loop* ev = backend_.ev();
  ev_now_update(ev);
  ev_timer_set(&timer_, after_, repeat_);
  ev_set_priority(&timer_, priority());
  ev_timer_start(ev, &timer_);
  period_ = after_;
  backend_.EvStarted(ref());
  backend_.Activated(ref());
  backend_.TimerScheduled(this);
  return 0;
}

int EvTimer::DoAgain() {
  struct ev_loop* ev = backend_.ev();
  ev_now_update(ev);
  bool was_active = active();
  if (!was_active) ev_set_priority(&timer_, priority());
  timer_.repeat = repeat_;  // rw while active (ev.h)
  ev_timer_again(ev, &timer_);
  period_ = repeat_;
  if (!was_active) {
    backend_.EvStarted(ref());
    backend_.Activated(ref());
  }
  backend_.TimerScheduled(this);
  return 0;
}

void EvTimer::DoStop() {
  backend_.EvStopping(&timer_, ref());
  ev_timer_stop(backend_.ev(), &timer_);
  backend_.Deactivated(ref());
  backend_.TimerUnscheduled(this);
}

double EvTimer::Remaining() const {
  // at - now in floating point can come out a few ulps above the period it
  // was armed with (now + 0.02 - now = 0.020000000000436) or below 0 when
  // overdue: keep it within [0, period], as uv's whole milliseconds are.
  double remaining = ev_timer_remaining(backend_.ev(), const_cast<ev_timer*>(&timer_));
  return std::min(std::max(remaining, 0.0), period_);
}

double EvTimer::RemainingNow() { return ev_timer_remaining(backend_.ev(), &timer_); }

void EvTimer::DoRef(bool ref) {
  if (active()) backend_.RefChanged(&timer_, ref);
}

void EvTimer::DoClose() {
  backend_.TimerUnscheduled(this);
  Closed();
}

}  // namespace greenhub
