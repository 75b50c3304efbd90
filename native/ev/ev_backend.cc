#include "ev_backend.h"

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

#include "../loop.h"
#include "libev_private.h"
#include "watchers.h"

namespace greenhub {

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();
// The clock timer's period: long enough never to matter, short enough that
// `span - remaining` keeps sub-nanosecond precision in a double.
constexpr double kClockSpan = 1e6;
// libev iterations per Node turn while JS keeps changing fds after libev's
// last reify; past this, Node's loop polls without blocking and we go again.
constexpr int kMaxRunsPerTurn = 4;
// Far enough for any uv_timer (about 31 years), short of uint64 overflow.
constexpr double kMaxDelayMs = 1e12;

double MonotonicSeconds() { return static_cast<double>(uv_hrtime()) / 1e9; }

std::atomic<int> libev_error_reports{0};

// libev calls this instead of abort() when a syscall it needs fails (say,
// epoll_wait on an fd someone closed). Report the first few and let libev
// carry on: a broken ev loop must not take the whole process down.
void ReportLibevError(const char* message) noexcept {
  int err = errno;
  if (libev_error_reports.fetch_add(1) < 8) {
    std::fprintf(stderr, "greenhub: ev backend: %s: %s\n", message, std::strerror(err));
  }
}

}  // namespace

EvBackend::EvBackend(Loop& loop) : loop_(loop), loop_thread_(std::this_thread::get_id()) {}

EvBackend::~EvBackend() {
  // Normally Close() destroyed the libev loop already. If the handles never
  // closed, libuv still points into this object: leaking beats freeing.
  if (ev_ != nullptr && open_handles_ == 0 && !running_) ev_loop_destroy(ev_);
}

int EvBackend::Init() {
  static std::once_flag error_handler_once;
  std::call_once(error_handler_once, [] { ev_set_syserr_cb(ReportLibevError); });
  if ((ev_supported_backends() & EVBACKEND_EPOLL) == 0) return -ENOSYS;

  // Never ev_default_loop(): it installs a SIGCHLD handler that reaps every
  // child, Node's included. NOENV: LIBEV_FLAGS must not pick another
  // backend. NOSIGMASK: leave the signal mask to Node and libuv.
  errno = 0;
  ev_ = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_NOSIGMASK);
  if (ev_ == nullptr) return errno != 0 ? -errno : -ENOMEM;
  ev_set_userdata(ev_, this);
  ev_set_invoke_pending_cb(ev_, InvokePendingThunk);

  int fd = LibevBackendFd(ev_);
  int err = fd < 0 ? fd : WatchBackendFd(fd);
  uv_loop_t* uv = loop_.uv();
  if (err == 0) {
    err = uv_async_init(uv, &async_wake_, [](uv_async_t*) {
      // Waking Node's loop is the whole job: the next prepare runs libev.
    });
    if (err != 0) {
      // This object goes away with the error: the poll handle's close
      // callback must not find it.
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnPollClosed);
      poll_ = nullptr;
    }
  }
  if (err != 0) {
    ev_loop_destroy(ev_);
    ev_ = nullptr;
    return err;
  }
  backend_fd_ = fd;

  // The remaining inits and starts cannot fail (valid handles, callbacks).
  uv_prepare_init(uv, &prepare_);
  uv_check_init(uv, &check_);
  uv_timer_init(uv, &deadline_);
  uv_idle_init(uv, &wake_);
  uv_idle_init(uv, &spin_);
  for (uv_handle_t* handle : {reinterpret_cast<uv_handle_t*>(&prepare_), reinterpret_cast<uv_handle_t*>(&check_),
                              reinterpret_cast<uv_handle_t*>(&deadline_), reinterpret_cast<uv_handle_t*>(&wake_),
                              reinterpret_cast<uv_handle_t*>(&spin_), reinterpret_cast<uv_handle_t*>(&async_wake_)}) {
    handle->data = this;
  }
  open_handles_ += 6;
  handles_init_ = true;
  uv_prepare_start(&prepare_, [](uv_prepare_t* handle) { static_cast<EvBackend*>(handle->data)->OnPrepare(); });
  uv_check_start(&check_, [](uv_check_t* handle) { static_cast<EvBackend*>(handle->data)->OnCheck(); });
  // Only check_ ever holds Node's loop open (UpdateKeepAlive); the others
  // never keep the process alive on their own.
  for (uv_handle_t* handle :
       {reinterpret_cast<uv_handle_t*>(&prepare_), reinterpret_cast<uv_handle_t*>(&check_),
        reinterpret_cast<uv_handle_t*>(&deadline_), reinterpret_cast<uv_handle_t*>(&spin_),
        reinterpret_cast<uv_handle_t*>(&async_wake_), reinterpret_cast<uv_handle_t*>(poll_)}) {
    uv_unref(handle);
  }

  ev_now_update(ev_);
  ev_timer_init(
      &clock_,
      [](struct ev_loop* ev, ev_timer*, int) { static_cast<EvBackend*>(ev_userdata(ev))->clock_base_ += kClockSpan; },
      kClockSpan, kClockSpan);
  ev_timer_start(ev_, &clock_);
  clock_base_ = MonotonicSeconds();
  ev_unref(ev_);  // internal: never keeps the loop alive
  ev_fork_init(&renewal_, [](struct ev_loop* ev, ev_fork*, int) {
    static_cast<EvBackend*>(ev_userdata(ev))->renewal_seen_ = true;
  });
  ev_fork_start(ev_, &renewal_);
  ev_unref(ev_);
  return 0;
}

int EvBackend::WatchBackendFd(int fd) {
  auto* poll = new uv_poll_t;
  int err = uv_poll_init(loop_.uv(), poll, fd);
  if (err != 0) {
    delete poll;
    return err;
  }
  poll->data = this;
  open_handles_++;
  err = uv_poll_start(poll, UV_READABLE, [](uv_poll_t* handle, int status, int) {
    auto* self = static_cast<EvBackend*>(handle->data);
    self->poll_ready_ = true;
    // libuv stops a poll handle that reports an error; look for the fd
    // again before Node's loop blocks.
    if (status < 0) self->renewal_seen_ = true;
  });
  if (err != 0) {
    poll->data = nullptr;  // Init may fail with this and free `this`
    open_handles_--;
    uv_close(reinterpret_cast<uv_handle_t*>(poll), OnPollClosed);
    return err;
  }
  if (handles_init_) uv_unref(reinterpret_cast<uv_handle_t*>(poll));
  poll_ = poll;
  return 0;
}

void EvBackend::OnPollClosed(uv_handle_t* handle) {
  auto* self = static_cast<EvBackend*>(handle->data);
  delete reinterpret_cast<uv_poll_t*>(handle);
  if (self == nullptr) return;
  self->open_handles_--;
  if (self->closing_) self->FinishClose();
}

double EvBackend::Now() const {
  if (ev_ == nullptr) return 0;
  // remaining = at - libev's cached monotonic time, and `at` was set from
  // the clock clock_base_ was read at: this is libev's cached clock.
  return clock_base_ + kClockSpan - ev_timer_remaining(ev_, const_cast<ev_timer*>(&clock_));
}

void EvBackend::UpdateNow() {
  if (ev_ != nullptr) ev_now_update(ev_);
}

std::unique_ptr<TimerWatcher> EvBackend::NewTimer(Loop& loop, double after, double repeat) {
  return std::make_unique<EvTimer>(loop, *this, after, repeat);
}

std::unique_ptr<IoWatcher> EvBackend::NewIo(Loop& loop, int fd, int events) {
  return std::make_unique<EvIo>(loop, *this, fd, events);
}

std::unique_ptr<PeriodicWatcher> EvBackend::NewPeriodic(Loop& loop, double offset, double interval, bool manual) {
  return std::make_unique<EvPeriodic>(loop, *this, offset, interval, manual);
}

std::unique_ptr<StatWatcher> EvBackend::NewStat(Loop& loop, std::string path, double interval) {
  return std::make_unique<EvStat>(loop, *this, std::move(path), interval);
}

std::unique_ptr<PhaseWatcher> EvBackend::NewPhase(Loop& loop, Kind kind) {
  return std::make_unique<EvPhase>(loop, *this, kind);
}

std::unique_ptr<AsyncWatcher> EvBackend::NewAsync(Loop& loop) { return std::make_unique<EvAsync>(loop, *this); }

// --- Driving libev from Node's loop.

void EvBackend::InvokePendingThunk(struct ev_loop* ev) { static_cast<EvBackend*>(ev_userdata(ev))->OnInvokePending(); }

// libev calls this where it would invoke its pending watchers: at the start
// of ev_run, after its prepare watchers were queued, and after its poll.
void EvBackend::OnInvokePending() {
  // ev_iteration() counts polls: unchanged means libev has not polled yet in
  // this ev_run, so it reifies fd changes right after this returns.
  bool before_poll = ev_iteration(ev_) == run_iteration_;
  // Events from libuv's side (signal, child) go first, in their own batch,
  // so that each batch JS sees is in libev's priority order.
  loop_.Flush(false);
  ev_invoke_pending(ev_);  // the C callbacks only append to the ring
  loop_.Flush(false);      // one JS entry for this libev phase
  if (before_poll && !closing_) {
    // JS may just have closed or opened fds: check them before libev hands
    // them to epoll_ctl.
    BeforeReify();
    internal_fds_changed_ = false;
  }
}

void EvBackend::OnPrepare() {
  // Node's loop is about to poll: run one libev iteration, then again while
  // JS changed fds after libev's reify, so that Node never blocks with a
  // change libev has not applied.
  in_prepare_ = true;
  after_prepare_ = false;
  loop_.Flush(false);
  int runs = 0;
  for (; runs < kMaxRunsPerTurn && !closing_; runs++) {
    bool needed = runs == 0 ? RunNeeded() : internal_fds_changed_ || fds_.ChangesPending();
    if (!needed) break;
    RunOnce();
  }
  // A wake-up deferred to this prepare (OnWake) gets its JS turn now, after
  // libev's events; UpdateSpin and ArmDeadline below see what JS changed.
  if (wake_deferred_ && !closing_) loop_.Flush(true);
  in_prepare_ = false;
  if (closing_) return;
  UpdateSpin(internal_fds_changed_ || fds_.ChangesPending());
  ArmDeadline();
  after_prepare_ = true;
}

void EvBackend::OnCheck() {
  // Node polled. libev's clock moves on here, as libuv's does right after
  // its poll, so that JS running in Node's check and timers phases sees the
  // time after the wait (libev itself only reads the clock inside ev_run).
  // Then what libuv's watchers (signal, child) reported goes to JS, as on
  // the uv backend.
  after_prepare_ = false;
  ev_now_update(ev_);
  loop_.Flush(false);
}

// Whether libev has anything to do this turn. Skipping ev_run when it has
// not keeps the ev backend free while its watchers wait: every reason libev
// could have an event is noted as it happens.
bool EvBackend::RunNeeded() const {
  return poll_ready_                     // an fd in libev's epoll set is ready
         || deadline_due_                // a libev timer, periodic or stat poll is due
         || phases_ > 0                  // prepare, check and idle fire every iteration
         || async_noted_.load(std::memory_order_acquire)  // ev_async_send() left a note
         || internal_fds_changed_ || fds_.ChangesPending() || fds_.AlwaysReadyWatched() || renewal_seen_ ||
         ev_pending_count(ev_) > 0;
}

void EvBackend::RunOnce() {
  BeforeReify();
  if (closing_) return;
  internal_fds_changed_ = false;
  poll_ready_ = false;
  deadline_due_ = false;
  async_noted_.store(false, std::memory_order_release);
  run_iteration_ = ev_iteration(ev_);
  running_ = true;
  ev_run(ev_, EVRUN_NOWAIT);
  running_ = false;
  if (renewal_seen_ && !closing_) RenewBackendFd();
}

void EvBackend::BeforeReify() {
  if (fds_.ChangesPending() && !broken_ && fcntl(backend_fd_, F_GETFD) == -1) {
    // Someone closed libev's epoll fd: libev would assert on the next
    // epoll_ctl. Stop every io watcher instead.
    Broken("its epoll fd was closed by someone else");
    return;
  }
  fds_.BeforeReify();
}

void EvBackend::RenewBackendFd() {
  // libev recreates its epoll set when epoll reported an fd it no longer
  // knows (a closed fd whose file lives on in a dup or a child): Node's
  // loop must poll the new fd.
  renewal_seen_ = false;
  if (broken_) return;
  int fd = LibevBackendFd(ev_);
  if (fd < 0) {
    Broken("cannot find libev's new epoll fd");
    return;
  }
  if (poll_ != nullptr) {
    // Closing unregisters the old fd from libuv at once, so the new fd may
    // reuse its number.
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnPollClosed);
    poll_ = nullptr;
  }
  int err = WatchBackendFd(fd);
  if (err != 0) {
    Broken(uv_strerror(err));
    return;
  }
  backend_fd_ = fd;
}

void EvBackend::Broken(const char* why) {
  if (broken_) return;
  broken_ = true;
  std::fprintf(stderr, "greenhub: the ev loop can no longer watch fds (%s); its io watchers stop with ERROR\n", why);
  fds_.FailAll();
  if (poll_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnPollClosed);
    poll_ = nullptr;
  }
}

void EvBackend::UpdateSpin(bool keep_spinning) {
  bool spin = keep_spinning || idles_ > 0 || fds_.AlwaysReadyWatched() || ev_pending_count(ev_) > 0;
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&spin_);
  if (spin && !uv_is_active(handle)) {
    uv_idle_start(&spin_, [](uv_idle_t*) {});
  } else if (!spin && uv_is_active(handle)) {
    uv_idle_stop(&spin_);
  }
}

void EvBackend::FdsChanged() {
  // Our prepare ran and Node's loop may poll before the next one: keep it
  // from blocking so that libev applies the change first.
  if (after_prepare_ && !closing_) UpdateSpin(true);
}

void EvBackend::InternalFdsMayChange() {
  internal_fds_changed_ = true;
  FdsChanged();
}

void EvBackend::PhaseStarted(bool idle) {
  phases_++;
  if (!idle) return;
  idles_++;
  if (!closing_) UpdateSpin(true);
}

void EvBackend::PhaseStopped(bool idle) {
  phases_--;
  if (idle) idles_--;
}

void EvBackend::AsyncSent() {
  // ev_async_send() only writes libev's eventfd while libev is blocked in
  // its own poll, which never happens here: otherwise it leaves a note that
  // the next ev_run reads. Make sure that run comes before Node sleeps.
  async_noted_.store(true, std::memory_order_release);
  if (std::this_thread::get_id() != loop_thread_) {
    uv_async_send(&async_wake_);  // thread-safe; wakes Node's poll
  } else if (after_prepare_ && !closing_) {
    UpdateSpin(true);  // this thread, after our prepare: Node must not block
  }
  // Else this thread before our prepare: it runs libev anyway.
}

// --- Deadlines.

void EvBackend::TimerScheduled(EvTimer* timer) {
  // Both remainings count from libev's cached clock, so their difference is
  // exactly at(timer) - at(clock_): the deadline in Now()'s clock, however
  // stale the cache is.
  double due = clock_base_ + kClockSpan + timer->RemainingNow() - ev_timer_remaining(ev_, &clock_);
  timers_.Set(&timer->deadline, due);
  ArmIfEarlier(due);
}

void EvBackend::TimerUnscheduled(EvTimer* timer) { timers_.Remove(&timer->deadline); }

void EvBackend::AddDeadlineSource(EvDeadlineSource* source) {
  if (std::find(sources_.begin(), sources_.end(), source) == sources_.end()) sources_.push_back(source);
  DeadlineMayBeEarlier(source);
}

void EvBackend::RemoveDeadlineSource(EvDeadlineSource* source) {
  sources_.erase(std::remove(sources_.begin(), sources_.end(), source), sources_.end());
}

void EvBackend::DeadlineMayBeEarlier(EvDeadlineSource* source) {
  double seconds = source->SecondsUntilDue();
  if (seconds != kNever) ArmIfEarlier(MonotonicSeconds() + seconds);
}

void EvBackend::ArmDeadline() {
  double now = MonotonicSeconds();
  double due = timers_.Earliest();
  for (EvDeadlineSource* source : sources_) due = std::min(due, now + source->SecondsUntilDue());
  due = std::min(due, now + ev_timer_remaining(ev_, &clock_));
  if (due == kNever) {
    uv_timer_stop(&deadline_);
    armed_ = -1;
    return;
  }
  // Periodic and clock deadlines are recomputed from clocks each time: a
  // sub-millisecond drift is no reason to re-arm.
  if (armed_ >= 0 && std::fabs(due - armed_) < 1e-3 && uv_is_active(reinterpret_cast<uv_handle_t*>(&deadline_))) {
    return;
  }
  armed_ = -1;
  ArmIfEarlier(due);
}

void EvBackend::ArmIfEarlier(double due) {
  if (!handles_init_ || closing_) return;
  if (armed_ >= 0 && due >= armed_ && uv_is_active(reinterpret_cast<uv_handle_t*>(&deadline_))) return;
  // Whole milliseconds, rounded up: Node wakes at or after libev's deadline,
  // never before it (an early wake would only cost a turn, a late one is
  // what libev's own poll rounding does too).
  double delay_ms = std::ceil((due - MonotonicSeconds()) * 1000);
  if (!(delay_ms > 0)) delay_ms = 0;
  if (delay_ms > kMaxDelayMs) delay_ms = kMaxDelayMs;
  int err = uv_timer_start(
      &deadline_,
      [](uv_timer_t* handle) {
        // Node woke for a libev deadline: the next prepare runs libev.
        auto* self = static_cast<EvBackend*>(handle->data);
        self->armed_ = -1;
        self->deadline_due_ = true;
      },
      static_cast<uint64_t>(delay_ms), 0);
  armed_ = err == 0 ? due : -1;
}

// --- Reference counts.

void EvBackend::EvStarted(bool ref) {
  if (!ref) ev_unref(ev_);
}

void EvBackend::EvStopping(const void* w, bool ref) {
  if (!ref && ev_is_active(w)) ev_ref(ev_);
}

void EvBackend::EvStoppedItself(bool ref) {
  // libev's ev_*_stop already dropped the loop's count once more.
  if (!ref) ev_ref(ev_);
}

void EvBackend::Activated(bool ref) {
  if (ref && keepalive_++ == 0) UpdateKeepAlive();
}

void EvBackend::Deactivated(bool ref) {
  if (ref && --keepalive_ == 0) UpdateKeepAlive();
}

void EvBackend::RefChanged(const void* w, bool ref) {
  if (ev_is_active(w)) {
    if (ref) {
      ev_ref(ev_);
    } else {
      ev_unref(ev_);
    }
  }
  keepalive_ += ref ? 1 : -1;
  UpdateKeepAlive();
}

void EvBackend::UpdateKeepAlive() {
  if (!handles_init_ || closing_) return;
  if (keepalive_ > 0) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&check_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
  }
}

// --- Wake and close.

void EvBackend::Wake() {
  if (!handles_init_ || closing_) return;
  uv_idle_start(&wake_, [](uv_idle_t* handle) { static_cast<EvBackend*>(handle->data)->OnWake(); });
}

// JS asked for a turn (queued greenlets, or a drain the switch interval cut
// short). When libev has events due, that turn waits for the coming
// prepare's libev run, so the events (a due timer) come first rather than
// behind another whole drain. The idle handle stays active meanwhile: Node
// does not block in poll.
void EvBackend::OnWake() {
  if (RunNeeded()) {
    wake_deferred_ = true;
    return;
  }
  loop_.Flush(true);
}

void EvBackend::Unwake() {
  wake_deferred_ = false;
  if (!handles_init_ || closing_) return;
  uv_idle_stop(&wake_);
}

void EvBackend::OnHandleClosed(uv_handle_t* handle) {
  auto* self = static_cast<EvBackend*>(handle->data);
  self->open_handles_--;
  self->FinishClose();
}

void EvBackend::Close(std::function<void()> done) {
  on_closed_ = std::move(done);
  closing_ = true;
  if (ev_ != nullptr) {
    // The internal watchers are unref'd: ref before stopping (libev's dance).
    ev_ref(ev_);
    ev_timer_stop(ev_, &clock_);
    ev_ref(ev_);
    ev_fork_stop(ev_, &renewal_);
  }
  if (handles_init_) {
    for (uv_handle_t* handle :
         {reinterpret_cast<uv_handle_t*>(&prepare_), reinterpret_cast<uv_handle_t*>(&check_),
          reinterpret_cast<uv_handle_t*>(&deadline_), reinterpret_cast<uv_handle_t*>(&wake_),
          reinterpret_cast<uv_handle_t*>(&spin_), reinterpret_cast<uv_handle_t*>(&async_wake_)}) {
      uv_close(handle, OnHandleClosed);
    }
  }
  if (poll_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnPollClosed);
    poll_ = nullptr;
  }
  FinishClose();
}

void EvBackend::FinishClose() {
  // Close callbacks run from libuv's closing phase, never inside ev_run:
  // destroying the libev loop here is safe.
  if (open_handles_ > 0 || running_) return;
  if (ev_ != nullptr) {
    ev_loop_destroy(ev_);
    ev_ = nullptr;
  }
  fds_.CloseProbe();
  if (on_closed_) {
    auto done = std::move(on_closed_);
    on_closed_ = nullptr;
    done();
  }
}

}  // namespace greenhub
