# cmake -DINPUT=file -DOUTPUT=file.cc -DSYMBOL=name -P embed.cmake
# Wraps a text file in a C++ raw string literal so the library carries it.
file(READ ${INPUT} content)
file(WRITE ${OUTPUT}
  "// Generated from ${INPUT}; do not edit.\n"
  "namespace savedmodel {\n"
  "extern const char ${SYMBOL}[];\n"
  "const char ${SYMBOL}[] = R\"sm_embed(${content})sm_embed\";\n"
  "}  // namespace savedmodel\n")
