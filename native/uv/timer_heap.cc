#include "timer_heap.h"

#include <algorithm>

#include "watchers.h"

namespace greenhub {

void TimerHeap::Init(uv_loop_t* uv) {
  uv_ = uv;
  uv_timer_init(uv, &handle_);  // cannot fail
  handle_.data = this;
}

void TimerHeap::Place(size_t i, const Entry& entry) {
  heap_[i] = entry;
  entry.timer->heap_index_ = i;
}

void TimerHeap::SiftUp(size_t i) {
  Entry entry = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 4;
    if (!Before(entry, heap_[parent])) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, entry);
}

void TimerHeap::SiftDown(size_t i) {
  Entry entry = heap_[i];
  size_t size = heap_.size();
  for (;;) {
    size_t first = 4 * i + 1;
    if (first >= size) break;
    size_t best = first;
    for (size_t child = first + 1; child < std::min(first + 4, size); child++) {
      if (Before(heap_[child], heap_[best])) best = child;
    }
    if (!Before(heap_[best], entry)) break;
    Place(i, heap_[best]);
    i = best;
  }
  Place(i, entry);
}

void TimerHeap::Schedule(UvTimer* timer, uint64_t due) {
  size_t i = timer->heap_index_;
  if (i == UvTimer::kNotScheduled) {
    heap_.push_back({due, next_seq_++, timer});
    if (timer->ref()) refs_++;
    SiftUp(heap_.size() - 1);
  } else {
    // A move counts as a new start: it goes after equal deadlines.
    Entry& entry = heap_[i];
    bool earlier = due < entry.due;
    entry.due = due;
    entry.seq = next_seq_++;
    if (earlier) {
      SiftUp(i);
    } else {
      SiftDown(i);
    }
  }
  Rearm();
}

void TimerHeap::RemoveAt(size_t i) {
  UvTimer* timer = heap_[i].timer;
  timer->heap_index_ = UvTimer::kNotScheduled;
  if (timer->ref()) refs_--;
  Entry last = heap_.back();
  heap_.pop_back();
  size_t size = heap_.size();
  if (i >= size) return;
  if (i > 0 && Before(last, heap_[(i - 1) / 4])) {
    Place(i, last);
    SiftUp(i);
    return;
  }
  // The last entry is most often among the latest: rather than compare it
  // at every level on the way down, move the hole down along the earliest
  // children to a leaf, put it there and let it rise (Floyd's method).
  for (;;) {
    size_t first = 4 * i + 1;
    if (first >= size) break;
    size_t best = first;
    for (size_t child = first + 1; child < std::min(first + 4, size); child++) {
      if (Before(heap_[child], heap_[best])) best = child;
    }
    Place(i, heap_[best]);
    i = best;
  }
  Place(i, last);
  SiftUp(i);
}

void TimerHeap::Remove(UvTimer* timer) {
  if (timer->heap_index_ == UvTimer::kNotScheduled) return;
  RemoveAt(timer->heap_index_);
  Rearm();
}

void TimerHeap::Ref(bool ref) {
  refs_ += ref ? 1 : -1;
  Rearm();
}

uint64_t TimerHeap::DueIn(const UvTimer* timer) const {
  if (timer->heap_index_ == UvTimer::kNotScheduled) return 0;
  uint64_t due = heap_[timer->heap_index_].due;
  uint64_t now = uv_now(uv_);
  return due > now ? due - now : 0;
}

void TimerHeap::Rearm() {
  if (firing_) return;
  // Only an earlier deadline moves the uv timer. A later one, or none left,
  // is served by the wake-up at the armed time, which finds nothing due and
  // arms again: so a start and stop of a timeout costs libuv nothing.
  if (!heap_.empty() && heap_[0].due < armed_due_) {
    uint64_t due = heap_[0].due;
    uint64_t now = uv_now(uv_);
    // Cannot fail: the handle is open and the callback set.
    uv_timer_start(
        &handle_, [](uv_timer_t* h) { static_cast<TimerHeap*>(h->data)->OnFire(); }, due > now ? due - now : 0, 0);
    armed_due_ = due;
  }
  // Only ref'd timers keep the loop alive, not a wake-up left armed.
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&handle_);
  if (refs_ > 0) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
}

void TimerHeap::OnFire() {
  armed_due_ = UINT64_MAX;
  uint64_t now = uv_now(uv_);
  // Emitting runs no JS, so nothing else touches the heap meanwhile.
  firing_ = true;
  while (!heap_.empty() && heap_[0].due <= now) {
    UvTimer* timer = heap_[0].timer;
    uint64_t repeat = timer->RepeatMs();
    if (repeat > 0) {
      // As libuv repeats: the next deadline counts from now, not from the
      // one missed.
      Schedule(timer, now + repeat);
      timer->Fire(false);
    } else {
      RemoveAt(0);
      timer->Fire(true);
    }
  }
  firing_ = false;
  Rearm();
}

void TimerHeap::Close(std::function<void()> done) {
  on_closed_ = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), [](uv_handle_t* h) {
    auto* self = static_cast<TimerHeap*>(h->data);
    auto closed = std::move(self->on_closed_);
    self->on_closed_ = nullptr;
    closed();
  });
}

}  // namespace greenhub
