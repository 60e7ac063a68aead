# fanout_add_plugin(<target> SOURCES ...)
# Builds a Fanout plugin: a shared library in build/lib/ that links only the
# plugin API. Symbols are hidden except the exported descriptor, and
# -fno-gnu-unique makes dlclose really unload it (use-after-unload bugs show).
function(fanout_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE fanout::plugin_api ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_options(${target} PRIVATE -fno-gnu-unique)
endfunction()
