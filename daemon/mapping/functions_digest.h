// Digests and HMACs for request signatures (Chinese open platforms, Taobao/JD-style APIs sign
// their parameters themselves): sha256, sha1, md5, hmac_sha256, hmac_sha1 (functions_digest.cpp,
// OpenSSL); functions.cpp lists them in the function table.
#pragma once

#include "mapping/expr.h"

namespace fb::mapping {

// The optional last argument, the output's encoding, is a constant: "hex" | "base64" | "base64url".
std::string prepare_digest(Expr& e, std::size_t& bad);

Val call_sha256(const Expr& e, EvalContext& ctx);
Val call_sha1(const Expr& e, EvalContext& ctx);
Val call_md5(const Expr& e, EvalContext& ctx);
Val call_hmac_sha256(const Expr& e, EvalContext& ctx);
Val call_hmac_sha1(const Expr& e, EvalContext& ctx);

}  // namespace fb::mapping
