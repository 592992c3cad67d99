// Outbox payloads are stored LZ4-compressed: a work-order event of ten lines shrinks to under half,
// and the state file writes that many fewer pages per document. Format: the original size as
// 4 bytes little-endian, then one LZ4 block.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace fb::core {

std::string pack(std::string_view text);
// Throws std::runtime_error on anything that is not a block pack() wrote.
std::string unpack(std::string_view packed);

}  // namespace fb::core
