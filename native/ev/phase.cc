#include "watchers.h"

namespace greenhub {

template <typename W>
void EvPhase::OnFire(struct ev_loop*, W* w, int) {
  static_cast<EvPhase*>(w->data)->Fire();
}

EvPhase::EvPhase(Loop& loop, EvBackend& backend, Kind kind) : PhaseWatcher(loop, kind), backend_(backend) {
  switch (kind) {
    case Kind::kIdle: ev_idle_init(&w_.idle, OnFire<ev_idle>); break;
    case Kind::kPrepare: ev_prepare_init(&w_.prepare, OnFire<ev_prepare>); break;
    default: ev_check_init(&w_.check, OnFire<ev_check>); break;
  }
  w_.base.data = this;
}

int EvPhase::DoStart() {
  struct ev_loop* ev = backend_.ev();
  ev_set_priority(&w_.base, priority());
  switch (kind()) {
    case Kind::kIdle: ev_idle_start(ev, &w_.idle); break;
    case Kind::kPrepare: ev_prepare_start(ev, &w_.prepare); break;
    default: ev_check_start(ev, &w_.check); break;
  }
  backend_.EvStarted(ref());
  backend_.Activated(ref());
  backend_.PhaseStarted(kind() == Kind::kIdle);
  return 0;
}

void EvPhase::DoStop() {
  struct ev_loop* ev = backend_.ev();
  backend_.EvStopping(&w_.base, ref());
  switch (kind()) {
    case Kind::kIdle: ev_idle_stop(ev, &w_.idle); break;
    case Kind::kPrepare: ev_prepare_stop(ev, &w_.prepare); break;
    default: ev_check_stop(ev, &w_.check); break;
  }
  backend_.Deactivated(ref());
  backend_.PhaseStopped(kind() == Kind::kIdle);
}

void EvPhase::DoRef(bool ref) {
  if (active()) backend_.RefChanged(&w_.base, ref);
}

void EvPhase::DoClose() { Closed(); }

}  // namespace greenhub
