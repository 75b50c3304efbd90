#include "deadline_heap.h"

#include <limits>

namespace greenhub {

void DeadlineHeap::Place(size_t index, Node* node) {
  heap_[index] = node;
  node->index = index;
}

void DeadlineHeap::SiftUp(size_t index) {
  Node* node = heap_[index];
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (heap_[parent]->due <= node->due) break;
    Place(index, heap_[parent]);
    index = parent;
  }
  Place(index, node);
}

void DeadlineHeap::SiftDown(size_t index) {
  Node* node = heap_[index];
  size_t count = heap_.size();
  for (;;) {
    size_t child = index * 2 + 1;
    if (child >= count) break;
    if (child + 1 < count && heap_[child + 1]->due < heap_[child]->due) child++;
    if (node->due <= heap_[child]->due) break;
    Place(index, heap_[child]);
    index = child;
  }
  Place(index, node);
}

void DeadlineHeap::Set(Node* node, double due) {
  if (node->index == kAbsent) {
    node->due = due;
    heap_.push_back(node);
    node->index = heap_.size() - 1;
    SiftUp(node->index);
    return;
  }
  bool earlier = due < node->due;
  node->due = due;
  if (earlier) {
    SiftUp(node->index);
  } else {
    SiftDown(node->index);
  }
}

void DeadlineHeap::Remove(Node* node) {
  size_t index = node->index;
  if (index == kAbsent) return;
  node->index = kAbsent;
  Node* last = heap_.back();
  heap_.pop_back();
  if (last == node) return;
  Place(index, last);
  // The moved node may belong above or below its new place.
  if (index > 0 && heap_[(index - 1) / 2]->due > last->due) {
    SiftUp(index);
  } else {
    SiftDown(index);
  }
}

double DeadlineHeap::Earliest() const {
  return heap_.empty() ? std::numeric_limits<double>::infinity() : heap_.front()->due;
}

}  // namespace greenhub
