# Install layout (`cmake --install build --prefix PREFIX`), by component:
#   runtime  bin/                     fanoutd, post-command, post-query
#            lib/fanout/plugins/      plugin libraries
#            share/fanout/scripts/    Lua scripts
#            share/man/man1/          their manual pages
#   dev      include/fanout/          the plugin API; include/fanout/sql/ the SQL projection library
#            lib/                     libfanout_sql_projection.a and what it links
#            lib/cmake/Fanout/        CMake package (find_package(Fanout))
#   prefix   etc/fanout/              example configuration
#            lib/systemd/system/      units naming PREFIX
# The Debian packages (FanoutPackaging.cmake) take runtime and dev and add
# their own /etc/fanout and /lib/systemd/system in place of prefix.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# lib/, not CMAKE_INSTALL_LIBDIR: private to fanoutd, never multiarch.
set(FANOUT_PLUGIN_INSTALL_DIR lib/fanout/plugins)
set(FANOUT_PROGRAMS fanoutd fanoutctl)
foreach(service post-command post-query)
  if(TARGET ${service})
    list(APPEND FANOUT_PROGRAMS ${service})
  endif()
endforeach()
set(FANOUT_SHIPPED_PLUGINS)
foreach(plugin fanout_example fanout_sql_read_model fanout_webhook_notifier fanout_analytics fanout_sql_config)
  if(TARGET ${plugin})
    list(APPEND FANOUT_SHIPPED_PLUGINS ${plugin})
  endif()
endforeach()

install(TARGETS ${FANOUT_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS ${FANOUT_SHIPPED_PLUGINS} LIBRARY DESTINATION ${FANOUT_PLUGIN_INSTALL_DIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scripts/ DESTINATION ${CMAKE_INSTALL_DATADIR}/fanout/scripts
        COMPONENT runtime FILES_MATCHING PATTERN "*.lua")

# fanout_gzip(IN OUT): gzip -9n at configure time (no name or time stamp: the
# same bytes from one build to the next, as Debian wants for man pages and
# changelogs).
function(fanout_gzip in out)
  get_filename_component(dir ${out} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND gzip -9 -n -c ${in} OUTPUT_FILE ${out} COMMAND_ERROR_IS_FATAL ANY)
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${in})
endfunction()
foreach(program IN LISTS FANOUT_PROGRAMS)
  fanout_gzip(${PROJECT_SOURCE_DIR}/packaging/man/${program}.1 ${CMAKE_BINARY_DIR}/man/${program}.1.gz)
  install(FILES ${CMAKE_BINARY_DIR}/man/${program}.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
endforeach()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/ DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/fanout
        COMPONENT prefix FILES_MATCHING PATTERN "*.yaml")

# Units point at the installed binaries and configuration:
# fanout_configure_units(OUT_DIR BINDIR SYSCONFDIR) writes the three units.
function(fanout_configure_units out_dir bindir sysconfdir)
  set(FANOUT_BINDIR ${bindir})
  set(FANOUT_SYSCONFDIR ${sysconfdir})
  foreach(unit fanoutd post-command post-query)
    configure_file(${PROJECT_SOURCE_DIR}/systemd/${unit}.service.in ${out_dir}/${unit}.service @ONLY)
  endforeach()
endfunction()
fanout_configure_units(${CMAKE_BINARY_DIR}/systemd ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_SYSCONFDIR})
foreach(unit fanoutd post-command post-query)
  install(FILES ${CMAKE_BINARY_DIR}/systemd/${unit}.service DESTINATION lib/systemd/system COMPONENT prefix)
endforeach()

# The plugin SDK as a CMake package: the plugin API (header-only) and the
# SQL projection library, with what that links (SOCI, and the dependency-free
# part of fanout_common, split out so that the package does not carry
# fanout_common's yaml-cpp and daemon code).
install(TARGETS fanout_plugin_api fanout_sql_projection fanout_common_core fanout_soci EXPORT FanoutTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/plugin-api/include/fanout DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sql-projection/include/fanout DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(EXPORT FanoutTargets NAMESPACE Fanout:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Fanout COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/FanoutConfig.cmake.in
  ${CMAKE_BINARY_DIR}/FanoutConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Fanout
  PATH_VARS FANOUT_PLUGIN_INSTALL_DIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/FanoutConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/FanoutConfig.cmake ${CMAKE_BINARY_DIR}/FanoutConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FanoutPlugin.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Fanout COMPONENT dev)

include(FanoutPackaging)
