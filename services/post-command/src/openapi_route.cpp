#include "openapi_route.hpp"

#include <boost/beast/http/field.hpp>

namespace fanout::post_command {

void add_openapi_route(http::Router& router) {
    router.exact("GET", "/openapi.json", [](const http::Request&, const std::string&, http::Responder respond) {
        http::Response res;
        res.result(boost::beast::http::status::ok);
        res.set(boost::beast::http::field::content_type, "application/json");
        res.body() = std::string(openapi_json());
        respond(std::move(res));
    });
}

}  // namespace fanout::post_command
