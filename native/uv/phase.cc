#include "../loop.h"
#include "watchers.h"

namespace greenhub {

UvPhase::UvPhase(Loop& loop, Kind kind) : PhaseWatcher(loop, kind) {
  // These inits cannot fail.
  switch (kind) {
    case Kind::kIdle: uv_idle_init(loop.uv(), &h_.idle); break;
    case Kind::kPrepare: uv_prepare_init(loop.uv(), &h_.prepare); break;
    default: uv_check_init(loop.uv(), &h_.check); break;
  }
  h_.handle.data = this;
}

int UvPhase::DoStart() {
  switch (kind()) {
    case Kind::kIdle:
      return uv_idle_start(&h_.idle, [](uv_idle_t* handle) { static_cast<UvPhase*>(handle->data)->Fire(); });
    case Kind::kPrepare:
      return uv_prepare_start(&h_.prepare, [](uv_prepare_t* handle) { static_cast<UvPhase*>(handle->data)->Fire(); });
    default:
      return uv_check_start(&h_.check, [](uv_check_t* handle) { static_cast<UvPhase*>(handle->data)->Fire(); });
  }
}

void UvPhase::DoStop() {
  switch (kind()) {
    case Kind::kIdle: uv_idle_stop(&h_.idle); break;
    case Kind::kPrepare: uv_prepare_stop(&h_.prepare); break;
    default: uv_check_stop(&h_.check); break;
  }
}

void UvPhase::DoRef(bool ref) {
  if (ref) {
    uv_ref(&h_.handle);
  } else {
    uv_unref(&h_.handle);
  }
}

void UvPhase::DoClose() {
  uv_close(&h_.handle, [](uv_handle_t* handle) { static_cast<UvPhase*>(handle->data)->Closed(); });
}

}  // namespace greenhub
