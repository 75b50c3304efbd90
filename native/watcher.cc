#include "watcher.h"

#include "loop.h"

namespace greenhub {

int Watcher::Start() {
  if (active_ || closing_) return 0;
  int result = DoStart();
  if (result == 0) active_ = true;
  return result;
}

void Watcher::Stop() {
  if (!active_) return;
  DoStop();
  active_ = false;
}

void Watcher::SetRef(bool ref) {
  if (ref_ == ref) return;
  ref_ = ref;
  DoRef(ref);
}

void Watcher::SetPriority(int priority) {
  priority_ = priority;
  DoPriority(priority);
}

void Watcher::Close() {
  if (closing_) return;
  Stop();
  closing_ = true;
  DoClose();
}

void Watcher::Emit(int32_t revents) { loop_.Emit(id_, revents); }

void Watcher::EmitAndStop(int32_t revents) {
  active_ = false;
  loop_.Emit(id_, revents | kStopped);
}

void Watcher::Closed() { loop_.Release(this); }

}  // namespace greenhub
