/*
 * version.c -- weft_version(): the project's version, which CMakeLists.txt
 * (project(... VERSION ...), its one place) hands to this file alone, so that
 * a new version recompiles nothing else.
 */
#include "weft.h"

#ifndef WEFT_VERSION_STRING
#error "WEFT_VERSION_STRING comes from CMakeLists.txt (project VERSION)"
#endif

WEFT_API const char *weft_version(void)
{
    return WEFT_VERSION_STRING;
}
