#include "../loop.h"
#include "watchers.h"

namespace greenhub {

int UvAsync::DoStart() {
  if (!init_) {
    int err = uv_async_init(loop().uv(), &handle_, [](uv_async_t* handle) {
      auto* self = static_cast<UvAsync*>(handle->data);
      if (self->active()) self->Emit(kAsync);
    });
    if (err != 0) return err;
    handle_.data = this;
    init_ = true;
  }
  accepting_.store(true);
  DoRef(ref());
  return 0;
}

void UvAsync::DoStop() {
  // A uv_async_t cannot stop; an inactive watcher drops sends and stops
  // holding the loop.
  accepting_.store(false);
  uv_unref(reinterpret_cast<uv_handle_t*>(&handle_));
}

void UvAsync::DoRef(bool ref) {
  if (!init_) return;
  if (ref && accepting_.load()) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&handle_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&handle_));
  }
}

void UvAsync::Send() {
  if (accepting_.load()) uv_async_send(&handle_);
}

void UvAsync::DoClose() {
  Unregister();
  accepting_.store(false);
  if (!init_) {
    Closed();
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_),
           [](uv_handle_t* handle) { static_cast<UvAsync*>(handle->data)->Closed(); });
}

}  // namespace greenhub
