#include "core/pack.h"

#include <lz4.h>

#include <cstdint>

namespace fb::core {
namespace {
constexpr std::uint32_t max_size = 256u << 20;  // far above any payload Kafka would take
}

std::string pack(std::string_view text) {
    if (text.size() > max_size) throw std::runtime_error("payload too large to store");
    auto n = static_cast<std::uint32_t>(text.size());
    std::string out(4 + LZ4_compressBound(static_cast<int>(n)), '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    int written = LZ4_compress_default(text.data(), out.data() + 4, static_cast<int>(n),
                                       static_cast<int>(out.size() - 4));
    if (written <= 0 && n > 0) throw std::runtime_error("payload compression failed");
    out.resize(4 + written);
    return out;
}

std::string unpack(std::string_view packed) {
    if (packed.size() < 4) throw std::runtime_error("stored payload is truncated");
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= std::uint32_t(static_cast<unsigned char>(packed[i])) << (8 * i);
    if (n > max_size) throw std::runtime_error("stored payload claims an impossible size");
    std::string out(n, '\0');
    int got = LZ4_decompress_safe(packed.data() + 4, out.data(), static_cast<int>(packed.size() - 4),
                                  static_cast<int>(n));
    if (got != static_cast<int>(n)) throw std::runtime_error("stored payload is corrupt");
    return out;
}

}  // namespace fb::core
