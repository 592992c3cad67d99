// Fuzz target: decode_json on arbitrary bytes. A document it accepts must survive a round trip
// (serialize, decode again, same value): what the decoder lets in is valid, bounded JSON.
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "decode/decode.h"

namespace {
// Equal, but for doubles within a few units in the last place: Boost 1.81 reads numbers without
// correct rounding (no `precise` option before 1.83), so "-5E-57" may come back one bit off.
bool same(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_double() && b.is_double()) {
        double x = a.get_double(), y = b.get_double();
        return x == y || std::fabs(x - y) <= 1e-15 * std::fmax(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind()) return false;
    if (a.is_array()) {
        const auto &p = a.get_array(), &q = b.get_array();
        if (p.size() != q.size()) return false;
        for (std::size_t i = 0; i < p.size(); ++i)
            if (!same(p[i], q[i])) return false;
        return true;
    }
    if (a.is_object()) {
        const auto &p = a.get_object(), &q = b.get_object();
        if (p.size() != q.size()) return false;
        for (auto i = p.begin(), k = q.begin(); i != p.end(); ++i, ++k)
            if (i->key() != k->key() || !same(i->value(), k->value())) return false;
        return true;
    }
    return a == b;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto decoded = fb::decode::decode_json(bytes);
    if (!decoded.ok()) return 0;
    std::string text = boost::json::serialize(decoded.value);
    auto again = fb::decode::decode_json(text);
    if (!again.ok() || !same(again.value, decoded.value)) {
        std::fprintf(stderr, "JSON round trip changed the document: %s\n", again.error.c_str());
        std::abort();
    }
    return 0;
}
