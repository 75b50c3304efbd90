#include "uv_backend.h"

#include "../loop.h"
#include "watchers.h"

namespace greenhub {

int UvBackend::Init() {
  uv_loop_t* uv = loop_.uv();
  int err = poller_.Init(uv);
  if (err != 0) return err;
  // prepare, check, idle and timer inits cannot fail.
  uv_prepare_init(uv, &prepare_);
  uv_check_init(uv, &check_);
  uv_idle_init(uv, &wake_);
  timers_.Init(uv);
  open_handles_ = 4;
  prepare_.data = this;
  check_.data = this;
  wake_.data = this;
  uv_prepare_start(&prepare_, [](uv_prepare_t* handle) {
    auto* self = static_cast<UvBackend*>(handle->data);
    self->loop_.Flush(false);
    self->poller_.Reify();
  });
  uv_check_start(&check_, [](uv_check_t* handle) { static_cast<UvBackend*>(handle->data)->loop_.Flush(false); });
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
  return 0;
}

double UvBackend::Now() const { return static_cast<double>(uv_now(loop_.uv())) / 1000; }

void UvBackend::UpdateNow() { uv_update_time(loop_.uv()); }

void UvBackend::Wake() {
  uv_idle_start(&wake_, [](uv_idle_t* handle) { static_cast<UvBackend*>(handle->data)->loop_.Flush(true); });
}

void UvBackend::Unwake() { uv_idle_stop(&wake_); }

std::unique_ptr<TimerWatcher> UvBackend::NewTimer(Loop& loop, double after, double repeat) {
  return std::make_unique<UvTimer>(loop, timers_, after, repeat);
}

std::unique_ptr<IoWatcher> UvBackend::NewIo(Loop& loop, int fd, int events) {
  return std::make_unique<UvIo>(loop, poller_, fd, events);
}

std::unique_ptr<PeriodicWatcher> UvBackend::NewPeriodic(Loop& loop, double offset, double interval, bool manual) {
  return std::make_unique<UvPeriodic>(loop, offset, interval, manual);
}

std::unique_ptr<StatWatcher> UvBackend::NewStat(Loop& loop, std::string path, double interval) {
  return std::make_unique<UvStat>(loop, std::move(path), interval);
}

std::unique_ptr<PhaseWatcher> UvBackend::NewPhase(Loop& loop, Kind kind) { return std::make_unique<UvPhase>(loop, kind); }

std::unique_ptr<AsyncWatcher> UvBackend::NewAsync(Loop& loop) { return std::make_unique<UvAsync>(loop); }

void UvBackend::OnHandleClosed(uv_handle_t* handle) {
  auto* self = static_cast<UvBackend*>(handle->data);
  self->open_handles_--;
  self->Closed();
}

void UvBackend::Closed() {
  if (open_handles_ == 0 && poller_closed_ && on_closed_) {
    auto done = std::move(on_closed_);
    on_closed_ = nullptr;
    done();
  }
}

void UvBackend::Close(std::function<void()> done) {
  on_closed_ = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), OnHandleClosed);
  timers_.Close([this]() {
    open_handles_--;
    Closed();
  });
  poller_.Close([this]() {
    poller_closed_ = true;
    Closed();
  });
}

}  // namespace greenhub
