// GRPO / GRPO-PTR bindings: group advantages, PTR rewards, token loss and logits loss, sync and
// async. Outputs are allocated by the TypeScript layer and passed in, so nothing large is
// allocated here and the in-place logits mode is just "gradOut is the logits buffer".
// The TypeScript layer validates options and lengths with user-facing messages; the checks here
// only keep a misused raw call from reading or writing out of bounds.
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>

#include "../native/grpo/grpo.hpp"
#include "bindings.hpp"
#include "convert.hpp"
#include "input_copies.hpp"
#include "promise_worker.hpp"
#include "grpo_options.hpp"

namespace etb {
namespace {

using namespace et::grpo;

// A typed-array argument. Sync calls use the caller's memory directly; async calls call own()
// on every view first, so the worker reads and writes private copies (the caller's buffers may be
// detached, shrunk or collected meanwhile), and OnOK copies outputs back with write_back().
struct View {
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  size_t length = 0;
  const char* name = "";
  bool shared = false;  // on a SharedArrayBuffer: used in place (see OwnedBytes)
  bool copied = false;  // data is a private buffer, to be written back for an output
  // The TS layer made this array itself (a conversion, an output it allocated, or a copy of a
  // large caller array taken between turns of the event loop): no one else holds it, so the
  // worker may use it as it is (the reference keeps it alive).
  bool package_owned = false;
  Napi::ObjectReference keep;
  OwnedBytes owned;
  bool present() const { return data != nullptr || keep; }
  size_t bytes() const { return length * element_size(type); }
  void own() {
    if (!present() || shared || package_owned) return;
    data = owned.assign(data, bytes());
    copied = true;
  }
  // An output the core overwrites entirely: a zeroed private buffer, nothing copied in.
  void own_output() {
    if (!present() || shared || package_owned) return;
    data = owned.zeroed(bytes());
    copied = true;
  }
  // This output is the same memory as `input` (logits with inPlace): write into its copy.
  void own_as(const View& input) {
    data = input.data;
    copied = input.copied;
  }
};

// Copies outputs computed into private buffers back into the caller's arrays, all or none: an
// array detached or shrunk while the work ran gets nothing and the call rejects.
void write_back(Napi::Env env, std::initializer_list<const View*> outs);

const char* type_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
  }
  return "TypedArray";
}

// A typed array argument, or an absent one (null/undefined) when `optional`.
View view(Napi::Env env, Napi::Value v, const char* name, bool optional) {
  View out;
  if (v.IsNull() || v.IsUndefined()) {
    if (!optional) throw invalid_arg(env, std::string(name) + " is required");
    return out;
  }
  if (!v.IsTypedArray()) throw invalid_arg(env, std::string(name) + " must be a typed array");
  Napi::TypedArray arr = v.As<Napi::TypedArray>();
  TypedInfo t = typed_info(arr);
  out.type = t.type;
  out.length = t.length;
  out.data = t.data;
  out.shared = t.shared;
  out.name = name;
  out.keep = Napi::Persistent(arr.As<Napi::Object>());
  return out;
}

// The async calls' trailing argument: names of the views the TS layer owns (see package_owned).
void mark_package_owned(const Napi::CallbackInfo& info, size_t index, std::initializer_list<View*> views) {
  if (info.Length() <= index || !info[index].IsArray()) return;
  Napi::Array names = info[index].As<Napi::Array>();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    Napi::Value n = names.Get(i);
    if (!n.IsString()) continue;
    const std::string name = n.As<Napi::String>().Utf8Value();
    for (View* v : views) {
      if (v->present() && name == v->name) v->package_owned = true;
    }
  }
}

void expect_type(Napi::Env env, const View& v, const char* name, napi_typedarray_type t) {
  if (v.present() && v.type != t) {
    throw invalid_arg(env, std::string(name) + " must be a " + type_name(t) + "; got " + type_name(v.type));
  }
}

void expect_length(Napi::Env env, const View& v, const char* name, size_t n) {
  if (v.present() && v.length != n) {
    throw invalid_arg(env, std::string(name) + " has length " + std::to_string(v.length) + "; expected " + std::to_string(n));
  }
}

void write_back(Napi::Env env, std::initializer_list<const View*> outs) {
  std::vector<void*> targets;
  for (const View* v : outs) {
    if (!v->present() || !v->copied) {
      targets.push_back(nullptr);
      continue;
    }
    TypedInfo now = typed_info(v->keep.Value().As<Napi::TypedArray>());
    if (now.data == nullptr || now.length * element_size(now.type) < v->bytes()) {
      throw invalid_arg(env, std::string(v->name) + " was detached or shrunk while the call ran (" + std::to_string(v->bytes()) +
                                 " bytes expected, " + std::to_string(now.length * element_size(now.type)) +
                                 " left); no result was written");
    }
    targets.push_back(now.data);
  }
  size_t i = 0;
  for (const View* v : outs) {
    if (targets[i] != nullptr && v->bytes() != 0) std::memcpy(targets[i], v->data, v->bytes());
    ++i;
  }
}

Napi::Object obj_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsObject()) throw invalid_arg(info.Env(), std::string(name) + " must be an object");
  return info[i].As<Napi::Object>();
}

double num(Napi::Object o, const char* key, double dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  if (!v.IsNumber()) throw invalid_arg(o.Env(), std::string("option ") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

size_t count(Napi::Object o, const char* key) {
  double d = num(o, key, 0);
  if (!(d >= 0 && d <= 9007199254740991.0) || d != double(size_t(d))) {
    throw invalid_arg(o.Env(), std::string(key) + " must be a non-negative integer");
  }
  return size_t(d);
}

bool flag(Napi::Object o, const char* key, bool dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  return v.ToBoolean().Value();
}

// Groups from (offsets | null, groupSize); `n` items.
Groups groups_arg(Napi::Env env, const View& offsets, double group_size) {
  Groups g;
  if (offsets.present()) {
    expect_type(env, offsets, "offsets", napi_uint32_array);
    if (offsets.length < 2) throw invalid_arg(env, "group offsets need at least 2 entries (0 and the total)");
    g.offsets = static_cast<const uint32_t*>(offsets.data);
    g.count = offsets.length - 1;
  } else {
    if (!(group_size >= 1) || group_size != double(size_t(group_size))) {
      throw invalid_arg(env, "group size must be a positive integer");
    }
    g.size = size_t(group_size);
  }
  return g;
}

// ---------------------------------------------------------------------------------------------
struct AdvArgs {
  View rewards, offsets, out;
  Groups groups;
  AdvantageOptions opt;
};

AdvArgs adv_args(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AdvArgs a;
  a.rewards = view(env, info[0], "rewards", false);
  if (a.rewards.type != napi_float32_array && a.rewards.type != napi_float64_array) {
    throw invalid_arg(env, "rewards must be a Float32Array or Float64Array");
  }
  a.offsets = view(env, info[1], "offsets", true);
  double gs = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
  a.groups = groups_arg(env, a.offsets, gs);
  a.out = view(env, info[3], "out", false);
  expect_type(env, a.out, "out", a.rewards.type);
  expect_length(env, a.out, "out", a.rewards.length);
  a.opt = grpo_opts::advantages(obj_arg(info, 4, "options"));
  return a;
}

void adv_run(const AdvArgs& a) {
  if (a.rewards.type == napi_float32_array) {
    group_advantages(static_cast<const float*>(a.rewards.data), a.rewards.length, a.groups, a.opt,
                     static_cast<float*>(a.out.data));
  } else {
    group_advantages(static_cast<const double*>(a.rewards.data), a.rewards.length, a.groups, a.opt,
                     static_cast<double*>(a.out.data));
  }
}

Napi::Value Advantages(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    AdvArgs a = adv_args(info);
    adv_run(a);
    return info.Env().Undefined();
  });
}

Napi::Value AdvantagesAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto a = std::make_shared<AdvArgs>(adv_args(info));
    mark_package_owned(info, 5, {&a->rewards, &a->offsets, &a->out});
    for (View* v : {&a->rewards, &a->offsets}) v->own();
    a->out.own_output();  // every advantage is written
    if (a->offsets.present()) a->groups.offsets = static_cast<const uint32_t*>(a->offsets.data);
    return run_async(info.Env(), [a] { adv_run(*a); }, [a](Napi::Env env) -> Napi::Value {
      write_back(env, {&a->out});
      return env.Undefined();
    });
  });
}

// ---------------------------------------------------------------------------------------------
Napi::Value PtrRewards(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    View correct = view(env, info[0], "correct", false), format = view(env, info[1], "format", false),
         judge = view(env, info[2], "judgeScores", false), offsets = view(env, info[3], "offsets", true);
    double gs = info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : 0;
    Groups g = groups_arg(env, offsets, gs);
    Napi::Object o = obj_arg(info, 5, "options");
    View reasoning = view(env, info[6], "reasoningOut", false), trust = view(env, info[7], "trustOut", false),
         reward = view(env, info[8], "rewardOut", false);
    for (const View* v : {&correct, &format, &judge, &reasoning, &trust, &reward}) {
      expect_type(env, *v, "PTR arrays", napi_float64_array);
    }
    const size_t n = correct.length;
    expect_length(env, format, "format", n);
    expect_length(env, reasoning, "reasoningOut", n);
    expect_length(env, reward, "rewardOut", n);
    PtrOptions opt = grpo_opts::ptr(o);
    const size_t dims = opt.judge_weights.empty() ? size_t(options::default_of(options::kPtr, "judgeWeights")) : opt.judge_weights.size();
    expect_length(env, judge, "judgeScores", n * dims);
    const size_t k = validate_groups(g, n, "correct");
    expect_length(env, trust, "trustOut", k);
    ptr_rewards(static_cast<const double*>(correct.data), static_cast<const double*>(format.data),
                static_cast<const double*>(judge.data), n, g, opt, static_cast<double*>(reasoning.data),
                static_cast<double*>(trust.data), static_cast<double*>(reward.data));
    return env.Undefined();
  });
}

// ---------------------------------------------------------------------------------------------
// Sequence layout from {offsets?, batch, length}; checks the token count against `tokens`.
SeqLayout layout_arg(Napi::Env env, Napi::Object in, View& offsets, size_t tokens) {
  SeqLayout L;
  offsets = view(env, in.Get("offsets"), "offsets", true);
  if (offsets.present()) {
    expect_type(env, offsets, "offsets", napi_uint32_array);
    if (offsets.length < 2) throw invalid_arg(env, "empty batch: offsets needs at least 2 entries");
    L.offsets = static_cast<const uint32_t*>(offsets.data);
    L.batch = offsets.length - 1;
    const uint32_t last = L.offsets[L.batch];
    if (last != tokens) {
      throw invalid_arg(env, "offsets must end at the token count " + std::to_string(tokens) + "; last offset is " +
                                 std::to_string(last));
    }
  } else {
    L.batch = count(in, "batch");
    L.length = count(in, "length");
    if (L.batch * L.length != tokens) {
      throw invalid_arg(env, "shape [" + std::to_string(L.batch) + ", " + std::to_string(L.length) + "] does not match " +
                                 std::to_string(tokens) + " tokens");
    }
  }
  return L;
}

struct TokenArgs {
  View logp, old, ref, adv, mask, offsets, grad;
  LossOptions opt;
  SeqLayout layout;
  bool adv_per_token = kAdvPerTokenDefault;
  MaskType mask_type = MaskType::None;
  LossMetrics result;
};

TokenArgs token_args(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TokenArgs a;
  Napi::Object in = obj_arg(info, 0, "inputs");
  a.opt = grpo_opts::loss(obj_arg(info, 1, "options"));
  a.logp = view(env, in.Get("logp"), "logp", false);
  if (a.logp.type != napi_float32_array && a.logp.type != napi_float64_array) {
    throw invalid_arg(env, "logp must be a Float32Array or Float64Array");
  }
  const napi_typedarray_type t = a.logp.type;
  const size_t n = a.logp.length;
  a.old = view(env, in.Get("oldLogp"), "oldLogp", false);
  a.ref = view(env, in.Get("refLogp"), "refLogp", true);
  a.adv = view(env, in.Get("advantages"), "advantages", false);
  a.mask = view(env, in.Get("mask"), "mask", true);
  a.grad = view(env, info[2], "gradOut", true);
  for (auto [v, name] : {std::pair<View*, const char*>{&a.old, "oldLogp"}, {&a.ref, "refLogp"}, {&a.adv, "advantages"}, {&a.grad, "gradOut"}}) {
    expect_type(env, *v, name, t);
  }
  expect_length(env, a.old, "oldLogp", n);
  expect_length(env, a.ref, "refLogp", n);
  expect_length(env, a.grad, "gradOut", n);
  a.layout = layout_arg(env, in, a.offsets, n);
  a.adv_per_token = flag(in, "advPerToken", kAdvPerTokenDefault);
  expect_length(env, a.adv, "advantages", a.adv_per_token ? n : a.layout.batch);
  if (a.mask.present()) {
    if (a.mask.type == napi_uint8_array) a.mask_type = MaskType::U8;
    else if (a.mask.type == t) a.mask_type = MaskType::Float;
    else throw invalid_arg(env, std::string("mask must be a Uint8Array or a ") + type_name(t) + " like logp");
    expect_length(env, a.mask, "mask", n);
  }
  return a;
}

template <class T>
LossMetrics token_run_t(const TokenArgs& a) {
  TokenLossInputs<T> in;
  in.logp = static_cast<const T*>(a.logp.data);
  in.old_logp = static_cast<const T*>(a.old.data);
  in.ref_logp = static_cast<const T*>(a.ref.data);
  in.advantages = static_cast<const T*>(a.adv.data);
  in.adv_per_token = a.adv_per_token;
  in.mask = a.mask.data;
  in.mask_type = a.mask_type;
  in.layout = a.layout;
  return token_loss<T>(in, a.opt, static_cast<T*>(a.grad.data));
}

LossMetrics token_run(const TokenArgs& a) {
  return a.logp.type == napi_float32_array ? token_run_t<float>(a) : token_run_t<double>(a);
}

Napi::Value TokenLoss(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    TokenArgs a = token_args(info);
    LossMetrics m = token_run(a);
    return grpo_opts::metrics(info.Env(), m);
  });
}

Napi::Value TokenLossAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto a = std::make_shared<TokenArgs>(token_args(info));
    mark_package_owned(info, 3, {&a->logp, &a->old, &a->ref, &a->adv, &a->mask, &a->offsets, &a->grad});
    for (View* v : {&a->logp, &a->old, &a->ref, &a->adv, &a->mask, &a->offsets}) v->own();
    a->grad.own_output();  // every token's gradient is written (the layout covers 0..n)
    if (a->offsets.present()) a->layout.offsets = static_cast<const uint32_t*>(a->offsets.data);
    return run_async(
        info.Env(), [a] { a->result = token_run(*a); },
        [a](Napi::Env env) -> Napi::Value {
          write_back(env, {&a->grad});
          return grpo_opts::metrics(env, a->result);
        });
  });
}

// ---------------------------------------------------------------------------------------------
struct LogitsArgs {
  View logits, labels, old, ref, adv, mask, offsets, logp_out, ent_out, grad;
  LogitsLossInputs in;
  LogitsOptions opt;
  LossMetrics result;
};

// Points the core's inputs at the views' memory (again after own()).
void bind_inputs(LogitsArgs& a) {
  a.in.logits = a.logits.data;
  a.in.labels = static_cast<const int32_t*>(a.labels.data);
  a.in.old_logp = static_cast<const double*>(a.old.data);
  a.in.ref_logp = static_cast<const double*>(a.ref.data);
  a.in.advantages = static_cast<const double*>(a.adv.data);
  a.in.mask = static_cast<const double*>(a.mask.data);
  if (a.offsets.present()) a.in.layout.offsets = static_cast<const uint32_t*>(a.offsets.data);
}

LogitsArgs logits_args(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LogitsArgs a;
  Napi::Object in = obj_arg(info, 0, "inputs");
  Napi::Object o = obj_arg(info, 1, "options");
  a.opt = grpo_opts::logits(o);
  a.logits = view(env, in.Get("logits"), "logits", false);
  napi_typedarray_type lt = a.logits.type;
  if (lt == napi_float32_array) a.in.type = LogitsType::F32;
  else if (lt == napi_float64_array) a.in.type = LogitsType::F64;
  else if (lt == napi_uint16_array) a.in.type = LogitsType::BF16;
  else throw invalid_arg(env, "logits must be a Float32Array, Float64Array or Uint16Array (bf16)");
  a.labels = view(env, in.Get("labels"), "labels", false);
  expect_type(env, a.labels, "labels", napi_int32_array);
  const size_t N = a.labels.length;
  const size_t V = count(in, "vocab");
  if (N == 0) throw invalid_arg(env, "empty batch: labels is empty");
  if (V == 0 || a.logits.length != N * V) {
    throw invalid_arg(env, "logits length " + std::to_string(a.logits.length) + " is not labels.length (" + std::to_string(N) +
                               ") × vocab (" + std::to_string(V) + ")");
  }
  a.old = view(env, in.Get("oldLogp"), "oldLogp", false);
  a.ref = view(env, in.Get("refLogp"), "refLogp", true);
  a.adv = view(env, in.Get("advantages"), "advantages", false);
  a.mask = view(env, in.Get("mask"), "mask", true);
  a.logp_out = view(env, info[2], "logpOut", false);
  a.ent_out = view(env, info[3], "entropyOut", false);
  a.grad = view(env, info[4], "gradOut", true);
  for (auto [v, name] : {std::pair<View*, const char*>{&a.old, "oldLogp"}, {&a.ref, "refLogp"}, {&a.adv, "advantages"},
                         {&a.mask, "mask"}, {&a.logp_out, "logpOut"}, {&a.ent_out, "entropyOut"}}) {
    expect_type(env, *v, name, napi_float64_array);
  }
  expect_type(env, a.grad, "gradOut", lt);
  for (auto [v, name] : {std::pair<View*, const char*>{&a.old, "oldLogp"}, {&a.ref, "refLogp"}, {&a.mask, "mask"},
                         {&a.logp_out, "logpOut"}, {&a.ent_out, "entropyOut"}}) {
    expect_length(env, *v, name, N);
  }
  expect_length(env, a.grad, "gradOut", N * V);
  a.in.layout = layout_arg(env, in, a.offsets, N);
  a.in.adv_per_token = flag(in, "advPerToken", kAdvPerTokenDefault);
  expect_length(env, a.adv, "advantages", a.in.adv_per_token ? N : a.in.layout.batch);
  a.in.rows = N;
  a.in.vocab = V;
  bind_inputs(a);
  return a;
}

LossMetrics logits_run(const LogitsArgs& a) {
  return logits_loss(a.in, a.opt, static_cast<double*>(a.logp_out.data), static_cast<double*>(a.ent_out.data),
                     a.grad.data);
}

Napi::Value LogitsLoss(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    LogitsArgs a = logits_args(info);
    LossMetrics m = logits_run(a);
    return grpo_opts::metrics(info.Env(), m);
  });
}

Napi::Value LogitsLossAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto a = std::make_shared<LogitsArgs>(logits_args(info));
    const bool in_place = a->grad.present() && a->grad.data == a->logits.data;
    mark_package_owned(info, 5, {&a->logits, &a->labels, &a->old, &a->ref, &a->adv, &a->mask, &a->offsets, &a->logp_out, &a->ent_out, &a->grad});
    for (View* v : {&a->logits, &a->labels, &a->old, &a->ref, &a->adv, &a->mask, &a->offsets}) v->own();
    // Every row's logp, entropy and gradient row is written. In place: the gradient overwrites
    // the copy of the logits (one N×vocab copy, not two).
    for (View* v : {&a->logp_out, &a->ent_out}) v->own_output();
    if (in_place) a->grad.own_as(a->logits);
    else a->grad.own_output();
    bind_inputs(*a);
    return run_async(
        info.Env(), [a] { a->result = logits_run(*a); },
        [a](Napi::Env env) -> Napi::Value {
          write_back(env, {&a->logp_out, &a->ent_out, &a->grad});
          return grpo_opts::metrics(env, a->result);
        });
  });
}

}  // namespace

void register_grpo(Napi::Env env, Napi::Object exports) {
  exports.Set("grpoAdvantages", Napi::Function::New(env, Advantages, "grpoAdvantages"));
  exports.Set("grpoAdvantagesAsync", Napi::Function::New(env, AdvantagesAsync, "grpoAdvantagesAsync"));
  exports.Set("grpoPtrRewards", Napi::Function::New(env, PtrRewards, "grpoPtrRewards"));
  exports.Set("grpoTokenLoss", Napi::Function::New(env, TokenLoss, "grpoTokenLoss"));
  exports.Set("grpoTokenLossAsync", Napi::Function::New(env, TokenLossAsync, "grpoTokenLossAsync"));
  exports.Set("grpoLogitsLoss", Napi::Function::New(env, LogitsLoss, "grpoLogitsLoss"));
  exports.Set("grpoLogitsLossAsync", Napi::Function::New(env, LogitsLossAsync, "grpoLogitsLossAsync"));
  // The option tables of native/grpo/options.hpp, from which src/grpo-options.ts resolves options.
  exports.Set("grpoOptionSpecs", grpo_opts::specs_js(env));
}

}  // namespace etb
