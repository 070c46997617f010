# install.cmake -- what `make install` / `cmake --install` put where, and the
# Debian packages of `make deb` (CPack).  Included at the end of CMakeLists.txt,
# once every target exists.
#
# Two components, one Debian package each:
#   runtime  the weft command and libweft.so.MAJOR(.MINOR.PATCH)    -> weft
#   dev      include/*.h, libweft.a, the libweft.so link, weft.pc,
#            the CMake package (find_package(weft))                  -> libweft-dev
# An install() without COMPONENT is runtime (CMAKE_INSTALL_DEFAULT_COMPONENT_NAME).
# The layout is GNUInstallDirs' (bin/, lib/, include/ under the prefix); weft.pc
# and the CMake package find everything relative to themselves, so one install
# tree can be moved, and an extracted package used where it lies.
include(CMakePackageConfigHelpers)

set(WEFT_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/weft)

install(TARGETS weft_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS weft_shared EXPORT weftTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(TARGETS weft_static EXPORT weftTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# Every public header: the folder is read when installing, so a new header in
# include/ needs no line here.
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.h")

# weft.pc: `pkg-config --cflags --libs weft` links the shared library; --static
# adds what libweft.a needs.
file(RELATIVE_PATH WEFT_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" WEFT_PC_TO_PREFIX "${WEFT_PC_TO_PREFIX}")
configure_file(cmake/weft.pc.in ${CMAKE_CURRENT_BINARY_DIR}/weft.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/weft.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The CMake package: weft::weft (shared), weft::weft_static.  A 0.x release
# keeps the SONAME libweft.so.0, so any 0.y satisfies find_package(weft 0.x).
install(EXPORT weftTargets NAMESPACE weft:: DESTINATION ${WEFT_CMAKE_PACKAGE_DIR}
  COMPONENT dev)
configure_package_config_file(cmake/weftConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/weftConfig.cmake INSTALL_DESTINATION ${WEFT_CMAKE_PACKAGE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/weftConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/weftConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/weftConfigVersion.cmake
  DESTINATION ${WEFT_CMAKE_PACKAGE_DIR} COMPONENT dev)

# ---- Debian packages (`make deb`: cpack -G DEB in the build folder) ----------
set(WEFT_PACKAGE_MAINTAINER "weft maintainers <maintainers@weft.invalid>" CACHE STRING
    "The Maintainer field of the Debian packages")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME weft)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)   # as dh_strip would: no debug info in the packages
set(CPACK_PACKAGE_CONTACT "${WEFT_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${WEFT_PACKAGE_MAINTAINER}")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # NAME_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: computed by dpkg-shlibdeps (dpkg-dev) from the ELF files (libc6);
# libweft-dev depends on the weft of the same version (its libweft.so points
# at weft's libweft.so.0).  weft gets a shlibs file and the ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME weft)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION interpreters)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "WebAssembly engine for threaded programs
weft runs WebAssembly modules built for wasm32-wasip1-threads (WebAssembly 2.0,
the threads proposal, WASI preview 1 and wasi-threads) from the command line,
`weft run prog.wasm`, and inside C programs.  This package holds the weft
command and the shared library libweft.so.${PROJECT_VERSION_MAJOR}.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libweft-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "WebAssembly engine for threaded programs - development files
What a C program needs to embed weft: the header weft.h, the static library
libweft.a, the libweft.so link, a pkg-config file (weft.pc) and a CMake package
(find_package(weft): weft::weft and weft::weft_static).")

include(CPack)
