# Install layout and packaging:
#   bin/                     fanoutd, post-command, post-query
#   lib/fanout/plugins/      plugin libraries
#   share/fanout/scripts/    Lua scripts
#   etc/fanout/              example configuration
#   lib/systemd/system/      units
#   include/fanout/          the plugin API; include/fanout/sql/ the SQL projection library
#   lib/                     libfanout_sql_projection.a and what it links
#   lib/cmake/Fanout/        CMake package (find_package(Fanout))
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FANOUT_PLUGIN_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/fanout/plugins)

install(TARGETS fanoutd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(service post-command post-query)
  if(TARGET ${service})
    install(TARGETS ${service} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
foreach(plugin fanout_example fanout_sql_read_model fanout_webhook_notifier fanout_analytics fanout_sql_config)
  if(TARGET ${plugin})
    install(TARGETS ${plugin} LIBRARY DESTINATION ${FANOUT_PLUGIN_INSTALL_DIR})
  endif()
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scripts/ DESTINATION ${CMAKE_INSTALL_DATADIR}/fanout/scripts
        FILES_MATCHING PATTERN "*.lua")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/ DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/fanout
        FILES_MATCHING PATTERN "*.yaml")

# Units point at the installed binaries and configuration.
set(FANOUT_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(FANOUT_SYSCONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR})
foreach(unit fanoutd post-command post-query)
  configure_file(${PROJECT_SOURCE_DIR}/systemd/${unit}.service.in ${CMAKE_BINARY_DIR}/systemd/${unit}.service @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/systemd/${unit}.service DESTINATION lib/systemd/system)
endforeach()

# The plugin SDK as a CMake package: the plugin API (header-only) and the
# SQL projection library, with what that links (SOCI, and the dependency-free
# part of fanout_common, split out so that the package does not carry
# fanout_common's yaml-cpp and daemon code).
install(TARGETS fanout_plugin_api fanout_sql_projection fanout_common_core fanout_soci EXPORT FanoutTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/plugin-api/include/fanout DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sql-projection/include/fanout DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT FanoutTargets NAMESPACE Fanout:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Fanout)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/FanoutConfig.cmake.in
  ${CMAKE_BINARY_DIR}/FanoutConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Fanout
  PATH_VARS FANOUT_PLUGIN_INSTALL_DIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/FanoutConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/FanoutConfig.cmake ${CMAKE_BINARY_DIR}/FanoutConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FanoutPlugin.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Fanout)

# CPack: a .deb with the runtime dependencies found by dpkg-shlibdeps.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fanout)
set(CPACK_PACKAGE_VENDOR "Fanout")
set(CPACK_PACKAGE_CONTACT "Fanout maintainers <maintainers@fanout.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Kafka consumer daemon running plugins side by side, one consumer group each")
# Units name absolute paths: package what was configured (-DCMAKE_INSTALL_PREFIX=/usr for a .deb).
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
include(CPack)
