/*
 * validate.h -- the validator (val_): WebAssembly 2.0 validation (plus the
 * threads proposal's atomics and shared memories) of a decoded module.
 *
 * val_module checks the module-level rules (limits, start function, exports,
 * element/data segments, constant expressions) and every function body, in
 * time linear in the code size.  Instructions are read straight from the
 * module bytes; a malformed instruction is reported as MALFORMED, a typing
 * error as INVALID, both with the byte offset.  It also fills
 * m->func_declared (functions that ref.func may name).
 */
#ifndef WEFT_VALIDATE_H
#define WEFT_VALIDATE_H

#include "engine/module.h"

WEFT_INTERNAL weft_status val_module(weft_module *m, weft_error *err);

#endif /* WEFT_VALIDATE_H */
