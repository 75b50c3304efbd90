// idle, prepare and check: watchers that fire at a phase of every loop
// iteration (libev's ev_idle, ev_prepare, ev_check).
#ifndef GREENHUB_WATCHERS_PHASE_H_
#define GREENHUB_WATCHERS_PHASE_H_

#include "../watcher.h"

namespace greenhub {

class PhaseWatcher : public Watcher {
 public:
  PhaseWatcher(Loop& loop, Kind kind) : Watcher(loop, kind) {}

 protected:
  void Fire() { Emit(kind() == Kind::kIdle ? kIdle : kind() == Kind::kPrepare ? kPrepare : kCheck); }
};

}  // namespace greenhub

#endif  // GREENHUB_WATCHERS_PHASE_H_
