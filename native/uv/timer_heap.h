// The uv backend's timers: a 4-ary heap in one array, behind a single
// uv_timer armed at the earliest deadline (libev keeps its timers the same
// way). libuv's own timer heap links its nodes by pointer: removing a timer
// walks the tree from the root through handles spread over memory, which
// made stopping one of a thousand active timers cost more than the rest of
// the start/stop pair. Here a stop is a few comparisons in contiguous
// memory, and a timer needs no libuv handle of its own, so closing one is
// immediate.
#ifndef GREENHUB_UV_TIMER_HEAP_H_
#define GREENHUB_UV_TIMER_HEAP_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "../common.h"

namespace greenhub {

class UvTimer;

class TimerHeap {
 public:
  TimerHeap() = default;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;

  void Init(uv_loop_t* uv);  // cannot fail
  uv_loop_t* uv() const { return uv_; }

  // Schedules `timer` at `due` (loop time, ms), or moves it there.
  void Schedule(UvTimer* timer, uint64_t due);
  void Remove(UvTimer* timer);
  // A scheduled timer's ref changed.
  void Ref(bool ref);
  // Milliseconds until `timer` is due; 0 when overdue or not scheduled.
  uint64_t DueIn(const UvTimer* timer) const;

  void Close(std::function<void()> done);

 private:
  struct Entry {
    uint64_t due;
    uint64_t seq;  // start order: equal deadlines fire first-started first
    UvTimer* timer;
  };
  static bool Before(const Entry& a, const Entry& b) { return a.due < b.due || (a.due == b.due && a.seq < b.seq); }

  void Place(size_t i, const Entry& entry);
  void SiftUp(size_t i);
  void SiftDown(size_t i);
  void RemoveAt(size_t i);
  // Arms the uv timer no later than the earliest deadline; sets its ref.
  void Rearm();
  void OnFire();

  uv_loop_t* uv_ = nullptr;
  uv_timer_t handle_;
  std::vector<Entry> heap_;
  uint64_t next_seq_ = 0;
  uint64_t armed_due_ = UINT64_MAX;  // when handle_ fires; MAX: not armed
  int refs_ = 0;                     // scheduled timers that are ref'd
  bool firing_ = false;
  std::function<void()> on_closed_;
};

}  // namespace greenhub

#endif  // GREENHUB_UV_TIMER_HEAP_H_
