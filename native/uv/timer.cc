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

UvTimer::UvTimer(Loop& loop, TimerHeap& heap, double after, double repeat)
    : TimerWatcher(loop, after, repeat), heap_(heap) {}

uint64_t UvTimer::RepeatMs() const { return repeat_ > 0 ? Milliseconds(repeat_) : 0; }

void UvTimer::Fire(bool last) {
  if (last) {
    EmitAndStop(kTimer);
  } else {
    Emit(kTimer);
  }
}

// Timers count from the moment they start, not from the loop's cached time:
// after long synchronous JS the cached time is stale and the timer would
// fire early. Reading the clock costs ~20 ns.
int UvTimer::DoStart() {
  uv_update_time(heap_.uv());
  heap_.Schedule(this, uv_now(heap_.uv()) + Milliseconds(after_));
  return 0;
}

int UvTimer::DoAgain() {
  uv_update_time(heap_.uv());
  heap_.Schedule(this, uv_now(heap_.uv()) + Milliseconds(repeat_));
  return 0;
}

void UvTimer::DoStop() { heap_.Remove(this); }

double UvTimer::Remaining() const { return static_cast<double>(heap_.DueIn(this)) / 1000; }

void UvTimer::DoRef(bool ref) {
  if (heap_index_ != kNotScheduled) heap_.Ref(ref);
}

// No handle of its own to close: a stopped timer is out of the heap already.
void UvTimer::DoClose() { Closed(); }

}  // namespace greenhub
