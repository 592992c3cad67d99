// "Did you mean …?": the closest known word to a mistyped one, for config and mapping errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fb::support {

// " (did you mean `x`?)" for the candidate nearest to `word` (case-insensitive edit distance,
// at most max(2, len/3)), or "" when none is near.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace fb::support
