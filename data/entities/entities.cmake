# Compiles the named-entity tables in this folder into the codec library at build time, so that
# ipdx never reads a DTD or entity file at run time (and never fetches one).
#
# Included from src/codec/CMakeLists.txt after ipdx_module(codec ...). Generates
# ${CMAKE_CURRENT_BINARY_DIR}/entity_table.inc: a sorted C++ initializer list of
# {"name", "replacement text"} pairs. The replacement text is kept as written in the DTD
# (character references such as "&#x0237C;"); src/codec/entities.cc decodes it. When both files
# declare a name, the first file listed wins (html-entities.dtd, the USPTO's table).
set(IPDX_ENTITY_FILES
  ${PROJECT_SOURCE_DIR}/data/entities/html-entities.dtd
  ${PROJECT_SOURCE_DIR}/data/entities/docdb-entities.dtd)
set(IPDX_ENTITY_INC ${CMAKE_CURRENT_BINARY_DIR}/entity_table.inc)
add_custom_command(
  OUTPUT ${IPDX_ENTITY_INC}
  COMMAND ${CMAKE_COMMAND} "-DOUT=${IPDX_ENTITY_INC}" "-DFILES=${IPDX_ENTITY_FILES}"
          -P ${PROJECT_SOURCE_DIR}/data/entities/gen_entity_table.cmake
  DEPENDS ${IPDX_ENTITY_FILES} ${PROJECT_SOURCE_DIR}/data/entities/gen_entity_table.cmake
  COMMENT "Generating named-entity table from data/entities"
  VERBATIM)
target_sources(ipdx_codec PRIVATE ${IPDX_ENTITY_INC})
target_include_directories(ipdx_codec PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
