/*
 * values_json.h -- wast2json's typed values ({"type": ..., "value": ...}) as
 * arguments (weft_val) and expectations (script/values.h).
 */
#ifndef SPEC_VALUES_JSON_H
#define SPEC_VALUES_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "script/values.h"

/* Parses an argument {"type": ..., "value": ...}.  false with a reason in
 * why (size whysize) if the JSON is not a value this runner knows. */
bool val_parse_arg(const json *v, weft_val *out, char *why, size_t whysize);
bool val_parse_expect(const json *v, val_expect *out, char *why, size_t whysize);

#endif /* SPEC_VALUES_JSON_H */
