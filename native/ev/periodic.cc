#include <cmath>
#include <limits>

#include "watchers.h"

namespace greenhub {

// libev's ev_periodic on its wall clock (ev_rt_now), with libev's own
// timerfd noticing clock jumps. Manual mode (a JS reschedule callback) runs
// the libev watcher in absolute mode: it fires once at the time JS gave,
// libev stops it, and JS's next SetAt() starts it again. A reschedule_cb
// cannot be used: libev asserts when one returns a time in the past, and JS
// answers only after the event reached it.

namespace {

// Far beyond any real deadline, yet ordinary for libev's heap arithmetic.
constexpr double kNeverAt = 1e17;
// Offsets up to this many times today's epoch in size leave libev's own
// schedule arithmetic an error of a few ulps of now: a few steps at most.
constexpr double kLibevSafeOffsetFactor = 4;

}  // namespace

EvPeriodic::EvPeriodic(Loop& loop, EvBackend& backend, double offset, double interval, bool manual)
    : PeriodicWatcher(loop, offset, interval, manual), backend_(backend) {
  ev_periodic_init(&periodic_, OnPeriodic, 0., 0., nullptr);
  periodic_.data = this;
}

void EvPeriodic::OnPeriodic(struct ev_loop*, ev_periodic* w, int) {
  auto* self = static_cast<EvPeriodic*>(w->data);
  if (self->manual_) {
    // libev stopped the one-shot; the watcher stays active for JS, whose
    // answer (SetAt) arms the next time before the callback runs.
    self->backend_.EvStoppedItself(self->ref());
    self->Emit(kPeriodic);
  } else if (ev_is_active(w)) {
    self->at_ = ev_periodic_at(w);
    self->Emit(kPeriodic);
  } else {
    self->backend_.EvStoppedItself(self->ref());
    self->backend_.Deactivated(self->ref());
    self->backend_.RemoveDeadlineSource(self);
    self->EmitAndStop(kPeriodic);
  }
}

int EvPeriodic::DoStart() {
  if (backend_.broken()) return -EBADF;  // its first start opens a timerfd
  struct ev_loop* ev = backend_.ev();
  ev_now_update(ev);  // the schedule is placed on the current wall clock
  if (manual_ || interval_ <= 0) {
    ev_periodic_set(&periodic_, manual_ ? at_ : offset_, 0., nullptr);
  } else if (std::fabs(offset_) <= kLibevSafeOffsetFactor * std::fabs(ev_now(ev))) {
    ev_periodic_set(&periodic_, offset_, interval_, nullptr);
  } else {
    // libev finds the next time as offset + interval * floor((now - offset)
    // / interval), then steps by interval until past now. With an offset
    // far from now (1e300) the product keeps no precision at all and the
    // stepping would not end in this century. The grid point just after
    // now, from the shared arithmetic (which always terminates), is an
    // offset on the same grid that keeps libev's arithmetic exact.
    double anchor = PeriodicNext(offset_, interval_, ev_now(ev));
    if (std::isfinite(anchor)) {
      ev_periodic_set(&periodic_, anchor, interval_, nullptr);
    } else {
      ev_periodic_set(&periodic_, kNeverAt, 0., nullptr);  // no grid point a double can hold
    }
  }
  ev_set_priority(&periodic_, priority());
  ev_periodic_start(ev, &periodic_);
  at_ = ev_periodic_at(&periodic_);
  backend_.EvStarted(ref());
  backend_.Activated(ref());
  backend_.AddDeadlineSource(this);
  backend_.InternalFdsMayChange();
  return 0;
}

int EvPeriodic::SetAt(double at) {
  at_ = at;
  if (!active()) return 0;
  struct ev_loop* ev = backend_.ev();
  if (ev_is_active(&periodic_)) {
    backend_.EvStopping(&periodic_, ref());
    ev_periodic_stop(ev, &periodic_);
  }
  ev_periodic_set(&periodic_, at, 0., nullptr);
  ev_periodic_start(ev, &periodic_);
  backend_.EvStarted(ref());
  backend_.DeadlineMayBeEarlier(this);
  return 0;
}

double EvPeriodic::SecondsUntilDue() {
  if (!ev_is_active(&periodic_)) return std::numeric_limits<double>::infinity();
  // libev compares with its wall clock; ev_time() is that clock, fresh.
  return ev_periodic_at(&periodic_) - ev_time();
}

void EvPeriodic::DoStop() {
  backend_.EvStopping(&periodic_, ref());
  ev_periodic_stop(backend_.ev(), &periodic_);
  backend_.Deactivated(ref());
  backend_.RemoveDeadlineSource(this);
}

void EvPeriodic::DoRef(bool ref) {
  if (active()) backend_.RefChanged(&periodic_, ref);
}

void EvPeriodic::DoClose() {
  backend_.RemoveDeadlineSource(this);
  Closed();
}

}  // namespace greenhub
