{
  # Portable CPU addon: what prebuildify packs into prebuilds/linux-x64/. Hot loops get an
  # AVX2 clone at run time through target_clones (native/common/simd.hpp), so the baseline
  # stays plain x86-64. The CUDA build is CMakeLists.txt (cmake-js). Sources: native/sources.txt.
  "targets": [
    {
      "target_name": "emotionthinker",
      "sources": ["<!@(node native/sources.cjs core nocuda binding)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "ET_BUILD_SYSTEM=\"node-gyp\""],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp-simd", "-fexceptions"],
      "cflags": ["-O3"]
    }
  ]
}
