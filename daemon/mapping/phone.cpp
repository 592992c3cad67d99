#include "mapping/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <set>

namespace fb::mapping {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

const PhoneNumberUtil& util() { return *PhoneNumberUtil::GetInstance(); }

// Mainland China mobile numbers (1[3-9] and nine digits, optionally behind +86 / 86) are most of
// what Chinese ERPs hold; they are checked against libphonenumber's own metadata once per
// five-digit prefix and then formatted without a full parse, which costs microseconds.
bool cn_mobile_fast(std::string_view text, std::string& out) {
    char d[16];
    std::size_t n = 0;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            if (n == sizeof d) return false;
            d[n++] = c;
        } else if (c != ' ' && c != '-' && c != '+') {
            return false;
        }
    }
    std::string_view digits(d, n);
    if (digits.size() == 13 && digits.substr(0, 2) == "86") digits.remove_prefix(2);
    if (digits.size() != 11 || digits[0] != '1' || digits[1] < '3') return false;
    if (text.find('+') != std::string_view::npos && text.find_first_not_of(' ') != text.find('+'))
        return false;
    // Validity depends on the first five digits at most; ask libphonenumber once per prefix.
    static thread_local signed char known[10000] = {};
    int prefix = 0;
    for (std::size_t i = 1; i < 5; ++i) prefix = prefix * 10 + (digits[i] - '0');
    if (known[prefix] == 0) {
        PhoneNumber number;
        std::string probe = "+86" + std::string(digits);
        bool ok = util().Parse(probe, "CN", &number) == PhoneNumberUtil::NO_PARSING_ERROR &&
                  util().IsValidNumber(number) &&
                  util().GetNumberType(number) == PhoneNumberUtil::MOBILE;
        known[prefix] = ok ? 1 : -1;
    }
    if (known[prefix] < 0) return false;
    out.assign("+86").append(digits);
    return true;
}

}  // namespace

bool is_phone_region(std::string_view region) {
    static const std::set<std::string> regions = [] {
        std::set<std::string> r;
        util().GetSupportedRegions(&r);
        return r;
    }();
    return regions.count(std::string(region)) > 0;
}

namespace {

// libphonenumber's full parse costs ~15 us (regular expressions); the same customers' numbers
// recur in an ERP's feed, so each thread remembers its last answers.
struct PhoneMemo {
    struct Entry {
        std::string region, text, e164;
        bool valid = false;
    };
    Entry entries[64];
    Entry& slot(std::string_view region, std::string_view text) {
        std::size_t h =
            std::hash<std::string_view>{}(text) ^ (std::hash<std::string_view>{}(region) << 1);
        return entries[h % 64];
    }
};

bool parse_e164(std::string_view text, std::string_view region, std::string& out) {
    PhoneNumber number;
    if (util().Parse(std::string(text), std::string(region), &number) !=
        PhoneNumberUtil::NO_PARSING_ERROR)
        return false;
    if (!util().IsValidNumber(number)) return false;
    out.clear();
    util().Format(number, PhoneNumberUtil::E164, &out);
    return true;
}

}  // namespace

bool to_e164(std::string_view text, std::string_view region, std::string& out) {
    if (region == "CN" && cn_mobile_fast(text, out)) return true;
    static thread_local PhoneMemo memo;
    auto& e = memo.slot(region, text);
    if (e.text != text || e.region != region) {
        e.valid = parse_e164(text, region, e.e164);
        e.text.assign(text);
        e.region.assign(region);
    }
    if (e.valid) out.assign(e.e164);
    return e.valid;
}

}  // namespace fb::mapping
