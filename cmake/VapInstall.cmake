# cmake --install: bin/vapd and bin/vap (their own directories install
# them), the in-process library as static archives, its public headers
# (include/vap/ and nothing else; docs/architecture.md, "Public API") and
# a CMake package: find_package(vap) gives vap::vap.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(_vap_libs vap_base vap_matrix vap_ap vap_apbus vap_kvm vap_driver vap_vm
              vap_sysfs vap_guest vap_system vap_api)
add_library(vap_library INTERFACE)
set_target_properties(vap_library PROPERTIES EXPORT_NAME vap)
target_link_libraries(vap_library INTERFACE ${_vap_libs})

install(TARGETS ${_vap_libs} vap_library EXPORT vapTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT vapTargets NAMESPACE vap::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vap)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vap
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vapConfig.cmake.in
  ${PROJECT_BINARY_DIR}/vapConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vap)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vapConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vapConfig.cmake
              ${PROJECT_BINARY_DIR}/vapConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vap)
