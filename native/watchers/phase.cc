#include "phase.h"

#include "../binding.h"

namespace greenhub {

namespace {

template <Kind kKind>
Napi::Value PhaseInit(const Napi::CallbackInfo& info) {
  Loop* loop = LoopOf(info);
  if (loop == nullptr) return Napi::Value();
  return NewWatcherId(info.Env(), loop, loop->backend().NewPhase(*loop, kKind));
}

}  // namespace

void BindPhase(Napi::Object target, Loop* loop) {
  SetFunction(target, "idleInit", PhaseInit<Kind::kIdle>, loop);
  SetFunction(target, "prepareInit", PhaseInit<Kind::kPrepare>, loop);
  SetFunction(target, "checkInit", PhaseInit<Kind::kCheck>, loop);
}

}  // namespace greenhub
