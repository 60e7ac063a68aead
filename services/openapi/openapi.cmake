# The services' OpenAPI documents, served at GET /openapi.json: the YAML beside
# each service is the source; at build time fanout_openapi_embed checks it and
# turns it into compact JSON in a generated source of the service's library.
include_guard(GLOBAL)

add_executable(fanout_openapi_embed ${CMAKE_CURRENT_LIST_DIR}/embed_openapi.cpp)
target_link_libraries(fanout_openapi_embed PRIVATE yaml-cpp fanout_rapidjson)

# fanout_embed_openapi(TARGET NAMESPACE YAML): TARGET gets
# `std::string_view NAMESPACE::openapi_json() noexcept`, the document as JSON.
function(fanout_embed_openapi target namespace yaml)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_openapi.cpp)
  add_custom_command(OUTPUT ${out}
    COMMAND fanout_openapi_embed ${yaml} ${namespace} ${out}
    DEPENDS fanout_openapi_embed ${yaml}
    COMMENT "Embedding ${yaml} as JSON"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
