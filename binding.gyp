{
  "variables": {
    "have_libev%": "<!(sh scripts/have-libev.sh)",
    "sanitize%": "<!(echo ${GREENHUB_SANITIZE:-})"
  },
  "targets": [
    {
      "target_name": "greenhub",
      "sources": [
        "native/addon.cc",
        "native/backend.cc",
        "native/errors.cc",
        "native/loop.cc",
        "native/monitor/watchdog.cc",
        "native/watcher.cc",
        "native/watchers/async.cc",
        "native/watchers/child.cc",
        "native/watchers/io.cc",
        "native/watchers/periodic.cc",
        "native/watchers/phase.cc",
        "native/watchers/signal.cc",
        "native/watchers/stat.cc",
        "native/watchers/timer.cc",
        "native/uv/async.cc",
        "native/uv/fd_poller.cc",
        "native/uv/io.cc",
        "native/uv/periodic.cc",
        "native/uv/phase.cc",
        "native/uv/stat.cc",
        "native/uv/timer.cc",
        "native/uv/timer_heap.cc",
        "native/uv/uv_backend.cc",
        "native/syscalls/address.cc",
        "native/syscalls/fd.cc",
        "native/syscalls/socket.cc",
        "native/syscalls/span.cc",
        "native/watchers/fd.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "conditions": [
        ["have_libev==1", {
          "defines": ["GREENHUB_HAVE_LIBEV"],
          "libraries": ["-lev"],
          "sources": [
            "native/ev/async.cc",
            "native/ev/deadline_heap.cc",
            "native/ev/ev_backend.cc",
            "native/ev/fd_interest.cc",
            "native/ev/io.cc",
            "native/ev/libev_private.cc",
            "native/ev/periodic.cc",
            "native/ev/phase.cc",
            "native/ev/stat.cc",
            "native/ev/timer.cc"
          ]
        }],
        ["sanitize=='address'", {
          "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
          "ldflags": ["-fsanitize=address"]
        }]
      ]
    }
  ]
}
