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

bool to_e164(std::string_view text, std::string_view region, std::string& out) {
    if (region == "CN" && cn_mobile_fast(text, out)) return true;
    PhoneNumber number;
    if (util().Parse(std::string(text), std::string(region), &number) !=
        PhoneNumberUtil::NO_PARSING_ERROR)
        return false;
    if (!util().IsValidNumber(number)) return false;
    out.clear();
    util().Format(number, PhoneNumberUtil::E164, &out);
    return true;
}

}  // namespace fb::mapping
