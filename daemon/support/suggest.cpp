#include "support/suggest.h"

#include <algorithm>
#include <cctype>

namespace fb::support {

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
    auto distance = [](std::string_view a, std::string_view b) {
        std::vector<std::size_t> row(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            std::size_t prev = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                std::size_t cur = row[j];
                bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                            std::tolower(static_cast<unsigned char>(b[j - 1]));
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (same ? 0 : 1)});
                prev = cur;
            }
        }
        return row[b.size()];
    };
    std::string_view best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (auto c : candidates) {
        auto d = distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best.empty() ? "" : " (did you mean `" + std::string(best) + "`?)";
}

}  // namespace fb::support
