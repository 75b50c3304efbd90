#include "backend.h"

#include "uv/uv_backend.h"
#ifdef GREENHUB_HAVE_LIBEV
#include "ev/ev_backend.h"
#endif

namespace greenhub {

std::unique_ptr<Backend> MakeBackend(const std::string& name, Loop& loop, std::string* error) {
  if (name == "uv") {
    auto backend = std::make_unique<UvBackend>(loop);
    int err = backend->Init();
    if (err != 0) {
      *error = std::string("cannot start the uv backend: ") + uv_strerror(err);
      return nullptr;
    }
    return backend;
  }
  if (name == "ev") {
#ifdef GREENHUB_HAVE_LIBEV
    auto backend = std::make_unique<EvBackend>(loop);
    int err = backend->Init();
    if (err != 0) {
      *error = std::string("cannot start the ev backend: ") + uv_strerror(err);
      return nullptr;
    }
    return backend;
#else
    *error =
        "the ev backend was not built: libev's header ev.h was not found. Install Debian's libev-dev "
        "(apt-get install libev-dev) and run npm rebuild";
    return nullptr;
#endif
  }
  *error = "unknown backend \"" + name + "\": use \"uv\" or \"ev\"";
  return nullptr;
}

}  // namespace greenhub
