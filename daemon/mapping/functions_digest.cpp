// Digests and HMACs of a text's UTF-8 bytes, written as lowercase hex (default), base64 with
// padding, or base64url without padding (RFC 4648 §5, as JWTs write it). OpenSSL does the work.
#include "mapping/functions_digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mapping/functions_text.h"
#include "support/base64.h"

namespace fb::mapping {

namespace {

enum class Encoding { hex, base64, base64url };

// The encoding argument was checked when the mapping compiled (prepare_digest).
Encoding encoding_of(const Expr& e) {
    if (int(e.args.size()) < e.fn->max_args) return Encoding::hex;
    const auto& name = e.args.back()->literal_text;
    return name == "base64" ? Encoding::base64 : name == "base64url" ? Encoding::base64url : Encoding::hex;
}

Val encoded(const unsigned char* bytes, unsigned int size, Encoding how, EvalContext& ctx) {
    auto& out = ctx.scratch_string();
    if (how == Encoding::hex) {
        static constexpr char digits[] = "0123456789abcdef";
        for (unsigned int i = 0; i < size; ++i) {
            out += digits[bytes[i] >> 4];
            out += digits[bytes[i] & 15];
        }
        return Val::of_string(out);
    }
    support::base64_into(out, std::string_view(reinterpret_cast<const char*>(bytes), size), how == Encoding::base64url);
    return Val::of_string(out);
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

Val digest(const Expr& e, EvalContext& ctx, const EVP_MD* md) {
    std::string_view text;
    if (!text_argument(e, 0, ctx, text)) return Val{};
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), out, &size, md, nullptr) != 1)
        throw EvalError{std::string(e.fn->name) + "() of the text", "an OpenSSL failure", ""};
    return encoded(out, size, encoding_of(e), ctx);
}

// hmac_…(key, text): a missing key or text is no value (a signature of nothing would be refused
// later with a less clear reason); an empty key is a key.
Val hmac(const Expr& e, EvalContext& ctx, const EVP_MD* md) {
    std::string_view key, text;
    if (!text_argument(e, 0, ctx, key) || !text_argument(e, 1, ctx, text)) return Val{};
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(md, key.data(), int(key.size()), bytes(text), text.size(), out, &size))
        throw EvalError{std::string(e.fn->name) + "() of the text", "an OpenSSL failure", ""};
    return encoded(out, size, encoding_of(e), ctx);
}

}  // namespace

std::string prepare_digest(Expr& e, std::size_t& bad) {
    if (int(e.args.size()) < e.fn->max_args) return "";
    bad = e.args.size() - 1;
    const Expr& how = *e.args[bad];
    const std::string name(e.fn->name);
    if (how.op != Expr::Op::literal || how.literal.kind != Val::Kind::string)
        return "the last argument of " + name + "() is its output's encoding, a constant: \"hex\", \"base64\" or \"base64url\"";
    if (how.literal_text != "hex" && how.literal_text != "base64" && how.literal_text != "base64url")
        return name + "() writes \"hex\", \"base64\" or \"base64url\", not \"" + how.literal_text + "\"";
    return "";
}

Val call_sha256(const Expr& e, EvalContext& ctx) { return digest(e, ctx, EVP_sha256()); }
Val call_sha1(const Expr& e, EvalContext& ctx) { return digest(e, ctx, EVP_sha1()); }
Val call_md5(const Expr& e, EvalContext& ctx) { return digest(e, ctx, EVP_md5()); }
Val call_hmac_sha256(const Expr& e, EvalContext& ctx) { return hmac(e, ctx, EVP_sha256()); }
Val call_hmac_sha1(const Expr& e, EvalContext& ctx) { return hmac(e, ctx, EVP_sha1()); }

}  // namespace fb::mapping
