#include "connectors/webhook/webhook.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "config/section.h"
#include "connectors/webhook/signature.h"
#include "decode/decode.h"
#include "ingest/source_context.h"
#include "support/async_run.h"

namespace fb::connectors::webhook {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using Kind = ledger::Outcome::Kind;

namespace {

// Hands a batch to the intake and resumes the coroutine once it is committed.
template <class Token>
auto async_commit(ingest::SourceContext& ctx, core::Batch batch, Token&& token) {
    return asio::async_initiate<Token, void(std::vector<ledger::Outcome>)>(
        [&ctx](auto handler, core::Batch batch) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            ctx.submit(std::move(batch), [shared](std::vector<ledger::Outcome> outcomes) {
                auto ex = asio::get_associated_executor(*shared);
                asio::post(ex, [shared, o = std::move(outcomes)]() mutable {
                    (*shared)(std::move(o));
                });
            });
        },
        token, std::move(batch));
}

// A request body turned into submissions, or the reason a single document could not be read.
struct Parsed {
    std::vector<ledger::Submission> subs;
    std::string error;
};

Parsed parse_body(const config::FlowConfig& flow, const config::KafkaConfig& kafka,
                  const mapping::Mapping& mapping, std::string_view body, bool batch) {
    Parsed out;
    if (!batch) {
        auto doc = decode::decode_json(body);
        if (!doc.ok()) out.error = std::move(doc.error);
        else ledger::add_mapped(out.subs, flow, kafka, mapping, doc.value, body);
        return out;
    }
    std::size_t line = 0;
    while (!body.empty()) {
        auto nl = body.find('\n');
        auto text = body.substr(0, nl);
        body = nl == body.npos ? std::string_view() : body.substr(nl + 1);
        ++line;
        if (text.find_first_not_of(" \t\r") == text.npos) continue;
        auto doc = decode::decode_json(text);
        if (!doc.ok())
            out.subs.push_back(ledger::decode_failure(
                flow.name, flow.document_type, "line " + std::to_string(line) + ": " + doc.error,
                std::string(text)));
        else
            ledger::add_mapped(out.subs, flow, kafka, mapping, doc.value, text);
    }
    return out;
}

json::object describe(const ledger::Outcome& o) {
    json::object r{{"status", ledger::to_string(o.kind)}, {"document_id", o.document_id}};
    if (!o.work_order_id.empty()) r["work_order_id"] = o.work_order_id;
    if (!o.event_id.empty()) r["event_id"] = o.event_id;
    if (o.dead_letter_id) r["dead_letter_id"] = o.dead_letter_id;
    if (!o.reason.empty()) r["error"] = o.reason;
    if (!o.note.empty()) r["note"] = o.note;
    return r;
}

class WebhookSource : public core::Source {
public:
    explicit WebhookSource(ingest::SourceContext& ctx)
        : ctx_(ctx),
          spec_(ctx.spec<Spec>()),
          backpressure_(&ctx.counter("fieldbridge_backpressure_rejections_total",
                                     "Requests answered 503 because the outbox is over its high-water mark")) {}

    void start() override {
        ctx_.serve("/webhooks/" + ctx_.flow().name, [this](http::Request& req) { return handle(req); });
    }
    void stop() override {}

private:
    asio::awaitable<http::Response> handle(http::Request& req);

    ingest::SourceContext& ctx_;
    const Spec& spec_;
    metrics::Counter* backpressure_;
};

asio::awaitable<http::Response> WebhookSource::handle(http::Request& req) {
    if (req.method() != bhttp::verb::post)
        co_return http::error_response(req, bhttp::status::method_not_allowed, "webhooks take POST");
    if (!spec_.hmac_secret.empty() &&
        !signature_valid(spec_.hmac_secret, req.body(), req[spec_.hmac_header],
                         spec_.hmac_encoding)) {
        co_return http::error_response(req, bhttp::status::unauthorized,
                                       "missing or wrong " + spec_.hmac_header + " signature");
    }
    if (ctx_.paused()) {  // the operator's pause: the ERP keeps the document and sends it again
        auto res = http::error_response(req, bhttp::status::service_unavailable,
                                        "flow `" + ctx_.flow().name +
                                            "` is paused by the operator; nothing was accepted, retry later");
        res.set(bhttp::field::retry_after, "30");
        co_return res;
    }
    if (!ctx_.store_problem().empty()) {  // the reason is in /readyz and the log
        auto res = http::error_response(req, bhttp::status::service_unavailable,
                                        "state store unavailable; nothing was accepted, retry later");
        res.set(bhttp::field::retry_after, "5");
        co_return res;
    }
    if (!ctx_.accepting()) {
        backpressure_->add();
        auto res = http::error_response(req, bhttp::status::service_unavailable,
                                        "outbox is over its high-water mark; retry later");
        res.set(bhttp::field::retry_after, "1");
        co_return res;
    }
    bool batch = std::string_view(req[bhttp::field::content_type]).starts_with("application/x-ndjson");
    // Decoding and mapping run on the worker threads: the HTTP thread only reads and answers.
    // Named locals, not structured bindings or temporaries, across co_await: GCC 12 destroys
    // those twice in a coroutine frame.
    Parsed parsed = co_await support::async_run(
        ctx_.workers(),
        [&] { return parse_body(ctx_.flow(), ctx_.config().kafka, ctx_.mapping(), req.body(), batch); },
        asio::use_awaitable);
    if (!parsed.error.empty()) {
        ctx_.count({ledger::Outcome{Kind::error}});
        co_return http::error_response(req, bhttp::status::bad_request, parsed.error);
    }
    if (parsed.subs.empty())
        co_return http::error_response(req, bhttp::status::bad_request, "no documents in the body");

    core::Batch documents;
    documents.submissions = std::move(parsed.subs);
    std::vector<ledger::Outcome> outcomes =
        co_await async_commit(ctx_, std::move(documents), asio::use_awaitable);
    ctx_.count(outcomes);
    json::array results;
    bool failed = false, error = false;
    for (const auto& o : outcomes) {
        failed |= o.kind == Kind::dead_lettered;
        error |= o.kind == Kind::error;
        results.push_back(describe(o));
    }
    if (error) {
        auto res = http::error_response(req, bhttp::status::service_unavailable,
                                        "state store unavailable; nothing was accepted");
        res.set(bhttp::field::retry_after, "5");
        co_return res;
    }
    if (!batch && outcomes.size() == 1) {
        auto& o = outcomes.front();
        auto status = failed                      ? bhttp::status::unprocessable_entity
                      : o.outbox_rows > 0 ? bhttp::status::accepted  // an event was queued
                                          : bhttp::status::ok;  // stale, unchanged: nothing to retry
        co_return http::make_response(req, status, json::serialize(results.front()));
    }
    json::object counts;
    for (const auto& o : outcomes) {
        auto& c = counts[ledger::to_string(o.kind)];
        c = c.is_null() ? 1 : c.as_int64() + 1;
    }
    co_return http::make_response(
        req, bhttp::status::ok, json::serialize(json::object{{"counts", counts}, {"results", results}}));
}

std::shared_ptr<const core::SourceSpec> read_spec(config::Section& source, const std::string&) {
    auto spec = std::make_shared<Spec>();
    if (auto hmac = source.get("hmac")) {
        auto h = source.child(hmac, "flow.source.hmac");
        spec->hmac_secret = h.string("secret", "", true);
        spec->hmac_header = h.string("header", spec->hmac_header);
        if (h.choice("encoding", "hex", {"hex", "base64"}) == "base64")
            spec->hmac_encoding = SignatureEncoding::base64;
        h.reject_unknown();
    }
    return spec;
}

std::unique_ptr<core::Source> make(ingest::SourceContext& ctx) {
    return std::make_unique<WebhookSource>(ctx);
}

}  // namespace

const Connector connector{"webhook", &read_spec, &make};

}  // namespace fb::connectors::webhook
