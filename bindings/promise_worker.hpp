// Async calls: PromiseWorker runs the work on the libuv pool and settles a promise on the main
// thread with the coded error of convert.hpp; run_async queues one.
#pragma once
#include <napi.h>

#include <functional>
#include <string>
#include <utility>

#include "../native/common/error.hpp"
#include "convert.hpp"

namespace etb {

// Runs `work` on the libuv pool and settles a promise with `done(env)` on the main thread.
// `work` may throw et::Error or std::exception; the promise is then rejected with the coded
// JS error. `work` must read only memory the worker owns (see OwnedBytes): the caller's arrays
// may be detached, shrunk or collected while it runs. `done` may throw a Napi::Error (a coded
// error such as an output array that was detached meanwhile): the promise is rejected with it.
//
// Completion never throws out of OnOK/OnError. When the environment is going away (worker.terminate()
// or process.exit() while the work ran), Node still runs the completion during teardown but JS
// can no longer run: building the result or settling the promise then fails, and an exception
// escaping here would reach node-addon-api's callback wrapper, fail to be thrown into JS and
// end in std::terminate (the whole process dies). The result is dropped quietly instead. An env
// cleanup hook would not help: Node drains pending completions before it runs those hooks.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  PromiseWorker(Napi::Env env, Work work, Done done)
      : Napi::AsyncWorker(env, "emotionthinker"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), done_(std::move(done)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_();
    } catch (...) {
      CodedError c = coded_error(std::current_exception());
      code_ = c.code;
      SetError(c.message);
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      Napi::Value result = done_(env);
      deferred_.Resolve(result);
      return;
    } catch (const Napi::Error& e) {
      reject_quietly([&] { return e.Value(); });
      return;
    } catch (...) {
      try {
        CodedError c = coded_error(std::current_exception());
        reject_coded(env, c.code, c.message);
      } catch (...) {
        // Out of memory building the message: nothing more can be reported.
      }
    }
  }
  void OnError(const Napi::Error& e) override {
    std::string message;
    try {
      message = e.Message();
    } catch (...) {
      message = "native call failed";
    }
    reject_coded(Env(), code_.c_str(), message);
  }

 private:
  template <typename MakeValue>
  void reject_quietly(MakeValue&& make) noexcept {
    try {
      deferred_.Reject(make());
    } catch (...) {
      // JS cannot run in this environment any more: nobody is left to see the result.
    }
  }
  void reject_coded(Napi::Env env, const char* code, const std::string& message) noexcept {
    reject_quietly([&] { return make_error(env, code, message).Value(); });
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::string code_ = et::error_code_name(et::ErrorCode::Internal);
};

// Queues a PromiseWorker and returns its promise.
inline Napi::Promise run_async(Napi::Env env, PromiseWorker::Work work, PromiseWorker::Done done) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(done));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace etb
