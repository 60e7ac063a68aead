# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS) for the Debian packages,
# run on the staged components before they are packed. It strips what they
# ship the way dh_strip does: the runtime's executables and plugins lose
# their symbols and .comment/.note sections, their debug information moving
# to the dbgsym component under /usr/lib/debug/.build-id/ (found there by gdb
# through the build id); the dev component's static libraries lose their
# debug information (Debian ships none for static libraries).
cmake_minimum_required(VERSION 3.25)
find_program(OBJCOPY objcopy REQUIRED)
find_program(READELF readelf REQUIRED)
set(staged ${CPACK_TEMPORARY_DIRECTORY})
set(k_unneeded --remove-section=.comment --remove-section=.note)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "strip_and_split_debug: ${ARGN} failed: ${err}")
  endif()
endfunction()

function(is_elf file out)
  file(READ ${file} magic LIMIT 4 HEX)
  if(magic STREQUAL "7f454c46")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

file(GLOB_RECURSE runtime_files LIST_DIRECTORIES false ${staged}/runtime/*)
foreach(file IN LISTS runtime_files)
  if(IS_SYMLINK ${file})
    continue()
  endif()
  is_elf(${file} elf)
  if(NOT elf)
    continue()
  endif()
  execute_process(COMMAND env LC_ALL=C ${READELF} -n ${file} OUTPUT_VARIABLE notes COMMAND_ERROR_IS_FATAL ANY)
  if(NOT notes MATCHES "Build ID: ([0-9a-f][0-9a-f])([0-9a-f]+)")
    message(FATAL_ERROR "strip_and_split_debug: ${file} has no build id")
  endif()
  set(debug ${staged}/dbgsym/usr/lib/debug/.build-id/${CMAKE_MATCH_1}/${CMAKE_MATCH_2}.debug)
  get_filename_component(debug_dir ${debug} DIRECTORY)
  file(MAKE_DIRECTORY ${debug_dir})
  run(${OBJCOPY} --only-keep-debug --compress-debug-sections ${file} ${debug})
  file(CHMOD ${debug} PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  if(file MATCHES "\\.so$")
    run(${OBJCOPY} ${k_unneeded} --strip-unneeded ${file})
  else()
    run(${OBJCOPY} ${k_unneeded} --strip-all ${file})
  endif()
  run(${OBJCOPY} --add-gnu-debuglink=${debug} ${file})
endforeach()

file(GLOB_RECURSE dev_archives LIST_DIRECTORIES false ${staged}/dev/*.a)
foreach(archive IN LISTS dev_archives)
  run(${OBJCOPY} ${k_unneeded} --strip-debug --enable-deterministic-archives ${archive})
endforeach()
