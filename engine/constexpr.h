/*
 * constexpr.h -- evaluation of constant expressions (cexpr_) at instantiation:
 * global initializers, segment offsets and element items.
 */
#ifndef WEFT_CONSTEXPR_H
#define WEFT_CONSTEXPR_H

#include "engine/instance.h"

/* Evaluates `expr` (already validated) in `inst`: global.get reads
 * inst->globals, ref.func gives inst->funcs[x].  The globals and functions it
 * names must be set up already. */
WEFT_INTERNAL weft_status cexpr_eval(const weft_instance *inst, mod_constexpr expr,
                                     inst_value *out, weft_error *err);

#endif /* WEFT_CONSTEXPR_H */
