// A Loop: the watchers of one JS Loop object, their ids, and the event ring
// that carries (watcher id, revents) pairs to JS. Watcher callbacks in C++
// only append to the ring; the backend flushes it into JS with one
// napi_make_callback per loop phase.
#ifndef GREENHUB_LOOP_H_
#define GREENHUB_LOOP_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "common.h"
#include "watcher.h"
#include "watchers/fd.h"

namespace greenhub {

class Loop {
 public:
  Loop(napi_env env, uv_loop_t* uv);
  // Only after Close() finished: the addon keeps closed loops until the
  // environment goes, so functions bound to them can still say "closed".
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Builds the backend and the JS binding object (flat functions bound to
  // this loop). Returns an empty object with a JS exception pending on error.
  Napi::Value Open(const std::string& backend, Napi::Function dispatch);

  uv_loop_t* uv() const { return uv_; }
  napi_env env() const { return env_; }
  Backend& backend() const { return *backend_; }
  bool closed() const { return closed_; }

  // Takes ownership of a new watcher and gives it an id (never 0).
  int32_t Adopt(std::unique_ptr<Watcher> watcher);
  // The watcher with this id, or nullptr when there is none.
  Watcher* Get(int32_t id) const;
  // Frees a watcher whose resources are released.
  void Release(Watcher* watcher);

  int32_t* state() const { return state_; }
  // The byte a fd watcher shares with JS (see watchers/fd.h).
  uint8_t& fd_state(int32_t id) { return fd_state_[id]; }
  EdgePoller& edge_poller() { return edge_poller_; }

  // Appends an event; never call while JS is on the stack.
  void Emit(int32_t id, int32_t revents);
  // Calls JS's dispatch when events are waiting (or always, with `force`).
  void Flush(bool force);

  // Closes every watcher and the backend's handles; `done` runs when all are
  // closed. Safe to call twice (the second `done` runs after the first).
  void Close(std::function<void()> done);

 private:
  // Doubles the ring; false when JS memory could not be had.
  bool Grow();
  void GrowFdState(size_t needed);
  void MaybeFinishClose();
  void ReleaseReferences();

  napi_env env_;
  uv_loop_t* uv_;
  std::unique_ptr<Backend> backend_;
  std::vector<std::unique_ptr<Watcher>> watchers_;
  std::vector<int32_t> free_ids_;
  size_t live_watchers_ = 0;

  napi_ref receiver_ = nullptr;
  napi_ref dispatch_ = nullptr;
  napi_ref ring_ref_ = nullptr;
  napi_async_context async_context_ = nullptr;
  int32_t* ring_ = nullptr;    // pairs of (id, revents)
  size_t ring_capacity_ = 0;   // in events
  int32_t* state_ = nullptr;   // see StateSlot
  napi_ref state_ref_ = nullptr;
  uint8_t* fd_state_ = nullptr;
  size_t fd_state_capacity_ = 0;
  napi_ref fd_state_ref_ = nullptr;
  EdgePoller edge_poller_{*this};
  bool edge_poller_closed_ = false;
  bool flushing_ = false;

  bool closed_ = false;
  bool backend_closed_ = false;
  bool finished_ = false;
  std::vector<std::function<void()>> close_waiters_;
};

}  // namespace greenhub

#endif  // GREENHUB_LOOP_H_
