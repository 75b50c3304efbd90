#include "deadline_heap.h"

#include <limits>

namespace greenhub {

void DeadlineHeap::Place(size_t index, const Slot& slot) {
  heap_[index] = slot;
  slot.node->index = index;
}

// Moves the hole at `index` up until `slot` fits there.
void DeadlineHeap::SiftUp(size_t index, Slot slot) {
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (heap_[parent].due <= slot.due) break;
    Place(index, heap_[parent]);
    index = parent;
  }
  Place(index, slot);
}

// Moves the hole at `index` down until `slot` fits there.
void DeadlineHeap::SiftDown(size_t index, Slot slot) {
  size_t count = heap_.size();
  for (;;) {
    size_t child = index * 2 + 1;
    if (child >= count) break;
    if (child + 1 < count && heap_[child + 1].due < heap_[child].due) child++;
    if (slot.due <= heap_[child].due) break;
    Place(index, heap_[child]);
    index = child;
  }
  Place(index, slot);
}

void DeadlineHeap::Set(Node* node, double due) {
  Slot slot{due, node};
  if (node->index == kAbsent) {
    heap_.push_back(slot);
    SiftUp(heap_.size() - 1, slot);
    return;
  }
  size_t index = node->index;
  if (due < heap_[index].due) {
    SiftUp(index, slot);
  } else {
    SiftDown(index, slot);
  }
}

void DeadlineHeap::Remove(Node* node) {
  size_t index = node->index;
  if (index == kAbsent) return;
  node->index = kAbsent;
  Slot last = heap_.back();
  heap_.pop_back();
  if (index == heap_.size()) return;  // it was the last slot
  // The last slot fills the hole; it may belong above or below it.
  if (index > 0 && heap_[(index - 1) / 2].due > last.due) {
    SiftUp(index, last);
  } else {
    SiftDown(index, last);
  }
}

double DeadlineHeap::Earliest() const {
  return heap_.empty() ? std::numeric_limits<double>::infinity() : heap_.front().due;
}

}  // namespace greenhub
