;; The guest of examples/capi_table.c: an exported funcref table of 2
;; elements, at most 10, and calls through it.
(module
  (type $unary (func (param i32) (result i32)))
  (table $table (export "table") 2 10 funcref)
  (elem (i32.const 1) $negate)

  (func $double (export "double") (type $unary)
    (i32.mul (local.get 0) (i32.const 2)))
  (func $negate (export "negate") (type $unary)
    (i32.sub (i32.const 0) (local.get 0)))

  ;; Calls table[i](x): traps on a null element, an index past the end and a
  ;; function of another type.
  (func (export "call_indirect") (param $x i32) (param $i i32) (result i32)
    (call_indirect (type $unary) (local.get $x) (local.get $i)))
  (func (export "size") (result i32) (table.size $table))
  (func (export "grow") (param i32) (result i32)
    (table.grow $table (ref.null func) (local.get 0))))
