# Embeds the shipped webhook mappings (mappings/*.json) into connectors_webhooks as raw string
# literals, so that the default install needs no mapping files. The JSON files are the only source:
# builtin_mappings.cc is generated from them into the build tree, and editing, adding or removing a
# file re-runs this at the next build. Included from connectors/CMakeLists.txt after the
# connectors_webhooks target exists.
file(GLOB eddy_webhook_mapping_files CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/mappings/*.json)
list(SORT eddy_webhook_mapping_files)
set(EDDY_BUILTIN_MAPPING_ENTRIES "")
foreach(mapping_file IN LISTS eddy_webhook_mapping_files)
  get_filename_component(mapping_name ${mapping_file} NAME_WE)
  file(READ ${mapping_file} mapping_text)
  string(FIND "${mapping_text}" ")eddy_mapping\"" delimiter_at)
  if(NOT delimiter_at EQUAL -1)
    message(FATAL_ERROR "${mapping_file} contains the raw string delimiter )eddy_mapping\"")
  endif()
  string(APPEND EDDY_BUILTIN_MAPPING_ENTRIES
    "    BuiltinMapping{\"${mapping_name}\", R\"eddy_mapping(${mapping_text})eddy_mapping\"},\n")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${mapping_file})
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/builtin_mappings.cc.in
  ${CMAKE_CURRENT_BINARY_DIR}/webhooks/builtin_mappings.cc @ONLY)
target_sources(connectors_webhooks PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/webhooks/builtin_mappings.cc)
