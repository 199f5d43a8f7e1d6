# cmake -DOUT=file -DPARTS="a;b;c" -P ConcatFiles.cmake: writes the parts, in order, into OUT.
file(WRITE ${OUT}.tmp "-- Generated from extension/sql/*.sql by cmake/ConcatFiles.cmake; do not edit.\n")
file(APPEND ${OUT}.tmp "\\echo Use \"CREATE EXTENSION jadevector\" to load this file. \\quit\n")
foreach(part IN LISTS PARTS)
  file(READ ${part} text)
  get_filename_component(name ${part} NAME)
  file(APPEND ${OUT}.tmp "\n-- ---- ${name} ----\n${text}")
endforeach()
file(RENAME ${OUT}.tmp ${OUT})
