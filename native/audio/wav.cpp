#include "wav.hpp"

#include <cstdio>
#include <cstring>
#include <new>

#include "../common/error.hpp"
#include "limits.hpp"

namespace et {
namespace {

uint16_t read_u16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t read_u32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
uint64_t read_u64(const uint8_t* p) { return uint64_t(read_u32(p)) | (uint64_t(read_u32(p + 4)) << 32); }

// Renders a four-character code for an error message, escaping bytes that are not printable.
std::string fourcc(const uint8_t* p) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    if (p[i] >= 0x20 && p[i] < 0x7f) {
      out += char(p[i]);
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[p[i] >> 4];
      out += hex[p[i] & 15];
    }
  }
  return "'" + out + "'";
}

[[noreturn]] void format_error(const std::string& what) { throw Error(ErrorCode::AudioFormat, what); }

const char* codec_name(uint16_t tag) {
  switch (tag) {
    case 0x0002: return "Microsoft ADPCM";
    case 0x0011: return "IMA ADPCM";
    case 0x0031: return "GSM 6.10";
    case 0x0050: return "MPEG";
    case 0x0055: return "MPEG layer 3";
    case 0x0092: return "Dolby AC3";
    case 0x1610: return "AAC";
    default: return "unknown codec";
  }
}

enum class Sample { U8, S16, S24, S32, F32, F64, ALaw, MuLaw };

struct Format {
  uint16_t tag = 0;
  uint32_t channels = 0;
  uint32_t sample_rate = 0;
  uint32_t block_align = 0;
  uint16_t bits = 0;
  Sample sample = Sample::S16;
  const char* encoding = "";
};

// The tail shared by every KSDATAFORMAT_SUBTYPE GUID: xxxxxxxx-0000-0010-8000-00aa00389b71.
const uint8_t kGuidTail[12] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

Format parse_fmt(const uint8_t* p, uint32_t size) {
  if (size < 16) format_error("'fmt ' chunk is " + std::to_string(size) + " bytes; expected at least 16");
  Format f;
  f.tag = read_u16(p);
  f.channels = read_u16(p + 2);
  f.sample_rate = read_u32(p + 4);
  f.block_align = read_u16(p + 12);
  f.bits = read_u16(p + 14);
  uint16_t tag = f.tag;
  if (tag == 0xFFFE) {  // WAVE_FORMAT_EXTENSIBLE: the real codec is in the sub-format GUID
    if (size < 40) {
      format_error("WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is " + std::to_string(size) + " bytes; expected 40");
    }
    if (std::memcmp(p + 24 + 4, kGuidTail, 12) != 0 || read_u16(p + 26) != 0) {
      throw Error(ErrorCode::AudioUnsupported, "WAVE_FORMAT_EXTENSIBLE sub-format GUID is not a standard audio subtype");
    }
    tag = read_u16(p + 24);
  }
  if (f.channels == 0) format_error("'fmt ' chunk declares 0 channels; expected at least 1");
  if (f.sample_rate == 0) format_error("'fmt ' chunk declares a sample rate of 0 Hz; expected a positive rate");
  if (f.bits == 0) format_error("'fmt ' chunk declares 0 bits per sample");
  limits::check_declared_rate(f.sample_rate, "'fmt ' chunk");

  uint32_t bytes = (uint32_t(f.bits) + 7) / 8;
  switch (tag) {
    case 0x0001:
      if (bytes == 1) { f.sample = Sample::U8; f.encoding = "pcm_u8"; }
      else if (bytes == 2) { f.sample = Sample::S16; f.encoding = "pcm_s16"; }
      else if (bytes == 3) { f.sample = Sample::S24; f.encoding = "pcm_s24"; }
      else if (bytes == 4) { f.sample = Sample::S32; f.encoding = "pcm_s32"; }
      else {
        throw Error(ErrorCode::AudioUnsupported,
                    "integer PCM with " + std::to_string(f.bits) + " bits per sample is not supported; expected 8, 16, 24 or 32");
      }
      break;
    case 0x0003:
      if (f.bits == 32) { f.sample = Sample::F32; f.encoding = "pcm_f32"; }
      else if (f.bits == 64) { f.sample = Sample::F64; f.encoding = "pcm_f64"; }
      else {
        throw Error(ErrorCode::AudioUnsupported,
                    "IEEE float PCM with " + std::to_string(f.bits) + " bits per sample is not supported; expected 32 or 64");
      }
      break;
    case 0x0006:
    case 0x0007:
      if (f.bits != 8) {
        format_error(std::string(tag == 6 ? "A-law" : "mu-law") + " with " + std::to_string(f.bits) +
                     " bits per sample; G.711 is 8 bits per sample");
      }
      f.sample = tag == 6 ? Sample::ALaw : Sample::MuLaw;
      f.encoding = tag == 6 ? "alaw" : "mulaw";
      break;
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%04x", unsigned(tag));
      throw Error(ErrorCode::AudioUnsupported,
                  std::string("WAV codec ") + hex + " (" + codec_name(tag) +
                      ") is not supported; supported: integer PCM 8/16/24/32-bit, IEEE float 32/64-bit, A-law, mu-law");
    }
  }
  uint64_t expected_align = uint64_t(f.channels) * bytes;
  if (f.block_align != expected_align) {
    format_error("'fmt ' chunk block align is " + std::to_string(f.block_align) + " bytes; expected " +
                 std::to_string(expected_align) + " (" + std::to_string(f.channels) + " channels x " +
                 std::to_string(bytes) + " bytes)");
  }
  return f;
}

float alaw_to_float(uint8_t a) {
  uint8_t x = a ^ 0x55;
  int exponent = (x >> 4) & 7;
  int mantissa = x & 15;
  int magnitude = exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return float((x & 0x80) ? magnitude : -magnitude) / 32768.0f;
}

float mulaw_to_float(uint8_t u) {
  uint8_t x = uint8_t(~u);
  int exponent = (x >> 4) & 7;
  int mantissa = x & 15;
  int magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return float((x & 0x80) ? -magnitude : magnitude) / 32768.0f;
}

void convert(const Format& f, const uint8_t* src, size_t count, float* dst) {
  switch (f.sample) {
    case Sample::U8:
      for (size_t i = 0; i < count; ++i) dst[i] = (float(src[i]) - 128.0f) * (1.0f / 128.0f);
      break;
    case Sample::S16:
      for (size_t i = 0; i < count; ++i) dst[i] = float(int16_t(read_u16(src + 2 * i))) * (1.0f / 32768.0f);
      break;
    case Sample::S24:
      for (size_t i = 0; i < count; ++i) {
        const uint8_t* p = src + 3 * i;
        int32_t v = int32_t(uint32_t(p[0]) << 8 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 24) >> 8;
        dst[i] = float(v) * (1.0f / 8388608.0f);
      }
      break;
    case Sample::S32:
      for (size_t i = 0; i < count; ++i) dst[i] = float(double(int32_t(read_u32(src + 4 * i))) * (1.0 / 2147483648.0));
      break;
    case Sample::F32:
      for (size_t i = 0; i < count; ++i) {
        uint32_t u = read_u32(src + 4 * i);
        std::memcpy(dst + i, &u, 4);
      }
      break;
    case Sample::F64:
      for (size_t i = 0; i < count; ++i) {
        uint64_t u = read_u64(src + 8 * i);
        double d;
        std::memcpy(&d, &u, 8);
        dst[i] = float(d);
      }
      break;
    case Sample::ALaw:
      for (size_t i = 0; i < count; ++i) dst[i] = alaw_to_float(src[i]);
      break;
    case Sample::MuLaw:
      for (size_t i = 0; i < count; ++i) dst[i] = mulaw_to_float(src[i]);
      break;
  }
}

}  // namespace

DecodedAudio decode_wav(const uint8_t* bytes, size_t size) {
  if (size == 0) format_error("the file is empty (0 bytes); expected a RIFF/WAVE header");
  if (size < 12) {
    format_error("the file is " + std::to_string(size) + " bytes; a WAV file needs at least a 12-byte RIFF header");
  }
  bool rf64 = std::memcmp(bytes, "RF64", 4) == 0;
  if (std::memcmp(bytes, "RIFX", 4) == 0) {
    throw Error(ErrorCode::AudioUnsupported, "big-endian RIFX WAV files are not supported");
  }
  if (!rf64 && std::memcmp(bytes, "RIFF", 4) != 0) {
    format_error("not a WAV file: expected 'RIFF' at byte 0, found " + fourcc(bytes));
  }
  if (std::memcmp(bytes + 8, "WAVE", 4) != 0) {
    format_error("not a WAV file: RIFF form type is " + fourcc(bytes + 8) + ", expected 'WAVE'");
  }

  Format fmt;
  bool have_fmt = false;
  uint64_t rf64_data_size = 0;
  size_t pos = 12;
  size_t data_start = 0, data_len = 0;
  bool have_data = false, repaired = false, truncated = false;
  while (pos + 8 <= size) {
    const uint8_t* id = bytes + pos;
    uint64_t csize = read_u32(bytes + pos + 4);
    size_t body = pos + 8;
    size_t remain = size - body;
    if (std::memcmp(id, "data", 4) == 0) {
      if (!have_fmt) {
        format_error("'data' chunk at byte " + std::to_string(pos) + " comes before the 'fmt ' chunk; WAV requires 'fmt ' first");
      }
      if (rf64 && csize == 0xFFFFFFFFu) csize = rf64_data_size;
      data_start = body;
      if (csize == 0 || csize > remain || csize == 0xFFFFFFFFu) {
        data_len = remain;
        repaired = csize != remain;
        truncated = csize != 0 && csize != 0xFFFFFFFFu && csize > remain;
      } else {
        data_len = size_t(csize);
      }
      have_data = true;
      break;
    }
    if (csize > remain) {
      format_error("chunk " + fourcc(id) + " at byte " + std::to_string(pos) + " claims " + std::to_string(csize) +
                   " bytes but only " + std::to_string(remain) + " remain in the file (truncated or corrupt)");
    }
    if (std::memcmp(id, "fmt ", 4) == 0) {
      // Two format chunks describe the data two ways; taking the last one silently read a mono
      // 16 kHz file as 44.1 kHz stereo.
      if (have_fmt) format_error("a second 'fmt ' chunk at byte " + std::to_string(pos) + "; a WAV has one");
      fmt = parse_fmt(bytes + body, uint32_t(csize));
      have_fmt = true;
    } else if (rf64 && std::memcmp(id, "ds64", 4) == 0) {
      if (csize < 24) format_error("RF64 'ds64' chunk is " + std::to_string(csize) + " bytes; expected at least 24");
      rf64_data_size = read_u64(bytes + body + 8);
    }
    pos = body + size_t(csize) + size_t(csize & 1);  // chunks are padded to an even size
  }
  if (!have_fmt) format_error("no 'fmt ' chunk found in " + std::to_string(size) + " bytes (truncated header?)");
  if (!have_data) format_error("no 'data' chunk found after the 'fmt ' chunk (truncated file?)");

  DecodedAudio out;
  out.sample_rate = fmt.sample_rate;
  out.channels = fmt.channels;
  out.encoding = fmt.encoding;
  out.bits_per_sample = fmt.bits;
  out.data_size_repaired = repaired;
  out.data_truncated = truncated;
  size_t frames = data_len / fmt.block_align;  // a trailing partial frame is dropped
  size_t count = frames * fmt.channels;
  limits::check_sample_count(count, "the decoded audio");
  try {
    out.samples.resize(count);
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::OutOfMemory, "cannot allocate " + std::to_string(count) + " float samples for the decoded audio");
  }
  convert(fmt, bytes + data_start, count, out.samples.data());
  // Integer codecs are within full scale by construction; float ones can hold anything.
  if (fmt.sample == Sample::F32 || fmt.sample == Sample::F64) {
    limits::check_samples(out.samples.data(), count, fmt.channels, ErrorCode::AudioFormat,
                          std::string(fmt.encoding) + " data: ");
  }
  return out;
}

}  // namespace et
