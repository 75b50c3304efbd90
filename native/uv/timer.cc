#include <cmath>

#include "../loop.h"
#include "watchers.h"

namespace greenhub {

namespace {

// libuv counts whole milliseconds; round up so a timer never fires early.
uint64_t Milliseconds(double seconds) {
  if (seconds <= 0) return 0;
  double ms = std::ceil(seconds * 1000);
  return ms >= 9e15 ? static_cast<uint64_t>(9e15) : static_cast<uint64_t>(ms);
}

}  // namespace

UvTimer::UvTimer(Loop& loop, double after, double repeat) : TimerWatcher(loop, after, repeat) {
  uv_timer_init(loop.uv(), &handle_);  // cannot fail
  handle_.data = this;
}

void UvTimer::OnTimer(uv_timer_t* handle) {
  auto* self = static_cast<UvTimer*>(handle->data);
  if (self->repeat_ > 0) {
    self->Emit(kTimer);
  } else {
    self->EmitAndStop(kTimer);
  }
}

// Timers count from the moment they start, not from the loop's cached time:
// after long synchronous JS the cached time is stale and the timer would
// fire early. Reading the clock costs ~20 ns.
int UvTimer::DoStart() {
  uv_update_time(loop().uv());
  return uv_timer_start(&handle_, OnTimer, Milliseconds(after_), Milliseconds(repeat_));
}

int UvTimer::DoAgain() {
  uv_update_time(loop().uv());
  return uv_timer_start(&handle_, OnTimer, Milliseconds(repeat_), Milliseconds(repeat_));
}

void UvTimer::DoStop() { uv_timer_stop(&handle_); }

double UvTimer::Remaining() const { return static_cast<double>(uv_timer_get_due_in(&handle_)) / 1000; }

void UvTimer::DoRef(bool ref) {
  if (ref) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&handle_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&handle_));
  }
}

void UvTimer::DoClose() {
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_),
           [](uv_handle_t* handle) { static_cast<UvTimer*>(handle->data)->Closed(); });
}

}  // namespace greenhub
