#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include "../loop.h"
#include "watchers.h"

namespace greenhub {

// A timerfd on CLOCK_REALTIME with TFD_TIMER_CANCEL_ON_SET: it fires at
// wall-clock times, and a read fails with ECANCELED when the clock jumps, so
// the schedule is computed again from the new time.

UvPeriodic::UvPeriodic(Loop& loop, double offset, double interval, bool manual)
    : PeriodicWatcher(loop, offset, interval, manual) {
  poll_.data = this;
}

namespace {

// Beyond what the kernel's timers count (year 2262) and far inside time_t:
// the timer saturates there and in effect never fires.
constexpr double kLatestAt = 1e17;

}  // namespace

int UvPeriodic::Arm() {
  struct itimerspec spec = {};
  double at = at_ > 0 ? at_ : 1e-9;  // an all-zero time would disarm
  if (!(at <= kLatestAt)) at = kLatestAt;  // also +Infinity
  spec.it_value.tv_sec = static_cast<time_t>(std::floor(at));
  spec.it_value.tv_nsec = static_cast<long>((at - std::floor(at)) * 1e9);
  if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  if (timerfd_settime(tfd_, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, nullptr) != 0) return -errno;
  return 0;
}

int UvPeriodic::DoStart() {
  if (tfd_ < 0) {
    tfd_ = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd_ < 0) return -errno;
    int err = uv_poll_init(loop().uv(), &poll_, tfd_);
    if (err != 0) {
      close(tfd_);
      tfd_ = -1;
      return err;
    }
    poll_init_ = true;
  }
  if (!manual_) at_ = interval_ > 0 ? PeriodicNext(offset_, interval_, WallClockNow()) : offset_;
  int err = Arm();
  if (err != 0) return err;
  err = uv_poll_start(&poll_, UV_READABLE,
                      [](uv_poll_t* handle, int, int) { static_cast<UvPeriodic*>(handle->data)->OnReady(); });
  if (err != 0) return err;
  DoRef(ref());
  return 0;
}

void UvPeriodic::OnReady() {
  if (!active()) return;
  uint64_t expirations;
  ssize_t n = read(tfd_, &expirations, sizeof expirations);
  if (n < 0 && errno == ECANCELED) {
    // The wall clock jumped: place the schedule on the new time.
    if (!manual_ && interval_ > 0) at_ = PeriodicNext(offset_, interval_, WallClockNow());
    if (Arm() != 0) Fail();
    return;
  }
  if (n != sizeof expirations) return;  // spurious wake-up
  if (manual_) {
    // JS answers with the next time (SetAt) before running the callback.
    Emit(kPeriodic);
  } else if (interval_ > 0) {
    at_ = PeriodicNext(offset_, interval_, std::fmax(WallClockNow(), at_));
    if (Arm() != 0) return Fail();
    Emit(kPeriodic);
  } else {
    uv_poll_stop(&poll_);  // always 0
    EmitAndStop(kPeriodic);
  }
}

void UvPeriodic::Fail() {
  // The timerfd refused the next time (Arm() keeps times within what it
  // takes, so this is not expected): stop rather than stay silently active.
  uv_poll_stop(&poll_);  // always 0
  EmitAndStop(kPeriodic | kError);
}

int UvPeriodic::SetAt(double at) {
  at_ = at;
  return active() ? Arm() : 0;
}

void UvPeriodic::DoStop() {
  // Disarming can only fail for a bad fd; an armed timerfd left behind would
  // be harmless anyway, as OnReady ignores an inactive watcher.
  struct itimerspec disarm = {};
  (void)timerfd_settime(tfd_, 0, &disarm, nullptr);
  uv_poll_stop(&poll_);  // always 0
}

void UvPeriodic::DoRef(bool ref) {
  if (!poll_init_) return;
  if (ref) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&poll_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  }
}

void UvPeriodic::DoClose() {
  if (!poll_init_) {
    Closed();
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* handle) {
    auto* self = static_cast<UvPeriodic*>(handle->data);
    (void)close(self->tfd_);  // nothing to do about a failing close
    self->Closed();
  });
}

}  // namespace greenhub
