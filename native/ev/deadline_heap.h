// The ev backend's active timers by deadline: a binary min-heap whose nodes
// live inside the timers and know their own index, so that starting,
// restarting and stopping a timer cost O(log n) and no allocation. Each slot
// keeps its deadline next to the node pointer, so that sifting compares
// without touching the timers' memory (libev's ANHE does the same). libev
// keeps such a heap too, but has no public way to read its top.
#ifndef GREENHUB_EV_DEADLINE_HEAP_H_
#define GREENHUB_EV_DEADLINE_HEAP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace greenhub {

class DeadlineHeap {
 public:
  struct Node {
    size_t index = kAbsent;
  };
  static constexpr size_t kAbsent = SIZE_MAX;

  // Inserts `node` with deadline `due`, or moves it there.
  void Set(Node* node, double due);
  void Remove(Node* node);
  // The earliest deadline; +infinity when empty.
  double Earliest() const;

 private:
  struct Slot {
    double due;
    Node* node;
  };
  void Place(size_t index, const Slot& slot);
  void SiftUp(size_t index, Slot slot);
  void SiftDown(size_t index, Slot slot);

  std::vector<Slot> heap_;
};

}  // namespace greenhub

#endif  // GREENHUB_EV_DEADLINE_HEAP_H_
