/*
 * engine.h -- the engine object: configuration and allocator.  Immutable after
 * weft_engine_new, so every thread may read it without a lock.
 */
#ifndef WEFT_ENGINE_H
#define WEFT_ENGINE_H

#include "engine/internal.h"

struct weft_engine {
    weft_config config; /* immutable after creation */
};

#endif /* WEFT_ENGINE_H */
