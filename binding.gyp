{
  # Portable CPU addon: what prebuildify packs into prebuilds/linux-x64/. Hot loops get an
  # AVX2 clone at run time through target_clones (native/common/simd.hpp), so the baseline
  # stays plain x86-64. The CUDA build is CMakeLists.txt (cmake-js).
  "targets": [
    {
      "target_name": "emotionthinker",
      "sources": [
        "native/common/error.cpp",
        "native/audio/wav.cpp",
        "native/audio/resample.cpp",
        "native/dsp/fft.cpp",
        "native/features/spectral.cpp",
        "native/features/voice.cpp",
        "native/prosody/f0.cpp",
        "native/prosody/prosody.cpp",
        "native/grpo/advantages.cpp",
        "native/grpo/token_loss.cpp",
        "native/grpo/logits_loss.cpp",
        "native/cuda/cuda_status_stub.cpp",
        "bindings/convert.cpp",
        "bindings/audio_bindings.cpp",
        "bindings/backend_bindings.cpp",
        "bindings/prosody_bindings.cpp",
        "bindings/grpo_bindings.cpp",
        "bindings/cuda_bindings.cpp",
        "bindings/features_bindings.cpp",
        "bindings/addon.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "ET_BUILD_SYSTEM=\"node-gyp\""],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp-simd", "-fexceptions"],
      "cflags": ["-O3"]
    }
  ]
}
